"""Sec. IV: multi-level data distillation (Figs. 7 and 8, Eq. 5).

The hierarchy (Fig. 7). ``D0(10, 6000)`` is split, class by class, into groups; one group
of every class makes a subset ``D0_i(10, 10)``; each subset is distilled into one image
per class, and the distilled images form ``D1(10, 600)``. The same is repeated on D1 with
groups of 6, and so on: MNIST's group sizes are ``(10, 6, 5, 5, 4)``, down to
``D5(10, 1)``. Here subset ``j`` of level ``k + 1`` gathers subsets ``j*g ... j*g + g - 1``
of level ``k`` (``g`` its group size), so a level is a tensor ``(subsets, classes, C, H, W)``.

One distillation step (Eq. 5) minimises, for the n references ``Y_a`` of a subset,

    L = sum_a ( lambda d_aa - sum_{b != a} d_ab ),   d_ab = sum_i |f(Y_a) - f(X_b,i)|^2,

with f the embedding network of Fig. 8. Because d_ab only needs the count, the sum and the
sum of squares of the real embeddings of class b, ``eq5_loss`` takes those three
statistics (:func:`embedding_stats`) and never holds a subset's images. Expanding the
square, L is a quadratic in f(Y_a) whose leading coefficient is
``lambda m_a - sum_{b != a} m_b``: with 10 classes of equal size it is bounded below only
for lambda > 9, which is one reading of the paper's lambda = 19.

Distribution matching (Ref. 63): the synthetic images are the parameters, initialised from
real images, and f is a randomly initialised network, never trained. Ref. 63 draws a fresh
f at every iteration; ``pool_size=None`` does that, and ``pool_size=P`` cycles through P
networks whose real-image statistics are computed once per level (the cost of embedding
every real image at every iteration is what the ``cpu`` profile cannot pay).

Every subset of a level is distilled at once: one forward pass embeds the references of
all subsets, and since L is a sum over subsets with no coupling between them (instance
norm acts per image), its gradient is exactly the per-subset gradients side by side
(:func:`distill_step_loop` is the loop it replaces, kept for tests and the benchmark).
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from tqdm import tqdm

from . import distributed
from .checks import check_choice
from .models import distill_convnet
from .results import load_checkpoint, note_restored_seconds
from .train import PRECISIONS, autocast, default_device, memory_format, save_atomic

LEVEL0_MODES = ("exact", "uneven")
INITS = ("real", "mean", "noise")


# --------------------------------------------------------------------------- the hierarchy (Fig. 7)

def images_per_class(group_sizes, level: int) -> int:
    """Images per class at ``level`` of a balanced hierarchy: the product of the group
    sizes of the steps still to come (D0: 6000, D1: 600, ..., D5: 1 for MNIST)."""
    return int(np.prod(group_sizes[level:], dtype=np.int64))


def check_group_sizes(group_sizes) -> tuple[int, ...]:
    sizes = tuple(group_sizes)
    if not sizes or any(not isinstance(g, (int, np.integer)) or isinstance(g, bool) or g < 1 for g in sizes):
        raise ValueError(f"group sizes must be a non-empty list of positive integers, got {list(group_sizes)}")
    return tuple(int(g) for g in sizes)


def assign_level0(labels: torch.Tensor, n_classes: int, group_sizes, mode: str = "exact",
                  seed: int = 0) -> torch.Tensor:
    """The level-1 subset of every original image (-1 for none): Fig. 7's first split.

    Each class is shuffled and cut into ``images_per_class(group_sizes, 1)`` groups.
    ``mode="exact"`` needs every class to hold exactly ``images_per_class(group_sizes, 0)``
    images (MNIST's "6000"); ``mode="uneven"`` cuts a class of any size into that many
    groups of nearly equal size (:func:`level0_group_sizes`; MNIST's 5421-6742 images per
    class give groups of 9 to 12).
    """
    sizes = check_group_sizes(group_sizes)
    check_choice("level0 mode", mode, LEVEL0_MODES)
    n_subsets, want = images_per_class(sizes, 1), images_per_class(sizes, 0)
    counts = torch.bincount(labels, minlength=n_classes)
    if len(counts) != n_classes:
        raise ValueError(f"labels go up to {len(counts) - 1}, but n_classes is {n_classes}")
    g = torch.Generator().manual_seed(seed)
    subset = torch.full_like(labels, -1)
    for c in range(n_classes):
        n = int(counts[c])
        if mode == "exact" and n != want:
            raise ValueError(
                f"class {c} has {n} images, but group sizes {list(sizes)} need exactly {want} per class "
                f"({sizes[0]} images in each of {n_subsets} groups). Choose group sizes whose product is "
                f"{n}, or level0='uneven' to cut each class into {n_subsets} groups of nearly equal size.")
        if n < n_subsets:
            raise ValueError(f"class {c} has {n} images, fewer than the {n_subsets} groups of level 1")
        members = torch.nonzero(labels == c).flatten()
        members = members[torch.randperm(n, generator=g)]
        # group j gets members j, j + n_subsets, ... : sizes floor(n/S) or ceil(n/S)
        subset[members] = torch.arange(n) % n_subsets
    return subset


def level0_group_sizes(class_sizes, n_subsets: int) -> tuple[int, int]:
    """The smallest and largest group that :func:`assign_level0` cuts classes of
    ``class_sizes`` images into, ``n_subsets`` groups per class."""
    return min(n // n_subsets for n in class_sizes), max(-(-n // n_subsets) for n in class_sizes)


def next_level_subsets(n_subsets: int, group_size: int) -> torch.Tensor:
    """Subset of level k+1 that each subset of level k belongs to (consecutive groups)."""
    if n_subsets % group_size:
        raise ValueError(f"{n_subsets} distilled images per class cannot be cut into groups of {group_size}")
    return torch.arange(n_subsets) // group_size


# --------------------------------------------------------------------------- Eq. (5)

_COMPILED_FORWARD = None


def compiled_forward():
    """``torch.compile`` of ``net(x)`` with the network as an argument: compiled once (about
    10 s on 2 cores), then reused by every fresh network of the same architecture (its
    weights are inputs of the graph, not constants), so a fresh network per iteration does
    not recompile. The batch dimension is dynamic: subsets hold different numbers of real
    images, and a static graph would recompile for every new batch size."""
    global _COMPILED_FORWARD
    if _COMPILED_FORWARD is None:
        _COMPILED_FORWARD = torch.compile(lambda net, x: net(x), dynamic=True)
    return _COMPILED_FORWARD


@torch.no_grad()
def embed_real(net: nn.Module, images: torch.Tensor, batch_size: int = 1024,
               precision: str = "float32", compiled: bool = False) -> torch.Tensor:
    """f(X) for real images, batch by batch, in float32 whatever ``precision`` the
    network runs in (the cost a fresh network per iteration pays every iteration);
    ``compiled``: through :func:`compiled_forward`."""
    device = next(net.parameters()).device
    forward = compiled_forward() if compiled else (lambda n, x: n(x))
    with autocast(precision, device):
        return torch.cat([forward(net, images[i:i + batch_size].to(device)).float()
                          for i in range(0, len(images), batch_size)])


@torch.no_grad()
def embedding_stats(net: nn.Module, images: torch.Tensor, labels: torch.Tensor, subset: torch.Tensor,
                    n_subsets: int, n_classes: int, batch_size: int = 1024, precision: str = "float32",
                    compiled: bool = False):
    """Per (subset, class): count m, sum of embeddings S (E,) and sum of squared norms Q.

    Images with subset -1 are skipped. Returns (counts (S, C), sums (S, C, E), sq (S, C)),
    accumulated in float32 (``precision`` is that of the network's forward pass).
    """
    device = next(net.parameters()).device
    keep = subset >= 0
    images, slot = images[keep], (subset[keep] * n_classes + labels[keep]).to(device)
    sums = sq = None
    for i in range(0, len(images), batch_size):
        f = embed_real(net, images[i:i + batch_size], batch_size, precision, compiled)
        if sums is None:
            sums = torch.zeros(n_subsets * n_classes, f.shape[1], device=device)
            sq = torch.zeros(n_subsets * n_classes, device=device)
        sums.index_add_(0, slot[i:i + batch_size], f)
        sq.index_add_(0, slot[i:i + batch_size], f.pow(2).sum(1))
    counts = torch.bincount(slot, minlength=n_subsets * n_classes).float()
    return (counts.view(n_subsets, n_classes), sums.view(n_subsets, n_classes, -1),
            sq.view(n_subsets, n_classes))


def eq5_distances(fy: torch.Tensor, counts: torch.Tensor, sums: torch.Tensor, sq: torch.Tensor) -> torch.Tensor:
    """d_ab = sum_i |f(Y_a) - f(X_b,i)|^2 = m_b |f(Y_a)|^2 - 2 f(Y_a).S_b + Q_b, for every
    subset: fy (S, C, E) -> d (S, C, C), indexed [subset, a, b]."""
    return (counts[:, None, :] * fy.pow(2).sum(-1)[:, :, None]
            - 2 * torch.einsum("sae,sbe->sab", fy, sums) + sq[:, None, :])


def eq5_loss(fy, counts, sums, sq, lam: float = 19.0) -> torch.Tensor:
    """Eq. (5) for every subset: L = sum_a (lam d_aa - sum_{b != a} d_ab), shape (S,)."""
    d = eq5_distances(fy, counts, sums, sq)
    diag = torch.diagonal(d, dim1=1, dim2=2)
    return ((lam + 1) * diag - d.sum(-1)).sum(-1)


def mean_matching_loss(fy: torch.Tensor, counts: torch.Tensor, sums: torch.Tensor) -> torch.Tensor:
    """Ref. 63's loss for one reference per class, per subset, shape (S,):
    sum_a |f(Y_a) - mean_i f(X_a,i)|^2. It is Eq. (5)'s lambda -> infinity limit (divided by
    lambda m_a): only the own class pulls, no other class pushes."""
    mean = sums / counts.clamp(min=1)[..., None]
    return (fy - mean).pow(2).sum(-1).sum(-1)


def arcface_loss(fy: torch.Tensor, fx: torch.Tensor, x_labels: torch.Tensor, x_subset: torch.Tensor,
                 scale: float = 16.0, margin: float = 0.3) -> torch.Tensor:
    """The angular alternative of Sec. IV (ArcFace, Ref. 90), per subset, shape (S,).

    The references of a subset act as ArcFace's class weights: each real image of the subset
    is classified by s cos(theta) against the C references, with the margin m added to the
    angle to its own class; the loss is the cross-entropy summed over the subset's images.
    fy (S, C, E) references, fx (N, E) real embeddings with their labels and subsets.
    """
    w = F.normalize(fy, dim=-1)
    x = F.normalize(fx, dim=-1)
    cos = torch.einsum("ne,nce->nc", x, w[x_subset]).clamp(-1 + 1e-6, 1 - 1e-6)
    target = F.one_hot(x_labels, fy.shape[1]).bool()
    logits = scale * torch.where(target, torch.cos(torch.acos(cos) + margin), cos)
    per_image = F.cross_entropy(logits, x_labels, reduction="none")
    return torch.zeros(fy.shape[0], device=fy.device).index_add(0, x_subset, per_image)


# --------------------------------------------------------------------------- one level

@dataclass
class DistillConfig:
    """One distillation level's settings (the choices the paper leaves open are named here)."""

    iterations: int = 200
    lr: float = 0.05               # Adam on the pixels of the standardised images
    lam: float = 19.0              # Eq. (5)
    loss: str = "euclidean"        # or "arcface"
    width: int = 128               # Fig. 8
    depth: int = 3
    pool_size: int | None = None   # None: a fresh network every iteration (Ref. 63)
    init: str = "real"             # "real": the group's first image; "mean": its mean; "noise"
    arcface_scale: float = 16.0
    arcface_margin: float = 0.3
    subset_chunk: int = 200        # subsets per forward pass (memory only; the result is the same)
    embed_batch: int = 1024
    # Speed, not the method: the forward pass over the real images (no gradient) and the
    # references' forward and backward, each in "float32" or "bfloat16" (autocast), and the
    # networks' activations in NHWC layout. distill_embed_bench measures both.
    embed_precision: str = "float32"
    step_precision: str = "float32"
    channels_last: bool = False
    embed_compile: bool = False    # the real images' forward pass through torch.compile
    # Ref. 63's Siamese augmentation during distillation (None: none, as the paper says
    # nothing of it): at every iteration one DSA draw transforms the real images and the
    # references alike before the network embeds them (cgcore.dsa, e.g. "color_crop_cutout_flip_scale_rotate").
    dsa_strategy: str | None = None
    seed: int = 0

    def __post_init__(self):
        check_choice("loss", self.loss, LOSSES)
        if self.dsa_strategy is not None:
            from .dsa import parse_strategy

            parse_strategy(self.dsa_strategy)
            if self.pool_size is not None:
                raise ValueError("dsa_strategy needs a fresh network every iteration (pool_size=None): a pooled "
                                 "network's real-image statistics are computed once, without the iteration's draw")
        check_choice("init", self.init, INITS)
        check_choice("embed_precision", self.embed_precision, PRECISIONS)
        check_choice("step_precision", self.step_precision, PRECISIONS)
        if self.iterations < 0 or self.lr <= 0:
            raise ValueError(f"iterations must be >= 0 and lr > 0, got {self.iterations}, {self.lr}")
        if self.pool_size is not None and self.pool_size < 1:
            raise ValueError(f"pool_size must be None or >= 1, got {self.pool_size}")
        if self.loss == "euclidean" and self.lam <= 0:
            raise ValueError(f"lambda must be positive, got {self.lam}")


class SiameseAugmented(nn.Module):
    """f(DSA(x)) with one and the same DSA draw for every batch it embeds, so that the real
    images and the references of an iteration are transformed alike (Ref. 63)."""

    def __init__(self, net: nn.Module, strategy: str, seed: int):
        super().__init__()
        self.net, self.strategy, self.seed = net, strategy, seed

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        from .dsa import dsa

        return self.net(dsa(x, self.strategy, torch.Generator().manual_seed(self.seed), siamese=True))


def embedding_net(cfg: DistillConfig, in_channels: int, image_size: int, seed: int,
                  device) -> nn.Module:
    """A randomly initialised Fig. 8 network, never trained (distribution matching)."""
    torch.manual_seed(seed)
    net = distill_convnet(in_channels, image_size, cfg.width, cfg.depth)
    net = net.to(device=device, memory_format=memory_format(cfg.channels_last))
    for p in net.parameters():
        p.requires_grad_(False)
    return net


def initial_references(images, labels, subset, n_subsets: int, n_classes: int, init: str,
                       seed: int = 0) -> torch.Tensor:
    """(S, C, ch, H, W): the starting point of every reference of a level."""
    check_choice("init", init, INITS)
    shape = (n_subsets, n_classes, *images.shape[1:])
    if init == "noise":
        return torch.randn(shape, generator=torch.Generator().manual_seed(seed))
    keep = subset >= 0
    slot = subset[keep] * n_classes + labels[keep]
    flat = images[keep].flatten(1)
    if init == "mean":
        total = torch.zeros(n_subsets * n_classes, flat.shape[1]).index_add_(0, slot, flat)
        count = torch.bincount(slot, minlength=n_subsets * n_classes).clamp(min=1)
        return (total / count[:, None]).view(shape)
    # the first image of each (subset, class), in the order of the data
    first = torch.full((n_subsets * n_classes,), len(slot), dtype=torch.long)
    first.scatter_reduce_(0, slot, torch.arange(len(slot)), reduce="amin")
    if (first == len(slot)).any():
        raise ValueError("some (subset, class) has no image to start from")
    return flat[first].view(shape).clone()


# --------------------------------------------------------------------------- the losses


class ClassStatsLoss:
    """A loss that needs of the real images only, per (subset, class), the count, the sum
    and the sum of squares of their embeddings: a pass over the real images is three
    small tensors, and a chunk of subsets is a slice of them."""

    def real_terms(self, cfg, net, images, labels, subset, n_subsets, n_classes):
        return embedding_stats(net, images, labels, subset, n_subsets, n_classes, cfg.embed_batch,
                               cfg.embed_precision, cfg.embed_compile)

    def chunk(self, terms, lo: int, hi: int):
        return tuple(t[lo:hi] for t in terms)


class Eq5Loss(ClassStatsLoss):
    """Eq. (5), the paper's loss (:func:`eq5_loss`, with the config's ``lam``)."""

    def __call__(self, cfg, fy, terms) -> torch.Tensor:
        return eq5_loss(fy, *terms, lam=cfg.lam)


class MeanMatchingLoss(ClassStatsLoss):
    """Ref. 63's loss, Eq. (5)'s lambda -> infinity limit (:func:`mean_matching_loss`)."""

    def __call__(self, cfg, fy, terms) -> torch.Tensor:
        return mean_matching_loss(fy, *terms[:2])


class ArcFaceLoss:
    """Sec. IV's angular alternative (:func:`arcface_loss`): it needs every real image's
    normalised embedding, with its label and subset."""

    def real_terms(self, cfg, net, images, labels, subset, n_subsets, n_classes):
        keep = subset >= 0
        device = next(net.parameters()).device
        fx = embed_real(net, images[keep], cfg.embed_batch, cfg.embed_precision, cfg.embed_compile)
        return F.normalize(fx, dim=-1), labels[keep].to(device), subset[keep].to(device)

    def chunk(self, terms, lo: int, hi: int):
        fx, y, s = terms
        keep = (s >= lo) & (s < hi)
        return fx[keep], y[keep], s[keep] - lo

    def __call__(self, cfg, fy, terms) -> torch.Tensor:
        fx, y, s = terms
        return arcface_loss(fy, fx, y, s, cfg.arcface_scale, cfg.arcface_margin)


# name (DistillConfig.loss) -> the loss: what it needs of the real images (``real_terms``),
# how those are cut for a chunk of subsets (``chunk``), and its value per subset, shape (S,).
# A new loss is one more entry.
LOSSES = {"euclidean": Eq5Loss(), "arcface": ArcFaceLoss(), "mean_matching": MeanMatchingLoss()}


def _real_terms(cfg, net, images, labels, subset, n_subsets, n_classes):
    """What ``cfg.loss`` needs of the real images under ``net``."""
    return LOSSES[cfg.loss].real_terms(cfg, net, images, labels, subset, n_subsets, n_classes)


def _loss(cfg, fy, terms, lo: int, hi: int) -> torch.Tensor:
    """``cfg.loss`` per subset for the references' embeddings ``fy`` of subsets lo..hi-1."""
    loss = LOSSES[cfg.loss]
    return loss(cfg, fy, loss.chunk(terms, lo, hi))


def _embed_references(cfg, net, references: torch.Tensor) -> torch.Tensor:
    """f(Y) for (S, C, ch, H, W) references -> (S, C, E) float32, with the gradient."""
    with autocast(cfg.step_precision, references.device):
        f = net(references.flatten(0, 1))
    return f.float().view(*references.shape[:2], -1)


def distill_step(references: torch.Tensor, net: nn.Module, terms, cfg: DistillConfig) -> float:
    """Eq. (5) for every subset at once and its gradient, accumulated in ``references.grad``.

    ``references`` (S, C, ch, H, W) requires grad; ``terms`` are the real images' terms
    under ``net``. Subsets are embedded ``cfg.subset_chunk`` at a time (the loss is a sum
    over subsets, so the chunking changes memory, not the result). Returns the total loss.
    """
    n_subsets, n_classes = references.shape[:2]
    total = 0.0
    for lo in range(0, n_subsets, cfg.subset_chunk):
        hi = min(lo + cfg.subset_chunk, n_subsets)
        fy = _embed_references(cfg, net, references[lo:hi])
        loss = _loss(cfg, fy, terms, lo, hi).sum()
        loss.backward()
        total += loss.item()
    return total


def distill_step_loop(references: torch.Tensor, net: nn.Module, terms, cfg: DistillConfig) -> float:
    """The same step as :func:`distill_step`, one subset at a time (the baseline the
    batched step replaces; for the equality test and the benchmark)."""
    n_subsets, n_classes = references.shape[:2]
    total = 0.0
    for s in range(n_subsets):
        fy = _embed_references(cfg, net, references[s:s + 1])
        loss = _loss(cfg, fy, terms, s, s + 1).sum()
        loss.backward()
        total += loss.item()
    return total


@dataclass
class LevelResult:
    references: torch.Tensor            # (S, C, ch, H, W), standardised pixels
    loss: list = field(default_factory=list)
    seconds: float = 0.0
    embed_seconds: float = 0.0


def distill_level(images: torch.Tensor, labels: torch.Tensor, subset: torch.Tensor, n_subsets: int,
                  n_classes: int, cfg: DistillConfig, *, level: int = 1, progress: bool = True,
                  desc: str = "distill", fixed_net: nn.Module | None = None) -> LevelResult:
    """Distil one image per class out of every subset of a level, all subsets together.

    images (N, ch, H, W) standardised, labels (N,), subset (N,) in [0, n_subsets) or -1.
    ``fixed_net``: one given network (e.g. a trained backbone's feature extractor, frozen)
    embeds every iteration instead of Fig. 8's random ones (``cfg.width``, ``depth`` and
    ``pool_size`` are then unused).

    Under torchrun the subsets are independent work: each rank distils a contiguous block of
    them (:func:`cgcore.distributed.shard`) with the same networks, and the references and
    losses are gathered, so every rank returns the whole level.
    """
    if fixed_net is not None and cfg.dsa_strategy is not None:
        raise ValueError("fixed_net computes the real images' statistics once per level, so it cannot be "
                         "combined with dsa_strategy (a new augmentation draw every iteration)")
    start = time.perf_counter()
    initial = initial_references(images, labels, subset, n_subsets, n_classes, cfg.init, seed=cfg.seed + level)
    w = distributed.world()
    if w.size == 1 or n_subsets < w.size:
        result = _distill_block(images, labels, subset, initial, cfg, level, progress, desc, fixed_net)
        result.loss = [total / n_subsets for total in result.loss]
    else:
        lo, hi = distributed.shard(n_subsets, w)
        mine = (subset >= lo) & (subset < hi)
        block = _distill_block(images[mine], labels[mine], subset[mine] - lo, initial[lo:hi], cfg, level,
                               progress and w.is_main, desc, fixed_net)
        totals = distributed.gather_cat(torch.tensor(block.loss, dtype=torch.float64)[None]).sum(0)
        result = LevelResult(distributed.gather_cat(block.references), (totals / n_subsets).tolist(),
                             embed_seconds=block.embed_seconds)
    result.seconds = time.perf_counter() - start
    return result


def _distill_block(images, labels, subset, initial: torch.Tensor, cfg: DistillConfig, level: int,
                   progress: bool, desc: str, fixed_net: nn.Module | None) -> LevelResult:
    """The optimisation of :func:`distill_level` for the subsets of ``initial`` (S, C, ...)
    (``subset`` numbers them from 0); its ``loss`` holds each iteration's total over them."""
    device = default_device()
    n_subsets, n_classes = initial.shape[:2]
    refs = initial.to(device).requires_grad_(True)
    opt = torch.optim.Adam([refs], lr=cfg.lr)
    in_channels, image_size = images.shape[1], images.shape[-1]
    pool: dict[int, tuple] = {}
    embed_seconds = 0.0
    losses = []
    bar = tqdm(range(cfg.iterations), desc=f"{desc} level {level}", disable=not progress,
               leave=False, mininterval=2.0)
    fresh = cfg.pool_size is None and fixed_net is None
    for it in bar:
        key = 0 if fixed_net is not None else it if cfg.pool_size is None else it % cfg.pool_size
        net_seed = cfg.seed * 1_000_003 + level * 10_007 + key
        if key not in pool:
            t0 = time.perf_counter()
            net = fixed_net if fixed_net is not None else embedding_net(cfg, in_channels, image_size, net_seed, device)
            if cfg.dsa_strategy is not None:
                net = SiameseAugmented(net, cfg.dsa_strategy, seed=net_seed)
            pool[key] = (net, _real_terms(cfg, net, images, labels, subset, n_subsets, n_classes))
            embed_seconds += time.perf_counter() - t0
        net, terms = pool[key]
        if fresh:
            del pool[key]
        opt.zero_grad(set_to_none=True)
        total = distill_step(refs, net, terms, cfg)
        if not math.isfinite(total):
            raise FloatingPointError(f"non-finite distillation loss at level {level}, iteration {it}")
        opt.step()
        losses.append(total)
        bar.set_postfix(loss=f"{total / n_subsets:.4g}", refresh=False)
    return LevelResult(refs.detach().cpu(), losses, embed_seconds=embed_seconds)


# --------------------------------------------------------------------------- Ref. 63, flat

@dataclass
class DMConfig:
    """Distribution matching as Ref. 63 runs it: one level, ``ipc`` images per class learnt
    from the whole training set; at every iteration a fresh random network, a random batch
    of ``batch_real`` real images per class, one Siamese DSA transformation per class shared
    by the real and the synthetic images, and the loss
    sum_c |mean f(DSA(X_c)) - mean f(DSA(Y_c))|^2, minimised by SGD on the pixels."""

    iterations: int = 2000
    lr: float = 1.0                 # SGD on the standardised pixels, as Ref. 63
    momentum: float = 0.5
    batch_real: int = 64
    ipc: int = 1
    width: int = 128
    depth: int = 3
    dsa_strategy: str = "color_crop_cutout_flip_scale_rotate"
    embed_precision: str = "float32"
    channels_last: bool = False
    seed: int = 0

    def __post_init__(self):
        if self.iterations < 0 or self.lr <= 0 or self.batch_real < 1 or self.ipc < 1:
            raise ValueError(f"DMConfig needs iterations >= 0, lr > 0, batch_real >= 1, ipc >= 1; got "
                             f"{self.iterations}, {self.lr}, {self.batch_real}, {self.ipc}")
        check_choice("embed_precision", self.embed_precision, PRECISIONS)


def distribution_matching(images: torch.Tensor, labels: torch.Tensor, n_classes: int, cfg: DMConfig, *,
                          progress: bool = True, desc: str = "DM") -> LevelResult:
    """Ref. 63's distillation of ``images`` (N, ch, H, W, standardised) into ``cfg.ipc``
    images per class, initialised from random real images; returns a :class:`LevelResult`
    with references of shape (ipc, C, ch, H, W). Every random draw is a function of
    (seed, iteration, class), so a run is reproducible. Under torchrun each rank matches a
    block of the classes (the same networks on every rank) and the images are gathered."""
    from .dsa import dsa

    device = default_device()
    start = time.perf_counter()
    g = torch.Generator().manual_seed(cfg.seed)
    members = [torch.nonzero(labels == c).flatten() for c in range(n_classes)]
    init = torch.stack([images[m[torch.randperm(len(m), generator=g)[:cfg.ipc]]] for m in members], dim=1)
    refs = init.clone().to(device).requires_grad_(True)                 # (ipc, C, ch, H, W)
    opt = torch.optim.SGD([refs], lr=cfg.lr, momentum=cfg.momentum)
    level_cfg = DistillConfig(width=cfg.width, depth=cfg.depth, channels_last=cfg.channels_last)
    losses, embed_seconds = [], 0.0
    w = distributed.world()
    lo, hi = distributed.shard(n_classes, w) if n_classes >= w.size else (0, n_classes)
    bar = tqdm(range(cfg.iterations), desc=desc, disable=not (progress and w.is_main), leave=False,
               mininterval=2.0)
    for it in bar:
        net = embedding_net(level_cfg, images.shape[1], images.shape[-1], cfg.seed * 1_000_003 + it, device)
        opt.zero_grad(set_to_none=True)
        total = 0.0
        for c, m in list(enumerate(members))[lo:hi]:
            draw = torch.Generator().manual_seed(cfg.seed * 7_919_993 + it * 1_009 + c)
            real = images[m[torch.randint(len(m), (cfg.batch_real,), generator=draw)]].to(device)
            dsa_seed = int(torch.randint(2**31 - 1, (1,), generator=draw))
            t0 = time.perf_counter()
            real = dsa(real, cfg.dsa_strategy, torch.Generator().manual_seed(dsa_seed), siamese=True)
            target = embed_real(net, real, len(real), cfg.embed_precision).mean(0)
            embed_seconds += time.perf_counter() - t0
            syn = dsa(refs[:, c], cfg.dsa_strategy, torch.Generator().manual_seed(dsa_seed), siamese=True)
            loss = (net(syn).float().mean(0) - target).pow(2).sum()
            loss.backward()
            total += loss.item()
        if not math.isfinite(total):
            raise FloatingPointError(f"non-finite distribution-matching loss at iteration {it}")
        opt.step()
        losses.append(total)
        bar.set_postfix(loss=f"{total:.4g}", refresh=False)
    refs = refs.detach().cpu()
    if w.size > 1 and n_classes >= w.size:
        refs = distributed.gather_cat(refs[:, lo:hi], dim=1)
        losses = distributed.gather_cat(torch.tensor(losses, dtype=torch.float64)[None]).sum(0).tolist()
    return LevelResult(refs, losses, time.perf_counter() - start, embed_seconds)


# --------------------------------------------------------------------------- the whole hierarchy

def distill_hierarchy(images: torch.Tensor, labels: torch.Tensor, n_classes: int, group_sizes,
                      configs: list[DistillConfig], *, level0: str = "exact", seed: int = 0,
                      checkpoint_dir: Path | None = None, progress: bool = True,
                      desc: str = "distill", fixed_net: nn.Module | None = None) -> list[LevelResult]:
    """Fig. 7: D0 -> D1 -> ... -> D_L, one :class:`DistillConfig` per level.

    With ``checkpoint_dir`` every finished level is saved (``level<k>.pt``) and a later call
    resumes after the last saved level. ``fixed_net`` is passed to every level
    (:func:`distill_level`). Returns the L levels' results; level k's
    ``references`` has shape (images_per_class(group_sizes, k), n_classes, ch, H, W).
    """
    sizes = check_group_sizes(group_sizes)
    if len(configs) != len(sizes):
        raise ValueError(f"{len(sizes)} group sizes need {len(sizes)} level configs, got {len(configs)}")
    subset = assign_level0(labels, n_classes, sizes, level0, seed)
    n_subsets = images_per_class(sizes, 1)
    results = []
    for k, cfg in enumerate(configs, start=1):
        path = checkpoint_dir / f"level{k}.pt" if checkpoint_dir is not None else None
        if path is not None and path.exists():
            state = load_checkpoint(path)
            result = LevelResult(**state)
            note_restored_seconds(result.seconds)
        else:
            result = distill_level(images, labels, subset, n_subsets, n_classes, cfg, level=k,
                                   progress=progress, desc=desc, fixed_net=fixed_net)
            if path is not None:
                save_atomic(asdict(result), path)
        if progress:
            tqdm.write(f"{desc} level {k}: {tuple(result.references.shape[:2])} in {result.seconds:.0f}s "
                       f"(embedding the real images {result.embed_seconds:.0f}s)")
        results.append(result)
        if k < len(sizes):
            # the distilled images become the data of the next level
            refs = result.references
            images = refs.flatten(0, 1)
            labels = torch.arange(n_classes).repeat(n_subsets)
            subset = next_level_subsets(n_subsets, sizes[k]).repeat_interleave(n_classes)
            n_subsets //= sizes[k]
    return results


@torch.no_grad()
def unseen_network_scores(references: torch.Tensor, nets, images: torch.Tensor, labels: torch.Tensor,
                          subset: torch.Tensor, lam: float = 19.0) -> dict[str, float]:
    """How well the references of a level match their real images in embeddings they were
    not distilled in, averaged over ``nets``:

    * ``eq5_loss``: Eq. (5) per subset (lower is better);
    * ``gap_to_class_mean``: |f(Y) - mean f(X)|^2 over the mean |f(X) - mean f(X)|^2 of the
      real images of the same subset and class, averaged over them; 0 means the reference
      sits on the class mean, and a random real image of the class scores about 1.
    """
    n_subsets, n_classes = references.shape[:2]
    losses, gaps = [], []
    for net in nets:
        device = next(net.parameters()).device
        counts, sums, sq = embedding_stats(net, images, labels, subset, n_subsets, n_classes)
        fy = net(references.flatten(0, 1).to(device)).float().view(n_subsets, n_classes, -1)
        mean = sums / counts[..., None]
        spread = sq / counts - mean.pow(2).sum(-1)
        losses.append(eq5_loss(fy, counts, sums, sq, lam).mean().item())
        gaps.append(((fy - mean).pow(2).sum(-1) / spread).mean().item())
    return {"eq5_loss": sum(losses) / len(losses), "gap_to_class_mean": sum(gaps) / len(gaps)}


# --------------------------------------------------------------------------- Supplement E, Eq. (S3)

def similarity_measures(images: torch.Tensor) -> tuple[float, float]:
    """Eq. (S3) for one class at one level: the mean cosine similarity s and the mean
    squared Euclidean distance d over ordered pairs m != n of images normalised to unit
    length. The paper's prefactor is written 1/tau with tau = 1/(n(n-1)); the mean over
    the n(n-1) ordered pairs is what is meant. (For unit vectors |X_m - X_n|^2 = 2 - 2<X_m|X_n>,
    so d = 2 - 2s whatever the images.)"""
    n = images.shape[0]
    if n < 2:
        raise ValueError(f"Eq. (S3) needs at least two images, got {n}")
    x = F.normalize(images.flatten(1).double(), dim=1)
    gram = x @ x.T
    off = ~torch.eye(n, dtype=torch.bool)
    sq_norm = gram.diagonal()
    dist = sq_norm[:, None] + sq_norm[None, :] - 2 * gram
    return gram[off].mean().item(), dist[off].mean().item()


# --------------------------------------------------------------------------- Fig. 9: blur or noise?

def high_frequency_fraction(images: torch.Tensor, cutoff: float = 0.25) -> float:
    """The share of the images' spectral power above ``cutoff`` cycles per pixel (0.25 is
    half the Nyquist frequency), each image's mean removed first, averaged over images and
    channels. Blurring lowers it; pixel noise raises it (white noise scores about 0.8)."""
    x = images.double()
    x = x - x.mean(dim=(-2, -1), keepdim=True)
    power = torch.fft.fft2(x).abs().pow(2)
    fy = torch.fft.fftfreq(x.shape[-2], dtype=torch.float64)[:, None]
    fx = torch.fft.fftfreq(x.shape[-1], dtype=torch.float64)[None, :]
    high = (fy.pow(2) + fx.pow(2)).sqrt() > cutoff
    total = power.sum(dim=(-2, -1))
    share = (power * high).sum(dim=(-2, -1)) / total.clamp(min=1e-30)
    return share[total > 0].mean().item()


def saturated_fraction(pixels: torch.Tensor) -> float:
    """The share of pixel values at or beyond the ends of [0, 1] (before clamping)."""
    return ((pixels <= 0) | (pixels >= 1)).double().mean().item()


# --------------------------------------------------------------------------- classification by references

@torch.no_grad()
def embed(features: Callable[[torch.Tensor], torch.Tensor], images: torch.Tensor,
          batch_size: int = 512) -> torch.Tensor:
    """Unit-length embeddings of ``images`` under ``features`` (a backbone without its head)."""
    out = [F.normalize(features(images[i:i + batch_size]).flatten(1).float(), dim=1).cpu()
           for i in range(0, len(images), batch_size)]
    return torch.cat(out)


def class_centroids(embeddings: torch.Tensor, labels: torch.Tensor, n_classes: int) -> torch.Tensor:
    """The mean unit embedding of each class, (n_classes, E): the best single reference per
    class a cosine classifier can have in a given embedding (the ceiling of Sec. IV's test)."""
    return torch.stack([embeddings[labels == c].mean(0) for c in range(n_classes)])


def centroid_alignment(reference_embeddings: torch.Tensor, reference_labels: torch.Tensor,
                       centroids: torch.Tensor) -> dict[str, float]:
    """Where references sit in a trained embedding, against the class centroids: the mean
    cosine to their own class's centroid, the mean margin (that cosine less the largest
    cosine to another class's centroid; negative: closer to another class), and the share
    of references whose nearest centroid is their own class's."""
    cos = reference_embeddings @ F.normalize(centroids, dim=1).T
    own = cos.gather(1, reference_labels[:, None]).squeeze(1)
    other = cos.masked_fill(F.one_hot(reference_labels, cos.shape[1]).bool(), float("-inf")).max(1).values
    return {"cos_to_own_centroid": own.mean().item(), "margin": (own - other).mean().item(),
            "nearest_centroid_is_own": (cos.argmax(1) == reference_labels).float().mean().item()}


def nearest_reference_accuracy(test_embeddings: torch.Tensor, test_labels: torch.Tensor,
                               reference_embeddings: torch.Tensor, reference_labels: torch.Tensor) -> float:
    """Sec. IV: each test image takes the class of its most cosine-similar reference."""
    cos = test_embeddings @ reference_embeddings.T
    predicted = reference_labels[cos.argmax(1)]
    return (predicted == test_labels).float().mean().item()
