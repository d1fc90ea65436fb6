"""The steps every experiment shares: loading the training images as the augmentation
needs them, per-channel standardisation, the augmentation named in a profile, and the
training settings of :class:`cgcore.train.TrainConfig` read from a profile's dict."""

from __future__ import annotations

from dataclasses import fields
from functools import partial

import numpy as np
import torch
from torch import nn

from .. import dsa
from ..checks import check_choice
from ..data import TensorData, affine_then_resize, load_dataset, random_affine, random_crop_flip
from ..train import TrainConfig

# ``{"kind": <one of these>, **keyword arguments of the transform}``: the one shape of every
# augmentation setting in cgcore.profiles.
AUGMENTS = {"affine": random_affine, "crop_flip": random_crop_flip, "dsa": dsa.dsa}


def make_augment(settings: dict | None, where: str = "augment", *, dataset: str | None = None,
                 antialias: bool = True, size: int = 7):
    """``{"kind": ..., **arguments}`` -> a batch -> batch transform, or None for None.

    ``affine`` on 7x7 MNIST (``dataset="mnist7"``) acts on the 28x28 original, which is then
    resized to ``size`` as the test images are (``antialias``); :func:`training_images` loads the
    originals for it. ``where`` names the setting in error messages."""
    if settings is None:
        return None
    settings = dict(settings)
    kind = settings.pop("kind", None)
    check_choice(f"{where} kind", kind, tuple(AUGMENTS))
    if kind == "affine" and dataset == "mnist7":
        return partial(affine_then_resize, size=size, antialias=antialias, **settings)
    return partial(AUGMENTS[kind], **settings)


def augments_at_28(dataset: str, settings: dict | None) -> bool:
    """Whether the training images of ``dataset`` are loaded at 28x28 for ``settings``: 7x7
    MNIST with affine augmentation is augmented before it is resized."""
    return dataset == "mnist7" and settings is not None and settings.get("kind") == "affine"


def training_images(dataset: str, settings: dict | None, n: int | None, seed: int, *,
                    antialias: bool = True, size: int = 7) -> TensorData:
    """A class-balanced subset of ``n`` training images (all for None), as the
    augmentation ``settings`` needs them: the 28x28 originals for 7x7 MNIST with affine
    augmentation, the data set's own images otherwise (7x7 MNIST at ``size``)."""
    if augments_at_28(dataset, settings):
        return load_dataset("mnist", "train").subset(n, seed)
    extra = {"antialias": antialias, "size": size} if dataset == "mnist7" else {}
    return load_dataset(dataset, "train", **extra).subset(n, seed)


# --------------------------------------------------------------------------- standardisation


def channel_stats(images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-channel mean and std of (N, ch, H, W) images."""
    return images.mean(dim=(0, 2, 3)), images.std(dim=(0, 2, 3))


def from_pixels(images: torch.Tensor, mean, std) -> torch.Tensor:
    """Pixels standardised per channel (the inverse of :func:`to_pixels`, before clamping)."""
    return (images - torch.as_tensor(mean).view(-1, 1, 1)) / torch.as_tensor(std).view(-1, 1, 1)


def to_pixels(images: torch.Tensor, mean, std) -> torch.Tensor:
    """Standardised images back to pixels in [0, 1]."""
    mean = torch.as_tensor(mean).view(-1, 1, 1)
    std = torch.as_tensor(std).view(-1, 1, 1)
    return (images * std + mean).clamp(0, 1)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Pixels in [0, 1] as bytes, for the arrays stored beside a result."""
    return (images * 255).round().to(torch.uint8).numpy()


class Standardize(nn.Module):
    """(x - mean) / std per channel. A layer with buffers and no parameters, so that the
    augmentation works on [0, 1] images and the network stays a polynomial of its raw input."""

    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std

    def extra_repr(self) -> str:
        return f"mean={self.mean.flatten().tolist()}, std={self.std.flatten().tolist()}"


# --------------------------------------------------------------------------- training settings

_TRAIN_FIELDS = {f.name for f in fields(TrainConfig)}


def train_config(settings: dict, seed: int, **fixed) -> TrainConfig:
    """The :class:`TrainConfig` of a profile's dict: every key of ``settings`` that names a
    field of TrainConfig (others, such as ``arch`` or ``augment``, are not training settings),
    then ``fixed``, the settings the experiment does not let a profile change."""
    return TrainConfig(**{**{k: v for k, v in settings.items() if k in _TRAIN_FIELDS and k != "seed"}, **fixed},
                       seed=seed)


def check_candidates(candidates: dict, settings: dict) -> None:
    """A tuning run's ``candidates`` (name -> changes): at least one, each changing only keys
    of ``settings`` (the config it changes), or a ValueError that names what is accepted."""
    if not candidates:
        raise ValueError("candidates must name at least one recipe to train")
    unknown = {k for changes in candidates.values() for k in changes} - set(settings)
    if unknown:
        raise ValueError(f"candidates change unknown setting(s) {sorted(unknown)}; "
                         f"accepted: {', '.join(sorted(settings))}")


def pruned_accuracies(model, keep: list[float], test: TensorData) -> dict:
    """Sec. III's pruning of a fitted Eq. (3): the test accuracy with each fraction of ``keep``
    of the largest standardised weights kept (no fine-tuning), the others' coefficients dropped
    (the paper's reading) and re-centred (:func:`cgcore.taylor.prune_smallest`)."""
    from ..taylor import prune_smallest
    from ..train import accuracy

    return {"keep": keep,
            "test_acc": [accuracy(prune_smallest(model, k, "coefficient"), test) for k in keep],
            "test_acc_centred": [accuracy(prune_smallest(model, k, "to_mean"), test) for k in keep]}


def locality_by_basis(maps: dict, side: int) -> dict:
    """Fig. 3's locality shares (:func:`cgcore.taylor.locality_shares`) of symmetric
    (n_classes, N, N) quadratic maps, one entry per basis name of ``maps``, from the i <= j half."""
    from ..taylor import locality_shares

    iu = np.triu_indices(side * side)
    return {basis: locality_shares(np.float64(m[:, iu[0], iu[1]]), side) for basis, m in maps.items()}
