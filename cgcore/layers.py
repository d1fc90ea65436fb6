"""The coarse-graining (CG) operation of Sec. III, Eq. (4), as a PyTorch layer.

A CG maps each local cluster of m lower-level variables (a k x k window of every input
channel, m = C_in k^2) to one higher-level variable per output channel by a second-order
Taylor polynomial,

    x_alpha^(n+1) = c^(0) + sum_i c_i^(1) x_i + sum_{i<=j} c_ij^(2) x_i x_j       (Eq. 4)

Clusters are laid out exactly like the windows of ``nn.Conv2d`` (kernel, stride, padding,
dilation): a 2x2 kernel with stride 2 is the non-overlapping CG of Fig. 4(b), and stride 1
with dilation 2 is the dilated CG ``CG(2, 2, n, 1, 1, 2)`` of Fig. 6. A CG with order 1 is
a convolution (Fig. 4(a)).

Two parameterisations of the polynomial:

``"full"``        Eq. (4) literally: a constant, m linear and m(m+1)/2 quadratic
                  coefficients per output channel. Exact but O(m^2): 2.1 M parameters for one
                  64 -> 64 channel 2x2 CG, so it is meant for small layers.
``"factorised"``  y = a(x) + sum_{r=1..rank} b_r(x) c_r(x), with a, b_r, c_r convolutions of
                  the layer's geometry (a carries the bias). Each output's quadratic form is a
                  sum of ``rank`` rank-1 products: (1 + 2 rank) C_out m + C_out parameters.
                  For order K > 2 the degree-d part (d = 2..K) is a sum of ``rank`` products
                  of d convolutions.

No activation function is involved: a stack of L order-2 CGs is a polynomial of degree 2^L
of its input.
"""

from __future__ import annotations

import torch
from torch import nn
import torch.nn.functional as F

from .checks import check_choice

PARAMETERISATIONS = ("full", "factorised")

# The nonlinear part starts small, so that an untrained TaylorNet is close to its linear
# part and deep stacks of CGs (degree 2^L) do not blow up at initialisation. It is not
# zero: with c_r = 0 the gradient of every b_r would vanish on the first step.
QUADRATIC_INIT_SCALE = 0.1


def _check_int(name: str, value, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        kind = "a positive" if minimum == 1 else "a non-negative"
        raise ValueError(f"{name} must be {kind} int, got {value!r}")
    return value


def _check_pair(name: str, value, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints (height, width), like nn.Conv2d's geometry arguments."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2:
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    for v in pair:
        _check_int(name, v, minimum)
    return pair


def conv_output_size(in_height: int, in_width: int, kernel_size, stride=None,
                     padding=0, dilation=1) -> tuple[int, int]:
    """Output (height, width) of a window layer, the formula of ``nn.Conv2d``."""
    kernel = _check_pair("kernel_size", kernel_size, 1)
    stride = kernel if stride is None else _check_pair("stride", stride, 1)
    padding = _check_pair("padding", padding, 0)
    dilation = _check_pair("dilation", dilation, 1)
    out = tuple((n + 2 * p - d * (k - 1) - 1) // s + 1
                for n, k, s, p, d in zip((in_height, in_width), kernel, stride, padding, dilation))
    if min(out) < 1:
        raise ValueError(f"input {in_height}x{in_width} is too small for kernel {kernel}, "
                         f"padding {padding}, dilation {dilation}: output would be {out[0]}x{out[1]}")
    return out


def receptive_field(out_row: int, out_col: int, in_height: int, in_width: int, *,
                    kernel_size, stride=None, padding=0, dilation=1) -> list[tuple[int, int]]:
    """The input cells (row, col) that feed output cell (out_row, out_col), row-major.

    Same geometry as ``nn.Conv2d`` (and :class:`CG2d`): cluster element (ki, kj) sits at
    row ``out_row * stride - padding + ki * dilation``. Cells that fall in the zero padding
    are not input variables and are left out. The cells are the same for every channel.
    """
    kernel = _check_pair("kernel_size", kernel_size, 1)
    stride = kernel if stride is None else _check_pair("stride", stride, 1)
    padding = _check_pair("padding", padding, 0)
    dilation = _check_pair("dilation", dilation, 1)
    out_h, out_w = conv_output_size(in_height, in_width, kernel, stride, padding, dilation)
    if not (0 <= out_row < out_h and 0 <= out_col < out_w):
        raise ValueError(f"output cell ({out_row}, {out_col}) is outside the {out_h}x{out_w} output")
    rows = [out_row * stride[0] - padding[0] + i * dilation[0] for i in range(kernel[0])]
    cols = [out_col * stride[1] - padding[1] + j * dilation[1] for j in range(kernel[1])]
    return [(r, c) for r in rows for c in cols if 0 <= r < in_height and 0 <= c < in_width]


def factor_products(out: torch.Tensor, out_channels: int, order: int, rank: int) -> torch.Tensor:
    """The factorised CG from its one convolution's output ``out``, channels laid out as
    [linear part a | degree 2: (2 factors, rank, C_out) | degree 3: (3, rank, C_out) | ...]:
    a + sum over degrees d and ranks r of the product of the d factor maps."""
    y, *by_degree = out.split([out_channels] + [d * rank * out_channels for d in range(2, order + 1)], dim=1)
    for degree, f in zip(range(2, order + 1), by_degree):
        f = f.unflatten(1, (degree, rank, out_channels))
        if degree == 2 and rank == 1:
            y = torch.addcmul(y, f[:, 0, 0], f[:, 1, 0])
            continue
        term = f[:, 0]
        for k in range(1, degree):
            term = term * f[:, k]
        y = y + term.sum(dim=1)
    return y


def _plain_reverse_mode(t: torch.Tensor) -> bool:
    """Whether ``t`` is an ordinary tensor of reverse-mode autograd: not wrapped by a
    ``torch.func`` transform and carrying no forward-mode tangent (:class:`FactorProducts`
    implements neither)."""
    return (not torch._C._functorch.is_functorch_wrapped_tensor(t)
            and torch.autograd.forward_ad.unpack_dual(t).tangent is None)


class FactorProducts(torch.autograd.Function):
    """:func:`factor_products` for training, with a backward that writes the gradient of every
    map straight into one buffer shaped like ``out``, where the generic ops allocate a tensor
    per product and per split and then concatenate them (``cg_conv_bench`` times both). Under
    ``create_graph`` the backward falls back to the generic ops, so higher derivatives stay
    available; eval mode, ``torch.func`` transforms and forward-mode AD take the generic ops."""

    @staticmethod
    def forward(ctx, out, out_channels, order, rank):
        ctx.save_for_backward(out)
        ctx.layout = (out_channels, order, rank)
        return factor_products(out, out_channels, order, rank)

    @staticmethod
    def backward(ctx, grad):
        (out,) = ctx.saved_tensors
        c, order, rank = ctx.layout
        if torch.is_grad_enabled():
            (grad_out,) = torch.autograd.grad(factor_products(out, c, order, rank), out, grad, create_graph=True)
            return grad_out, None, None, None
        grad_out = torch.empty_like(out)
        grad_out[:, :c].copy_(grad)
        per_rank = grad.unsqueeze(1)            # (batch, 1, C_out, h, w): broadcast over the rank
        offset = c
        for degree in range(2, order + 1):
            n = degree * rank * c
            f = out[:, offset:offset + n].unflatten(1, (degree, rank, c))
            g = grad_out[:, offset:offset + n].unflatten(1, (degree, rank, c))
            for k in range(degree):
                others = [f[:, j] for j in range(degree) if j != k]
                rest = others[0]
                for factor in others[1:]:
                    rest = rest * factor
                torch.mul(per_rank, rest, out=g[:, k])
            offset += n
        return grad_out, None, None, None


class CG2d(nn.Module):
    """CG operation, Eq. (4): each cluster -> one Taylor polynomial per output channel.

    Arguments follow ``nn.Conv2d``; ``stride`` defaults to ``kernel_size`` (non-overlapping
    clusters, Fig. 4(b)). ``order`` is the Taylor order (the paper uses 2), ``rank`` the
    number of rank-1 products in the factorised form, ``bias`` the constant c^(0).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size=2, stride=None,
                 padding=0, dilation=1, order: int = 2, parameterisation: str = "factorised",
                 rank: int = 1, bias: bool = True):
        super().__init__()
        self.in_channels = _check_int("in_channels", in_channels, 1)
        self.out_channels = _check_int("out_channels", out_channels, 1)
        self.kernel_size = _check_pair("kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None else _check_pair("stride", stride, 1)
        self.padding = _check_pair("padding", padding, 0)
        self.dilation = _check_pair("dilation", dilation, 1)
        self.order = _check_int("order", order, 1)
        self.rank = _check_int("rank", rank, 1)
        if not isinstance(bias, bool):
            raise ValueError(f"bias must be True or False, got {bias!r}")
        check_choice("parameterisation", parameterisation, PARAMETERISATIONS)
        if parameterisation == "full" and order > 2:
            raise ValueError(f"parameterisation='full' implements Eq. (4) up to order 2, got "
                             f"order={order}; use parameterisation='factorised' for higher orders")
        self.parameterisation = parameterisation

        geometry = dict(kernel_size=self.kernel_size, stride=self.stride,
                        padding=self.padding, dilation=self.dilation)
        # Constant and linear terms: exactly a convolution.
        self.linear = nn.Conv2d(in_channels, out_channels, bias=bias, **geometry)
        if parameterisation == "full" and order == 2:
            m = self.cluster_size
            # Packed upper triangle: quadratic[o, p] is c_ij for the p-th pair i <= j in
            # row-major order, (0,0), (0,1), ..., (0,m-1), (1,1), ...
            self.quadratic = nn.Parameter(torch.empty(out_channels, m * (m + 1) // 2))
            self.register_buffer("pair_index", torch.triu_indices(m, m), persistent=False)
        elif parameterisation == "factorised":
            # One conv per degree d = 2..order holding all d * rank factor maps, in the
            # layout (d factors, rank, out_channels).
            self.factors = nn.ModuleList(
                nn.Conv2d(in_channels, degree * rank * out_channels, bias=False, **geometry)
                for degree in range(2, order + 1))
        self.reset_parameters()

    @property
    def cluster_size(self) -> int:
        """m, the number of variables in one cluster (all input channels)."""
        return self.in_channels * self.kernel_size[0] * self.kernel_size[1]

    def reset_parameters(self) -> None:
        """The linear part as ``nn.Conv2d`` (uniform, bound 1/sqrt(m)). The nonlinear part is
        scaled by s = QUADRATIC_INIT_SCALE: in the factorised form the last factor of every
        product, in the full form c_ij ~ U(-s/m, s/m). For inputs of order one the quadratic
        terms then start at 3-8 % of the linear ones (measured for 4 to 64 channels)."""
        self.linear.reset_parameters()
        if self.parameterisation == "full":
            if self.order == 2:
                bound = QUADRATIC_INIT_SCALE / self.cluster_size
                nn.init.uniform_(self.quadratic, -bound, bound)
            return
        for degree, conv in zip(range(2, self.order + 1), self.factors):
            conv.reset_parameters()
            with torch.no_grad():
                conv.weight.view(degree, -1)[-1].mul_(QUADRATIC_INIT_SCALE)

    def output_size(self, in_height: int, in_width: int) -> tuple[int, int]:
        return conv_output_size(in_height, in_width, self.kernel_size, self.stride,
                                self.padding, self.dilation)

    def receptive_field(self, out_row: int, out_col: int, in_height: int,
                        in_width: int) -> list[tuple[int, int]]:
        """The input cells (row, col) of the cluster behind one output cell; see
        :func:`receptive_field`."""
        return receptive_field(out_row, out_col, in_height, in_width,
                               kernel_size=self.kernel_size, stride=self.stride,
                               padding=self.padding, dilation=self.dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.order == 1:
            return self.linear(x)
        if self.parameterisation == "full":
            y = self.linear(x)
            return y + self._full_quadratic(x, y.shape[-2:])
        # The linear map and every factor map share the cluster geometry, so one convolution
        # computes them all (their weights stacked along the output channels); the parameters
        # stay in their own modules.
        maps = [self.linear] + list(self.factors)
        bias = self.linear.bias
        if bias is not None:
            bias = torch.cat([bias, bias.new_zeros(sum(m.out_channels for m in self.factors))])
        out = F.conv2d(x, torch.cat([m.weight for m in maps]), bias, self.stride, self.padding, self.dilation)
        if self.training and torch.is_grad_enabled() and _plain_reverse_mode(out):
            return FactorProducts.apply(out, self.out_channels, self.order, self.rank)
        return factor_products(out, self.out_channels, self.order, self.rank)

    def _full_quadratic(self, x: torch.Tensor, out_hw) -> torch.Tensor:
        """sum_{i<=j} c_ij x_i x_j for every cluster, as x^T Q_o x with Q_o the upper
        triangular matrix of the c_ij. Memory ~ batch * C_out * m * clusters."""
        cols = F.unfold(x, self.kernel_size, dilation=self.dilation, padding=self.padding,
                        stride=self.stride)  # (batch, m, clusters), m ordered (c, ki, kj)
        m = self.cluster_size
        q = self.quadratic.new_zeros(self.out_channels, m, m)
        q[:, self.pair_index[0], self.pair_index[1]] = self.quadratic
        qx = torch.einsum("oij,bjl->boil", q, cols)
        quad = (qx * cols.unsqueeze(1)).sum(dim=2)
        return quad.view(x.shape[0], self.out_channels, *out_hw)

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        s += f", order={self.order}, parameterisation={self.parameterisation!r}"
        if self.parameterisation == "factorised":
            s += f", rank={self.rank}"
        return s


def coefficients_along_ray(f, x: torch.Tensor, max_degree: int, origin: torch.Tensor | None = None):
    """How much of each degree the map t -> f(origin + t x) holds, for t in [-1, 1]
    (``origin`` defaults to 0: the ray through x).

    ``f`` is evaluated at ``max_degree + 1`` Chebyshev nodes (in float64 if ``x`` is) and
    every output is fitted by a Chebyshev series of degree ``max_degree``; returned is the
    largest |coefficient| over the outputs for each degree 0..max_degree (a numpy array).
    If f is a polynomial of degree D <= max_degree in its input, the fit is exact and the
    entries above D are rounding noise.
    """
    import numpy as np

    origin = torch.zeros_like(x) if origin is None else origin
    nodes = np.cos(np.pi * (np.arange(max_degree + 1) + 0.5) / (max_degree + 1))
    with torch.no_grad():
        values = np.stack([f(origin + float(t) * x).detach().flatten().cpu().numpy() for t in nodes])
    return np.abs(np.polynomial.chebyshev.chebfit(nodes, values, max_degree)).max(axis=1)


def degree_along_ray(f, x: torch.Tensor, max_degree: int, rtol: float = 1e-9) -> int:
    """Degree of the polynomial t -> f(t x) (see :func:`coefficients_along_ray`);
    coefficients below ``rtol`` times the largest count as zero."""
    import numpy as np

    coeffs = coefficients_along_ray(f, x, max_degree)
    return int(np.nonzero(coeffs > rtol * coeffs.max())[0].max())


def randomise_parameters(module: nn.Module, seed: int) -> nn.Module:
    """Every parameter of ``module`` drawn from N(0, 1), in place and reproducibly: unit-scale
    coefficients, so that no term of a CG stack is small by construction (for the degree
    checks of :func:`degree_along_ray`)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype))
    return module


def rows_seen(dilations, size: int) -> list[set[int]]:
    """The input rows of a ``size`` x ``size`` map that feed each output row of a stack of
    stride-1 2x2 CGs with these dilations (Fig. 5's diCGs): output row r of a dilation-d
    CG sees rows r and r + d of its input."""
    seen = [{r} for r in range(size)]
    for d in dilations:
        seen = [seen[r] | seen[r + d] for r in range(len(seen) - d)]
    return seen

