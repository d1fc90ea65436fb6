"""The steps every experiment shares (cgcore.experiments.common)."""

import pytest
import torch

from cgcore.experiments.common import (Standardize, channel_stats, from_pixels, make_augment, to_pixels,
                                       train_config, training_images)
from cgcore.models import count_parameters

from conftest import load_or_skip


def test_standardize_has_no_parameters():
    layer = Standardize([0.5, 0.25], [2.0, 0.5])
    assert count_parameters(layer) == 0
    x = torch.ones(1, 2, 3, 3)
    torch.testing.assert_close(layer(x)[0, :, 0, 0], torch.tensor([0.25, 1.5]))


def test_standardisation_round_trips_to_pixels():
    x = torch.rand(20, 3, 8, 8)
    mean, std = channel_stats(x)
    z = from_pixels(x, mean, std)
    assert torch.allclose(z.mean(dim=(0, 2, 3)), torch.zeros(3), atol=1e-5)
    assert torch.allclose(z.std(dim=(0, 2, 3)), torch.ones(3), atol=1e-5)
    assert torch.allclose(to_pixels(z, mean, std), x, atol=1e-6)


def test_one_augmentation_shape_for_every_experiment():
    assert make_augment(None) is None
    x = torch.rand(2, 1, 28, 28)
    assert make_augment({"kind": "affine", "max_shift": 0.1})(x).shape == x.shape
    # 7x7 MNIST is augmented at 28x28, then resized like the test images
    assert make_augment({"kind": "affine"}, dataset="mnist7")(x).shape == (2, 1, 7, 7)
    assert make_augment({"kind": "crop_flip", "padding": 2})(torch.rand(2, 3, 8, 8)).shape == (2, 3, 8, 8)
    with pytest.raises(ValueError, match="unknown convnet_eval.augment kind 'cutout'; accepted: affine, crop_flip, dsa"):
        make_augment({"kind": "cutout"}, "convnet_eval.augment")
    with pytest.raises(ValueError, match="unknown augment kind None"):
        make_augment({"max_shift": 0.1})


def test_train_config_takes_the_training_fields_and_fixes_the_rest():
    cfg = train_config({"epochs": 3, "lr": 0.1, "arch": "resnet18", "seed": 5, "schedule": "cosine"}, 7,
                       optimizer="sgd", schedule="onecycle")
    assert (cfg.epochs, cfg.lr, cfg.optimizer, cfg.schedule, cfg.seed) == (3, 0.1, "sgd", "onecycle", 7)
    with pytest.raises(ValueError, match="unknown optimizer 'lion'"):
        train_config({"epochs": 1, "optimizer": "lion"}, 0)


def test_mnist7_with_affine_augmentation_loads_the_28x28_originals():
    load_or_skip("mnist", "train")
    at_28 = training_images("mnist7", {"kind": "affine"}, 50, 0)
    plain = training_images("mnist7", None, 50, 0, antialias=True)
    assert at_28.images.shape[-2:] == (28, 28) and plain.images.shape[-2:] == (7, 7)
    assert torch.equal(at_28.labels, plain.labels)          # the same images, two resolutions
