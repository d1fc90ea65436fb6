import itertools

import pytest
import torch
from torch import nn

from cgcore.layers import CG2d, conv_output_size, degree_along_ray, receptive_field

GEOMETRIES = [  # kernel, stride, padding, dilation
    (2, None, 0, 1),   # Fig. 4(b): non-overlapping 2x2 clusters
    (2, 1, 0, 1),
    (2, 1, 0, 2),      # Fig. 6: CG(2, 2, n, 1, 1, 2)
    (3, 2, 1, 1),
    (2, 1, 1, 3),
    ((2, 3), (1, 2), (0, 1), (2, 1)),
]


def randomise(module: nn.Module, seed: int = 0) -> nn.Module:
    """Unit-scale random parameters, so no term of the polynomial is small by construction."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn(p.shape, generator=g, dtype=p.dtype))
    return module


@pytest.mark.parametrize("parameterisation", ["full", "factorised"])
@pytest.mark.parametrize("kernel, stride, padding, dilation", GEOMETRIES)
def test_output_shape_matches_conv2d(parameterisation, kernel, stride, padding, dilation):
    x = torch.randn(2, 3, 11, 10)
    conv = nn.Conv2d(3, 4, kernel, kernel if stride is None else stride, padding, dilation)
    cg = CG2d(3, 4, kernel, stride, padding, dilation, parameterisation=parameterisation)
    assert cg(x).shape == conv(x).shape
    assert cg.output_size(11, 10) == tuple(conv(x).shape[-2:])


def full_reference(layer: CG2d, x: torch.Tensor) -> torch.Tensor:
    """Eq. (4) cluster by cluster with explicit loops: c0 + sum_i c_i x_i + sum_{i<=j} c_ij x_i x_j,
    the cluster variables ordered (channel, kernel row, kernel column)."""
    (kh, kw), (sh, sw), (ph, pw), (dh, dw) = layer.kernel_size, layer.stride, layer.padding, layer.dilation
    padded = nn.functional.pad(x, (pw, pw, ph, ph))
    out_h, out_w = layer.output_size(*x.shape[-2:])
    linear = layer.linear.weight.reshape(layer.out_channels, -1)
    pairs = list(itertools.combinations_with_replacement(range(layer.cluster_size), 2))
    out = torch.zeros(x.shape[0], layer.out_channels, out_h, out_w, dtype=x.dtype)
    for n, o, r, c in itertools.product(range(x.shape[0]), range(layer.out_channels), range(out_h), range(out_w)):
        cluster = [padded[n, ch, r * sh + i * dh, c * sw + j * dw]
                   for ch in range(layer.in_channels) for i in range(kh) for j in range(kw)]
        value = layer.linear.bias[o] + sum(linear[o, i] * cluster[i] for i in range(len(cluster)))
        value = value + sum(layer.quadratic[o, p] * cluster[i] * cluster[j] for p, (i, j) in enumerate(pairs))
        out[n, o, r, c] = value
    return out


@pytest.mark.parametrize("kernel, stride, padding, dilation", [(2, None, 0, 1), (2, 1, 1, 2)])
def test_full_layer_is_eq4(kernel, stride, padding, dilation):
    layer = randomise(CG2d(2, 3, kernel, stride, padding, dilation, parameterisation="full").double())
    assert layer.quadratic.shape == (3, 8 * 9 // 2)   # m = 2 channels x 2 x 2 = 8
    x = torch.randn(1, 2, 4, 4, dtype=torch.float64)
    torch.testing.assert_close(layer(x), full_reference(layer, x))


@pytest.mark.parametrize("order, rank", [(2, 1), (2, 3), (3, 2)])
def test_factorised_layer_is_its_formula(order, rank):
    """y = a(x) + sum_{d=2..order} sum_r prod_{j<d} f_{d,j,r}(x), every factor a convolution."""
    layer = randomise(CG2d(2, 3, 2, 1, 1, 2, order=order, rank=rank).double())
    x = torch.randn(2, 2, 6, 5, dtype=torch.float64)
    geometry = dict(stride=1, padding=1, dilation=2)
    expected = nn.functional.conv2d(x, layer.linear.weight, layer.linear.bias, **geometry)
    for degree, conv in zip(range(2, order + 1), layer.factors):
        weights = conv.weight.view(degree, rank, 3, 2, 2, 2)
        for r in range(rank):
            product = 1.0
            for j in range(degree):
                product = product * nn.functional.conv2d(x, weights[j, r], **geometry)
            expected = expected + product
    torch.testing.assert_close(layer(x), expected)


def test_order_one_is_a_convolution():
    for parameterisation in ["full", "factorised"]:
        layer = CG2d(2, 3, 2, order=1, parameterisation=parameterisation)
        assert [name for name, _ in layer.named_parameters()] == ["linear.weight", "linear.bias"]
        x = torch.randn(1, 2, 4, 4)
        torch.testing.assert_close(layer(x), layer.linear(x))


def degree_in_t(f, x: torch.Tensor, max_degree: int) -> int:
    """Degree of the polynomial t -> f(t x): Chebyshev fit on [-1, 1] with spare nodes;
    coefficients below 1e-9 of the largest count as zero."""
    return degree_along_ray(f, x, max_degree, rtol=1e-9)


@pytest.mark.parametrize("parameterisation", ["full", "factorised"])
@pytest.mark.parametrize("depth", [1, 2, 3])
def test_cg_stack_is_polynomial_of_degree_two_to_the_depth(parameterisation, depth):
    """Sec. III: L order-2 CGs without any activation give a polynomial of degree 2^L."""
    channels = [1, 2, 2, 1]
    stack = nn.Sequential(*[CG2d(channels[i], channels[i + 1], 2, parameterisation=parameterisation)
                            for i in range(depth)])
    randomise(stack.double(), seed=depth)
    x = torch.randn(1, 1, 8, 8, dtype=torch.float64)
    assert degree_in_t(stack, x, max_degree=2**depth + 4) == 2**depth


def test_higher_order_cg_stack_degree():
    stack = randomise(nn.Sequential(CG2d(1, 2, 2, order=3), CG2d(2, 1, 2, order=3)).double())
    x = torch.randn(1, 1, 4, 4, dtype=torch.float64)
    assert degree_in_t(stack, x, max_degree=12) == 9


@pytest.mark.parametrize("parameterisation", ["full", "factorised"])
def test_gradients_reach_every_parameter(parameterisation):
    layer = CG2d(2, 3, 2, rank=2, parameterisation=parameterisation)   # default initialisation
    layer(torch.randn(4, 2, 6, 6)).square().mean().backward()
    for name, p in layer.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("parameterisation", ["full", "factorised"])
def test_quadratic_part_starts_small(parameterisation):
    torch.manual_seed(0)
    layer = CG2d(16, 16, 2, parameterisation=parameterisation)
    x = torch.rand(8, 16, 8, 8)
    with torch.no_grad():
        linear = layer.linear(x) - layer.linear.bias.view(1, -1, 1, 1)
        quadratic = layer(x) - layer.linear(x)
    assert 0.005 < quadratic.std() / linear.std() < 0.2


@pytest.mark.parametrize("kwargs, message", [
    (dict(in_channels=0), "in_channels"),
    (dict(out_channels=2.0), "out_channels"),
    (dict(kernel_size=0), "kernel_size"),
    (dict(kernel_size=(2, 2, 2)), "kernel_size"),
    (dict(stride=0), "stride"),
    (dict(padding=-1), "padding"),
    (dict(dilation=0), "dilation"),
    (dict(order=0), "order"),
    (dict(rank=0), "rank"),
    (dict(rank=True), "rank"),
    (dict(bias="yes"), "bias"),
    (dict(parameterisation="tucker"), "unknown parameterisation 'tucker'; accepted: full, factorised"),
    (dict(parameterisation="full", order=3), "up to order 2"),
])
def test_bad_arguments_raise(kwargs, message):
    args = dict(in_channels=2, out_channels=3) | kwargs
    with pytest.raises(ValueError, match=message):
        CG2d(**args)


def test_bad_geometry_raises():
    with pytest.raises(ValueError, match="too small"):
        conv_output_size(7, 7, 2, 1, 0, 7)
    with pytest.raises(ValueError, match="outside"):
        CG2d(1, 1, 2).receptive_field(3, 0, 6, 6)


@pytest.mark.parametrize("kernel, stride, padding, dilation", GEOMETRIES)
def test_receptive_field_is_what_the_layer_touches(kernel, stride, padding, dilation):
    layer = randomise(CG2d(2, 2, kernel, stride, padding, dilation).double())
    height, width = 9, 8
    out_h, out_w = layer.output_size(height, width)
    for out_row, out_col in [(0, 0), (out_h - 1, out_w - 1), (out_h // 2, out_w // 3)]:
        x = torch.randn(1, 2, height, width, dtype=torch.float64, requires_grad=True)
        layer(x)[0, 1, out_row, out_col].backward()
        touched = {tuple(cell) for cell in (x.grad[0].abs().sum(0) > 0).nonzero().tolist()}
        cells = layer.receptive_field(out_row, out_col, height, width)
        assert set(cells) == touched and len(cells) == len(touched)


def test_receptive_field_of_fig4_and_fig6():
    # Fig. 4(b): 4x4 input, the 2x2 clusters do not overlap.
    assert receptive_field(1, 0, 4, 4, kernel_size=2) == [(2, 0), (2, 1), (3, 0), (3, 1)]
    # Fig. 6: CG(2, 2, n, 1, 1, 2) gathers every other cell.
    assert receptive_field(0, 1, 4, 4, kernel_size=2, stride=1, dilation=2) == [(0, 1), (0, 3), (2, 1), (2, 3)]


@pytest.mark.parametrize("order, rank, bias", [(2, 1, True), (3, 2, False)])
def test_fused_factorised_forward_equals_its_modules_one_by_one(order, rank, bias):
    """The forward pass runs the linear map and the factor maps as one convolution; it
    must equal a(x) + sum_d sum_r prod of the d factor maps computed module by module."""
    torch.manual_seed(0)
    layer = CG2d(3, 4, kernel_size=2, stride=1, dilation=2, padding=1, order=order, rank=rank, bias=bias)
    x = torch.randn(2, 3, 9, 9)
    expected = layer.linear(x)
    for degree, conv in zip(range(2, order + 1), layer.factors):
        f = conv(x)
        f = f.view(2, degree, rank, 4, *f.shape[-2:])
        expected = expected + f.prod(dim=1).sum(dim=1)
    torch.testing.assert_close(layer(x), expected, rtol=1e-5, atol=1e-6)
    assert set(layer.state_dict()) == {"linear.weight", *(["linear.bias"] if bias else []),
                                       *(f"factors.{k}.weight" for k in range(order - 1))}


@pytest.mark.parametrize("order, rank", [(2, 1), (2, 3), (3, 2)])
def test_training_backward_equals_the_generic_ops_and_keeps_higher_derivatives(order, rank):
    """In training the products run through a hand-written backward (one gradient buffer);
    its gradients must be those of the generic ops the eval mode runs, and a second
    derivative (create_graph) must still be exact."""
    layer = randomise(CG2d(2, 3, 2, 1, 1, 2, order=order, rank=rank).double())
    x = torch.randn(2, 2, 6, 5, dtype=torch.float64, requires_grad=True)
    grads = {}
    for mode in (True, False):
        layer.train(mode)
        y = layer(x)
        assert (type(y.grad_fn).__name__ == "FactorProductsBackward") == mode   # the path under test
        grads[mode] = torch.autograd.grad(y.pow(2).sum(), [x, *layer.parameters()])
    for trained, generic in zip(grads[True], grads[False]):
        torch.testing.assert_close(trained, generic, rtol=1e-12, atol=1e-12)
    layer.train()
    assert torch.autograd.gradcheck(layer, (x,)) and torch.autograd.gradgradcheck(layer, (x,))


def test_a_training_layer_works_under_torch_func_and_forward_mode():
    """The hand-written backward is for plain reverse mode; torch.func transforms and
    forward-mode AD of a layer in training mode take the generic ops and agree with eval."""
    layer = randomise(CG2d(2, 3, 2, order=3, rank=2).double())
    x, v = torch.randn(2, 2, 4, 4, dtype=torch.float64), torch.randn(2, 2, 4, 4, dtype=torch.float64)
    derivatives = {}
    for mode in (True, False):
        layer.train(mode)
        grad = torch.func.grad(lambda inp: layer(inp).pow(2).sum())(x)
        _, tangent = torch.func.jvp(layer, (x,), (v,))
        derivatives[mode] = (grad, tangent)
    for trained, generic in zip(derivatives[True], derivatives[False]):
        torch.testing.assert_close(trained, generic, rtol=1e-12, atol=1e-12)


def test_randomise_parameters_is_unit_scale_and_reproducible():
    from cgcore.layers import randomise_parameters

    a = randomise_parameters(CG2d(2, 3, 2).double(), seed=3)
    b = randomise_parameters(CG2d(2, 3, 2).double(), seed=3)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb) and pa.dtype == torch.float64
    flat = torch.cat([p.flatten() for p in a.parameters()])
    assert 0.5 < flat.std() < 1.5


def test_rows_seen_by_fig5_dilations():
    from cgcore.layers import rows_seen

    # between CG1 and CG2 on the 14x14 map, the caption's (7, 3): 14 -> 7 -> 4 rows
    seen = rows_seen((7, 3), 14)
    assert len(seen) == 4 and seen[0] == {0, 3, 7, 10}
    assert set().union(*seen) == set(range(14))            # every input row reaches the output
    assert rows_seen((3,), 2) == []                          # a dilation larger than the map leaves nothing
