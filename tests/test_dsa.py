"""Ref. 63's differentiable Siamese augmentation (cgcore.dsa)."""

import pytest
import torch

from cgcore import dsa


def images(n=16, ch=3, size=32, seed=0):
    return torch.randn(n, ch, size, size, generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("name", dsa.TRANSFORMS)
def test_every_transform_keeps_the_shape_changes_the_batch_and_is_differentiable(name):
    x = images().requires_grad_(True)
    y = getattr(dsa, name)(x, torch.Generator().manual_seed(1))
    assert y.shape == x.shape
    assert not torch.equal(y, x)
    y.square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


@pytest.mark.parametrize("name", dsa.TRANSFORMS)
def test_the_draw_is_a_function_of_the_generator(name):
    x = images()
    f = getattr(dsa, name)
    a = f(x, torch.Generator().manual_seed(3))
    b = f(x, torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_each_image_gets_its_own_draw():
    x = images(1).repeat(8, 1, 1, 1)
    y = dsa.rotate(x, torch.Generator().manual_seed(0))
    assert not torch.allclose(y[0], y[1])


def test_cutout_zeroes_a_square_of_half_the_side():
    x = torch.ones(64, 1, 32, 32)
    y = dsa.cutout(x, torch.Generator().manual_seed(0))
    zeros = (y == 0).flatten(1).sum(1)
    assert zeros.max() == 16 * 16            # a whole square inside the image
    assert (zeros > 0).all()                 # clipped at the border, but never empty


def test_crop_translates_by_at_most_an_eighth():
    x = torch.zeros(200, 1, 32, 32)
    x[:, :, 16, 16] = 1
    y = dsa.crop(x, torch.Generator().manual_seed(0))
    pos = torch.nonzero(y[:, 0])[:, 1:] - 16
    assert pos.abs().max() == 4 and len(pos) == 200


def test_flip_mirrors_about_half_the_images():
    x = images(400)
    y = dsa.flip(x, torch.Generator().manual_seed(0))
    mirrored = (y == x.flip(-1)).flatten(1).all(1).float().mean()
    assert 0.4 < mirrored < 0.6


def test_dsa_applies_one_transform_of_the_strategy():
    x = torch.ones(8, 1, 28, 28)
    # only "flip" is allowed: a constant image is unchanged by it
    assert torch.equal(dsa.dsa(x, "flip", torch.Generator().manual_seed(0)), x)
    seen = {dsa.dsa(images(), "flip_cutout", torch.Generator().manual_seed(s)).eq(0).any().item()
            for s in range(20)}
    assert seen == {True, False}


def test_unknown_transform_is_a_clear_error():
    with pytest.raises(ValueError, match="DSA transformation"):
        dsa.dsa(images(), "color_blur")


def test_mnist_strategy_has_no_flip():
    assert "flip" not in dsa.parse_strategy(dsa.STRATEGIES["mnist"])
    assert "flip" in dsa.parse_strategy(dsa.STRATEGIES["cifar10"])


@pytest.mark.parametrize("strategy", ["color", "crop", "cutout", "flip", "scale", "rotate",
                                      "color_crop_cutout_flip_scale_rotate"])
def test_siamese_calls_transform_two_batches_identically(strategy):
    one = images(1, seed=5)
    real = torch.cat([one, images(7, seed=6)])
    for seed in range(6):
        a = dsa.dsa(real, strategy, torch.Generator().manual_seed(seed), siamese=True)
        b = dsa.dsa(one, strategy, torch.Generator().manual_seed(seed), siamese=True)
        assert torch.allclose(a[:1], b, atol=1e-6)
        if strategy != "flip":      # one draw for the whole batch: equal images stay equal
            twin = dsa.dsa(one.repeat(3, 1, 1, 1), strategy, torch.Generator().manual_seed(seed), siamese=True)
            assert torch.allclose(twin[0], twin[2], atol=1e-6)
