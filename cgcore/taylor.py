"""The direct Taylor expansion of Sec. III, Eqs. (2) and (3).

Each image is a vector X of N pixels; the classifier is one linear layer on all Taylor
terms (monomials) of X up to order n,

    f^(alpha)(X) = sum_j W_{alpha j} X~_j                                   (Eq. 3)

with X~ = [1, x_i, x_i x_j (i <= j), x_i x_j x_k (i <= j <= k), ...]. On 7x7 MNIST
(N = 49) and n = 4 that is C(53, 4) = 292,825 terms. The terms are computed on the fly,
batch by batch, and never stored for the whole data set.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F

from .checks import check_choice


def term_count(n_vars: int, order: int) -> int:
    """Number of monomials of degree <= order in n_vars variables, the constant included."""
    if n_vars < 1 or order < 0:
        raise ValueError(f"need n_vars >= 1 and order >= 0, got n_vars={n_vars}, order={order}")
    return math.comb(n_vars + order, order)


def monomial_exponents(n_vars: int, order: int) -> list[tuple[int, ...]]:
    """The variable indices of every term, in the order of :class:`TaylorFeatures`.

    ``()`` is the constant, ``(i,)`` is x_i, ``(i, j)`` with i <= j is x_i x_j, and so on:
    graded by degree, then colexicographic (ordered by the last index first). In that
    order the degree-d terms whose largest index is k are exactly (all degree-(d-1) terms
    with largest index <= k) times x_k, and those form a contiguous prefix.
    """
    return [combo for degree in range(order + 1)
            for combo in sorted(itertools.combinations_with_replacement(range(n_vars), degree),
                                key=lambda c: c[::-1])]


class TaylorFeatures(nn.Module):
    """All monomials of degree 1..order of the flattened input (the constant is left out:
    it is the bias of the linear layer that follows), in the order of
    :func:`monomial_exponents`.

    Degree-d terms are built from degree-(d-1) terms with one broadcast multiply per
    variable: the block of terms ending in x_k is (a contiguous prefix of the previous
    degree) * x_k. No index tables, no gathers.
    """

    def __init__(self, n_vars: int, order: int):
        super().__init__()
        if order < 1 or n_vars < 1:
            raise ValueError(f"need order >= 1 and n_vars >= 1, got order={order}, n_vars={n_vars}")
        self.n_vars, self.order = n_vars, order

    @property
    def n_features(self) -> int:
        return term_count(self.n_vars, self.order) - 1

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.flatten(1)
        if x.shape[1] != self.n_vars:
            raise ValueError(f"expected {self.n_vars} input variables, got {x.shape[1]} "
                             f"(input shape {tuple(x.shape)})")
        n = self.n_vars
        if torch.is_grad_enabled() and x.requires_grad:  # differentiable path, for analysis
            blocks = [x]
            for degree in range(2, self.order + 1):
                blocks.append(torch.cat([blocks[-1][:, :math.comb(k + degree - 1, degree - 1)] * x[:, k:k + 1]
                                         for k in range(n)], 1))
            return torch.cat(blocks, 1)
        # Fast path: the same products, written in place into one preallocated tensor.
        out = x.new_empty(x.shape[0], self.n_features)
        out[:, :n] = x
        prev, start = 0, n
        for degree in range(2, self.order + 1):
            block_start = start
            for k in range(n):
                count = math.comb(k + degree - 1, degree - 1)
                torch.mul(out[:, prev:prev + count], x[:, k:k + 1], out=out[:, start:start + count])
                start += count
            prev = block_start
        return out


class TopDegreeContraction(nn.Module):
    """The top-degree part of Eq. (3), ``phi_top @ W_top^T``, without the top-degree terms.

    In the order of :func:`monomial_exponents` the degree-d block is, for each variable
    x_k in turn, a prefix of length c_k = C(k + d - 1, d - 1) of the degree-(d-1) block
    times x_k. So  phi_top @ W_top^T = sum_k x_k (D[:, :c_k] @ W_k^T),  D the degree-(d-1)
    block: with the W_k laid side by side (zero beyond c_k) in V (m, n * C), one matrix
    product G = D @ V and a weighted sum over k give the result, forward and backward,
    and the B x C(n + d - 1, d) top-degree matrix is never written (292,825 - 22,100 of
    the 292,825 columns at n = 49, order 4). ``groups`` splits the k into that many
    contiguous groups, each using only the prefix of D its last k needs, so that fewer of
    V's zeros are multiplied.
    """

    def __init__(self, n_vars: int, degree: int, groups: int = 7):
        super().__init__()
        if degree < 2:
            raise ValueError(f"the top degree of a contraction must be >= 2, got {degree}")
        self.n_vars, self.degree = n_vars, degree
        counts = [math.comb(k + degree - 1, degree - 1) for k in range(n_vars)]
        offsets = np.concatenate([[0], np.cumsum(counts)])
        bounds = np.linspace(0, n_vars, min(groups, n_vars) + 1).round().astype(int)
        self.lower_width = counts[-1]     # the degree-(d-1) block: C(n + d - 2, d - 1) columns
        self.groups = []        # (first k, last k + 1, prefix length, top-block columns, positions in V)
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            width = counts[hi - 1]
            cols = torch.cat([torch.arange(offsets[k], offsets[k + 1]) for k in range(lo, hi)])
            pos = torch.cat([torch.arange(counts[k]) * (hi - lo) + (k - lo) for k in range(lo, hi)])
            self.groups.append((int(lo), int(hi), int(width), cols, pos))

    def forward(self, x: torch.Tensor, lower: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
        """x (B, n), lower = the degree-(d-1) block (B, m), weight (C, n_top) -> (B, C)."""
        out = x.new_zeros(x.shape[0], weight.shape[0])
        for lo, hi, width, cols, pos in self.groups:
            w = weight.index_select(1, cols.to(weight.device)).t()                  # (n_cols, C)
            v = w.new_zeros(width * (hi - lo), weight.shape[0]).index_copy(0, pos.to(weight.device), w)
            g = lower[:, :width] @ v.view(width, -1)                                # (B, (hi - lo) * C)
            out = out + torch.einsum("bk,bkc->bc", x[:, lo:hi], g.view(len(x), hi - lo, -1))
        return out


EXPANSION_POINTS = ("zero", "mean")
CONTRACTIONS = ("materialise", "factored")
# what one learnt weight multiplies: a standardised term, or a centred term in the kernel's weighting
WEIGHTINGS = ("standardised", "kernel")


def kernel_term_weights(n_vars: int, order: int) -> torch.Tensor:
    """c_m of every term but the constant, in the order of :class:`TaylorFeatures`: the weight of
    monomial m = u_1^a_1 ... u_N^a_N (degree k = sum a_i) in the kernel
    (u.v / n_vars + 1)^order = sum_m c_m u^m v^m, i.e. c_m = C(order, k) k! / (a_1! ... a_N!) / n_vars^k.
    The scale 1 / n_vars makes u.v / n_vars of order one for variables of unit spread (the
    gamma of ``cgcore.experiments.taylor_kernel.kernel_gamma`` in the units of u)."""
    weights = []
    for combo in monomial_exponents(n_vars, order)[1:]:
        k = len(combo)
        multinomial = math.factorial(k)
        for _, power in itertools.groupby(combo):
            multinomial //= math.factorial(len(list(power)))
        weights.append(math.comb(order, k) * multinomial / n_vars ** k)
    return torch.tensor(weights, dtype=torch.float64).float()


class TaylorExpansion(nn.Module):
    """Eq. (3): a linear layer on the Taylor terms of the input.

    The terms span many orders of magnitude (x^4 of a pixel in [0, 1] is tiny), which
    makes plain gradient descent crawl. The model therefore keeps per-term statistics
    ``mean`` and ``std`` (set once from training data by :meth:`fit_standardization`)
    and learns ``weight`` in the standardised basis. That is a reparameterisation, not a
    different model: the Taylor coefficients of Eq. (3) are ``taylor_coefficients()``
    = weight / std, and the constant term absorbs the means.

    Eq. (2) expands f "at a certain point". ``expansion_point="zero"`` expands at the
    black image, in the raw pixels; ``"mean"`` expands at the mean training image, in
    centred variables u = (x - x0) / s with one spread s for all pixels. Both span the
    same polynomials (one of degree n in x is one of degree n in u), so the choice changes only
    how well gradient descent is conditioned, and in which variables the coefficients
    of Figs. 3 and 13 are read.

    ``degree_scale`` (a choice of ours, 1 by default: every standardised term alike)
    multiplies each standardised term of degree d by degree_scale ** (d - 1). The model is
    the same family of polynomials; only training changes: with Adam from zero weights a
    term's contribution moves that much more slowly, so a scale below 1 leans the fit
    towards the low orders (a prior against the many top-degree terms).

    ``weighting`` is another choice of the same kind. ``"standardised"`` (the default) learns
    one weight per standardised term, every term alike. ``"kernel"`` learns one weight per
    centred term phi_m - mean_m times sqrt(c_m), where c_m is the weight that the polynomial kernel
    (u.v / n_vars + 1)^order gives monomial m (:func:`kernel_term_weights`). That is the
    geometry of the max-margin machines of ``cgcore.experiments.taylor_kernel``: on separable
    data, gradient descent on the cross-entropy from zero heads, as it runs, for their
    maximum-margin polynomial.
    """

    def __init__(self, n_vars: int = 49, order: int = 4, n_classes: int = 10,
                 expansion_point: str = "zero", contraction: str = "materialise", degree_scale: float = 1.0,
                 weighting: str = "standardised"):
        super().__init__()
        check_choice("expansion_point", expansion_point, EXPANSION_POINTS)
        check_choice("contraction", contraction, CONTRACTIONS)
        check_choice("weighting", weighting, WEIGHTINGS)
        if not degree_scale > 0:
            raise ValueError(f"degree_scale must be a positive number, got {degree_scale}")
        self.expansion_point = expansion_point
        self.degree_scale = float(degree_scale)
        self.weighting = weighting
        self.features = TaylorFeatures(n_vars, order)
        # "factored": the same function, the top-degree terms never written (TopDegreeContraction)
        self.contraction = contraction if order >= 2 else "materialise"
        if self.contraction == "factored":
            self.lower_features = TaylorFeatures(n_vars, order - 1)
            self.top = TopDegreeContraction(n_vars, order)
        n = self.features.n_features
        self.weight = nn.Parameter(torch.zeros(n_classes, n))
        self.bias = nn.Parameter(torch.zeros(n_classes))
        # Expansion point x0 and scale s: the terms are monomials of u = (x - x0) / s.
        self.register_buffer("x0", torch.zeros(n_vars))
        self.register_buffer("x_scale", torch.ones(n_vars))
        self.register_buffer("mean", torch.zeros(n))
        self.register_buffer("std", torch.ones(n))
        # not in the state dict: a function of (n_vars, order, degree_scale, weighting)
        degrees = torch.cat([torch.full((math.comb(n_vars + d - 1, d),), float(d)) for d in range(1, order + 1)])
        gain = self.degree_scale ** (degrees - 1)
        if weighting == "kernel":
            gain = gain * kernel_term_weights(n_vars, order).sqrt()
        self.register_buffer("term_gain", gain, persistent=False)

    @property
    def n_terms(self) -> int:
        """Taylor terms retained, the constant included (the paper's p)."""
        return self.features.n_features + 1

    def variables(self, x: torch.Tensor) -> torch.Tensor:
        """The variables u = (x - x0) / s of the expansion, one row per image."""
        return (x.flatten(1) - self.x0) / self.x_scale

    def terms(self, x: torch.Tensor) -> torch.Tensor:
        """The Taylor terms (constant excluded) of a batch, expanded at ``x0``."""
        return self.features(self.variables(x))

    @torch.no_grad()
    def fit_standardization(self, images: torch.Tensor, batch_size: int = 1024, std_floor: float = 0.1,
                            eps: float = 1e-8, keep_point: bool = False) -> None:
        """Expansion point and per-term mean/std from ``images`` (a sample of the training set);
        with ``keep_point`` the expansion point and scale stay as they are."""
        if self.expansion_point == "mean" and not keep_point:
            flat = images.flatten(1).to(self.x0.device)
            self.x0.copy_(flat.mean(0))
            # One scale for all pixels: a per-pixel one would blow up the border pixels,
            # which are almost always blank in training and so have a near-zero spread.
            self.x_scale.fill_((flat - self.x0).std().item())
        total = torch.zeros_like(self.mean, dtype=torch.float64)
        total_sq = torch.zeros_like(total)
        for start in range(0, len(images), batch_size):
            phi = self.terms(images[start:start + batch_size].to(self.mean.device)).double()
            total += phi.sum(0)
            total_sq += phi.square().sum(0)
        mean = total / len(images)
        var = (total_sq / len(images) - mean.square()).clamp_min(0)
        std = var.sqrt().float()
        self.mean.copy_(mean.float())
        # Terms that barely vary in the sample (products of border pixels) would get a huge
        # weight multiplier 1/std; a floor at a fraction of the typical spread keeps them tame.
        self.std.copy_(std.clamp_min(max(std_floor * std.median().item(), eps)))

    def standardised_weight(self) -> torch.Tensor:
        """The weight of each standardised term (phi - mean) / std in the logits."""
        if self.weighting == "kernel":
            return self.weight * self.term_gain * self.std
        return self.weight * self.term_gain

    def effective_weight(self) -> torch.Tensor:
        """The Taylor coefficient of each term (constant excluded), in the variables u."""
        if self.weighting == "kernel":
            return self.weight * self.term_gain
        return self.standardised_weight() / self.std

    def weight_for(self, coefficients: torch.Tensor) -> torch.Tensor:
        """The ``weight`` whose :meth:`effective_weight` is ``coefficients``."""
        if self.weighting == "kernel":
            return coefficients / self.term_gain
        return coefficients * self.std / self.term_gain

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # (phi - mean)/std @ W^T + b, folded so the batch of terms is not copied again.
        w = self.effective_weight()
        bias = self.bias - w @ self.mean
        if self.contraction == "materialise":
            return F.linear(self.terms(x), w, bias)
        u = self.variables(x)
        low = self.lower_features(u)
        n_low = low.shape[1]
        return F.linear(low, w[:, :n_low], bias) + self.top(u, low[:, n_low - self.top.lower_width:], w[:, n_low:])

    @torch.no_grad()
    def taylor_coefficients(self) -> torch.Tensor:
        """W of Eq. (3), constant term first: (n_classes, n_terms).

        These multiply the plain monomials of u = (x - x0) / s, i.e. of the pixels
        themselves when expanded at zero (the standardisation folded back in).
        """
        w = self.effective_weight()
        constant = (self.bias - w @ self.mean).unsqueeze(1)
        return torch.cat([constant, w], dim=1)


@torch.no_grad()
def restandardised(model: TaylorExpansion, images: torch.Tensor) -> TaylorExpansion:
    """The same function as ``model`` with its per-term mean and std fitted on ``images``
    (expansion point and scale kept), weight and bias rewritten so that every Taylor
    coefficient is unchanged: how a polynomial fit some other way (e.g. a kernel machine's,
    :func:`cgcore.experiments.taylor_kernel.as_taylor_expansion`) gets the standardised basis
    in which :func:`prune_smallest` ranks its terms."""
    coefficients = model.taylor_coefficients()
    out = TaylorExpansion(model.features.n_vars, model.features.order, model.weight.shape[0],
                          model.expansion_point, degree_scale=model.degree_scale,
                          weighting=model.weighting).to(model.weight)
    out.load_state_dict(model.state_dict())
    out.fit_standardization(images.to(model.weight), keep_point=True)
    w = coefficients[:, 1:]
    out.weight.copy_(out.weight_for(w))
    out.bias.copy_(coefficients[:, 0] + w @ out.mean)
    return out


# --------------------------------------------------------------------------- pruning

PRUNE_DROPS = ("coefficient", "to_mean")


@torch.no_grad()
def prune_smallest(model: TaylorExpansion, keep: float, drop: str = "coefficient") -> TaylorExpansion:
    """Keep the ``keep`` fraction of terms with the largest weights and discard the rest
    (no fine-tuning). Sec. III: "if we discard the small weights ...".

    Terms are ranked by |weight_j| = |a_j| std_j in the standardised basis
    (:meth:`TaylorExpansion.standardised_weight`): a term's
    contribution to the logits, not its raw coefficient a_j, which for x^4 terms is
    inflated by the tiny scale of the term. What discarding means is a choice:

    * ``drop="coefficient"`` (the paper's reading): a_j = 0 in Eq. (3) and nothing else
      changes; the constant term of Eq. (3) keeps its value.
    * ``drop="to_mean"``: the standardised weight is zeroed and the bias kept, so the
      constant term absorbs a_j mean_j: the term is in effect replaced by its training mean
      (a re-centred pruning, kinder to terms that are large on average).
    """
    if not 0.0 < keep <= 1.0:
        raise ValueError(f"keep must be a fraction in (0, 1], got {keep}")
    check_choice("drop", drop, PRUNE_DROPS)
    pruned = TaylorExpansion(model.features.n_vars, model.features.order, model.weight.shape[0],
                             model.expansion_point, degree_scale=model.degree_scale,
                             weighting=model.weighting).to(model.weight)   # device and dtype
    pruned.load_state_dict(model.state_dict())
    standardised = pruned.standardised_weight()
    magnitude = standardised.abs().flatten()
    n_keep = int(round(keep * magnitude.numel()))
    if n_keep < magnitude.numel():
        threshold = magnitude.kthvalue(magnitude.numel() - n_keep).values
        small = standardised.abs() <= threshold
        if drop == "coefficient":
            # constant = bias - (w / std) . mean must not move when w loses its small entries
            pruned.bias.sub_((pruned.effective_weight() * small) @ pruned.mean)
        pruned.weight.mul_(~small)
    return pruned


# --------------------------------------------------------------------------- Figs. 3 and 13

def pixel_distances(side: int = 7) -> np.ndarray:
    """Euclidean distance d_ij between pixels i and j of a side x side grid (row-major)."""
    rows, cols = np.divmod(np.arange(side * side), side)
    return np.hypot(rows[:, None] - rows[None, :], cols[:, None] - cols[None, :])


def quadratic_coefficients(model: TaylorExpansion) -> np.ndarray:
    """The coefficients of x_i x_j (i <= j) as symmetric (n_classes, N, N) maps (Fig. 13)."""
    n = model.features.n_vars
    coeff = model.taylor_coefficients().cpu().numpy()
    exponents = monomial_exponents(n, 2)
    columns = [k for k, c in enumerate(exponents) if len(c) == 2]
    i, j = np.array([exponents[k] for k in columns]).T
    maps = np.zeros((coeff.shape[0], n, n))
    maps[:, i, j] = coeff[:, columns]
    maps[:, j, i] = maps[:, i, j]
    return maps


def quadratic_coefficients_at_zero(model: TaylorExpansion) -> np.ndarray:
    """The coefficients of x_i x_j in the plain pixels, expanded at the black image x = 0
    (Eq. 2 read literally), as symmetric (n_classes, N, N) maps like
    :func:`quadratic_coefficients`: :func:`quadratic_coefficients_at` x = 0. For a model
    expanded at the mean image the degree-3 and -4 terms contribute too, which is why this
    differs from the coefficients in u = (x - x0) / s."""
    n = model.features.n_vars
    return quadratic_coefficients_at(model, torch.zeros(1, n, device=model.weight.device))


def quadratic_coefficients_at(f, point: torch.Tensor) -> np.ndarray:
    """The second-order Taylor coefficients of every output of ``f`` at ``point`` (one input,
    any shape), in the input's own variables: the Hessian of each output, halved on the
    diagonal (the coefficient of x_i^2 is half the second derivative), as (n_outputs, N, N)
    with N the number of input variables. Works for any differentiable ``f``: the direct
    expansion of Eq. (3), or a trained TaylorNet in eval mode."""
    shape, n = point.shape, point.numel()

    def outputs(flat):
        return f(flat.view(shape)).flatten()

    # forward-over-reverse, vectorised over the N directions: one pass, not N x outputs
    maps = torch.func.jacfwd(torch.func.jacrev(outputs))(point.detach().flatten())
    hessian = maps.detach().double().cpu().numpy()
    diagonal = np.arange(n)
    hessian[:, diagonal, diagonal] /= 2
    return hessian


def weight_levels(values: np.ndarray, n_levels: int = 5, by: str = "value") -> np.ndarray:
    """Fig. 3: sort the weights ascending and cut them into n_levels equal groups, 1..n_levels.

    ``by="value"`` sorts signed values (the paper's wording); ``by="magnitude"`` sorts |w|.
    """
    check_choice("ordering", by, ("value", "magnitude"))
    key = np.abs(values) if by == "magnitude" else values
    ranks = np.empty(key.size, dtype=np.int64)
    ranks[np.argsort(key, axis=None, kind="stable")] = np.arange(key.size)
    return (ranks * n_levels // key.size + 1).reshape(values.shape)


def level_counts(upper: np.ndarray, side: int, n_levels: int = 5, by: str = "value"):
    """Fig. 3: how the quadratic weights of each level spread over pixel distances.

    ``upper`` holds the x_i x_j coefficients (i <= j, row-major upper triangle) of every
    class, shape (n_classes, side^2 (side^2 + 1) / 2); levels are cut over all classes
    together. Returns the sorted distinct distances and ``counts[level - 1, k]``, the
    number of weights of that level at distance ``distances[k]``.
    """
    iu = np.triu_indices(side * side)
    pair_distance = np.round(pixel_distances(side)[iu], 6)
    if upper.shape[-1] != pair_distance.size:
        raise ValueError(f"expected {pair_distance.size} quadratic weights per class for a "
                         f"{side}x{side} grid, got {upper.shape[-1]}")
    levels = weight_levels(upper, n_levels, by)
    distances, which = np.unique(pair_distance, return_inverse=True)
    counts = np.zeros((n_levels, distances.size), dtype=np.int64)
    np.add.at(counts, (levels - 1, np.broadcast_to(which, levels.shape)), 1)
    return distances, counts


def locality_shares(upper: np.ndarray, side: int, near: float = 1.5, far: float = 5.0,
                    by: str = "magnitude", level: int = 5) -> dict[str, float]:
    """Does the largest fifth of the quadratic weights (by magnitude, all classes pooled)
    sit on near pixel pairs, as the CG premise reads Fig. 3? Its share at distance <= near
    and >= far ("top_near", "top_far"), beside the share of all pairs at those distances
    (what no preference gives). ``by="value"`` cuts the levels by signed value, as Fig. 3's
    caption does, and ``level`` (1 to 5) picks the fifth: 5 the largest, 1 the most negative."""
    if level not in range(1, 6):
        raise ValueError(f"level must be one of 1, 2, 3, 4, 5 (L1 to L5), got {level!r}")
    distances, counts = level_counts(upper, side, by=by)
    top, everything = counts[level - 1], counts.sum(0)
    is_near, is_far = distances <= near, distances >= far
    return {"top_near": top[is_near].sum() / top.sum(), "all_near": everything[is_near].sum() / everything.sum(),
            "top_far": top[is_far].sum() / top.sum(), "all_far": everything[is_far].sum() / everything.sum()}
