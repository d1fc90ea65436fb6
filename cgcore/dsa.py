"""Differentiable Siamese Augmentation: the augmentation the distillation literature trains
its test networks with (Ref. 63, Zhao & Bilen; their DSA paper, ICML 2021).

Six transformations of a batch of standardised images, each drawn independently for
every image, all differentiable in the images:

========  ==============================================================================
color     brightness + U(-0.5, 0.5); saturation x U(0, 2) around the channel mean;
          contrast x U(0.5, 1.5) around the image mean (applied in that order)
crop      translation by an integer in [-H/8, H/8] on each axis, the uncovered part zero
cutout    a zeroed square of side H/2 at a random centre (clipped at the border)
flip      left-right mirror with probability 1/2
scale     x and y scaled independently by U(1/1.2, 1.2) (bilinear, zero outside)
rotate    rotation by U(-15, 15) degrees (bilinear, zero outside)
========  ==============================================================================

As in Ref. 63 ("single" mode), each call applies **one** of the strategies named in
``strategy``, chosen uniformly at random per batch. ``siamese=True`` draws one set of
parameters for the whole batch: calling twice with generators seeded alike transforms a
real batch and a synthetic one identically, which is how Ref. 63 distils. Ref. 63's code uses
``color_crop_cutout_flip_scale_rotate`` for every data set; its README advises dropping
``flip`` for digits, which :data:`STRATEGIES` does for MNIST. These are our own
implementations of the published description; the numbers are Ref. 63's defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .checks import check_choice

TRANSFORMS = ("color", "crop", "cutout", "flip", "scale", "rotate")
# the strategy of each data set (MNIST without flip, as Ref. 63 advises for digits)
STRATEGIES = {"mnist": "color_crop_cutout_scale_rotate",
              "cifar10": "color_crop_cutout_flip_scale_rotate"}


@dataclass(frozen=True)
class DSAParams:
    """Ref. 63's defaults."""

    prob_flip: float = 0.5
    ratio_scale: float = 1.2
    ratio_rotate: float = 15.0      # degrees
    ratio_crop_pad: float = 0.125
    ratio_cutout: float = 0.5
    brightness: float = 1.0
    saturation: float = 2.0
    contrast: float = 0.5


def _expand(values: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Draws for ``len(values)`` images (1 when Siamese) stretched over the batch."""
    return values.expand(len(x), *values.shape[1:]).to(x.device)


def _uniform(x, generator, siamese: bool, low: float = 0.0, high: float = 1.0) -> torch.Tensor:
    n = 1 if siamese else len(x)
    return _expand(torch.rand(n, generator=generator) * (high - low) + low, x)


def _randint(x, high: int, generator, siamese: bool, columns: int = 1) -> torch.Tensor:
    n = 1 if siamese else len(x)
    return _expand(torch.randint(0, high, (n, columns), generator=generator), x)


def color(x, generator=None, p: DSAParams = DSAParams(), siamese: bool = False):
    x = x + (_uniform(x, generator, siamese) - 0.5).mul(p.brightness).view(-1, 1, 1, 1)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * _uniform(x, generator, siamese).mul(p.saturation).view(-1, 1, 1, 1) + mean
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (_uniform(x, generator, siamese) + p.contrast).view(-1, 1, 1, 1) + mean


def crop(x, generator=None, p: DSAParams = DSAParams(), siamese: bool = False):
    n, ch, h, w = x.shape
    shift = int(w * p.ratio_crop_pad + 0.5)
    offsets = _randint(x, 2 * shift + 1, generator, siamese, columns=2)      # (n, 2) in [0, 2 shift]
    padded = F.pad(x, (shift, shift, shift, shift))
    rows = offsets[:, :1] + torch.arange(h, device=x.device)
    cols = offsets[:, 1:] + torch.arange(w, device=x.device)
    batch = torch.arange(n, device=x.device)[:, None, None, None]
    channel = torch.arange(ch, device=x.device)[None, :, None, None]
    return padded[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]


def cutout(x, generator=None, p: DSAParams = DSAParams(), siamese: bool = False):
    n, _, h, w = x.shape
    size = int(h * p.ratio_cutout + 0.5)
    cy = _randint(x, h + (1 - size % 2), generator, siamese)
    cx = _randint(x, w + (1 - size % 2), generator, siamese)
    rows = torch.arange(h, device=x.device)[None, :]
    cols = torch.arange(w, device=x.device)[None, :]
    in_rows = (rows >= cy - size // 2) & (rows < cy - size // 2 + size)     # (n, h)
    in_cols = (cols >= cx - size // 2) & (cols < cx - size // 2 + size)     # (n, w)
    hole = in_rows[:, :, None] & in_cols[:, None, :]
    return x * (~hole).to(x.dtype)[:, None]


def flip(x, generator=None, p: DSAParams = DSAParams(), siamese: bool = False):
    mirror = _uniform(x, generator, siamese) < p.prob_flip
    return torch.where(mirror[:, None, None, None], x.flip(-1), x)


def _warp(x, theta):
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def scale(x, generator=None, p: DSAParams = DSAParams(), siamese: bool = False):
    r = p.ratio_scale
    sx, sy = _uniform(x, generator, siamese, 1 / r, r), _uniform(x, generator, siamese, 1 / r, r)
    zero = torch.zeros_like(sx)
    theta = torch.stack([torch.stack([sx, zero, zero], 1), torch.stack([zero, sy, zero], 1)], 1)
    return _warp(x, theta)


def rotate(x, generator=None, p: DSAParams = DSAParams(), siamese: bool = False):
    limit = math.radians(p.ratio_rotate)
    angle = _uniform(x, generator, siamese, -limit, limit)
    cos, sin, zero = angle.cos(), angle.sin(), torch.zeros_like(angle)
    theta = torch.stack([torch.stack([cos, -sin, zero], 1), torch.stack([sin, cos, zero], 1)], 1)
    return _warp(x, theta)


_FUNCTIONS = {"color": color, "crop": crop, "cutout": cutout, "flip": flip, "scale": scale, "rotate": rotate}


def parse_strategy(strategy: str) -> tuple[str, ...]:
    names = tuple(strategy.split("_"))
    for name in names:
        check_choice("DSA transformation", name, TRANSFORMS)
    return names


def dsa(images: torch.Tensor, strategy: str = STRATEGIES["cifar10"], generator: torch.Generator | None = None,
        params: DSAParams = DSAParams(), siamese: bool = False) -> torch.Tensor:
    """One of the transformations of ``strategy`` (names joined by ``_``), chosen at random,
    applied to the batch with an independent draw for every image (one draw for all of
    them with ``siamese``)."""
    names = parse_strategy(strategy)
    name = names[int(torch.randint(len(names), (1,), generator=generator))]
    return _FUNCTIONS[name](images, generator, params, siamese)
