import math

import numpy as np
import pytest
import torch

from cgcore.taylor import (TaylorExpansion, TaylorFeatures, level_counts, monomial_exponents,
                           pixel_distances, prune_smallest, quadratic_coefficients,
                           quadratic_coefficients_at_zero, term_count, weight_levels)


@pytest.mark.parametrize("order, expected", [(1, 50), (2, 1_275), (3, 22_100), (4, 292_825)])
def test_term_counts_on_7x7(order, expected):
    assert term_count(49, order) == expected
    assert TaylorFeatures(49, order).n_features + 1 == expected
    assert TaylorExpansion(49, order).n_terms == expected
    assert len(monomial_exponents(49, order)) == expected


def slow_terms(x, order):
    """Reference: each monomial as an explicit product, in monomial_exponents order."""
    return torch.stack([torch.stack([x[b, list(c)].prod() for c in monomial_exponents(x.shape[1], order)[1:]])
                        for b in range(x.shape[0])])


@pytest.mark.parametrize("n_vars, order", [(1, 4), (4, 4), (6, 3), (49, 2)])
def test_features_match_slow_reference(n_vars, order):
    x = torch.randn(3, n_vars, dtype=torch.float64)
    expected = slow_terms(x, order)
    torch.testing.assert_close(TaylorFeatures(n_vars, order)(x), expected)
    # the differentiable path computes the same terms
    torch.testing.assert_close(TaylorFeatures(n_vars, order)(x.clone().requires_grad_()), expected)


def test_feature_gradient_matches_reference():
    x = torch.randn(2, 5, dtype=torch.float64, requires_grad=True)
    w = torch.randn(term_count(5, 3) - 1, dtype=torch.float64)
    (g_fast,) = torch.autograd.grad((TaylorFeatures(5, 3)(x) @ w).sum(), x)
    (g_slow,) = torch.autograd.grad((slow_terms(x, 3) @ w).sum(), x)
    torch.testing.assert_close(g_fast, g_slow)


def test_features_accept_images_and_reject_wrong_size():
    f = TaylorFeatures(49, 2)
    assert f(torch.rand(5, 1, 7, 7)).shape == (5, 1_274)
    with pytest.raises(ValueError, match="expected 49 input variables, got 784"):
        f(torch.rand(5, 1, 28, 28))


@pytest.mark.parametrize("bad", [dict(n_vars=49, order=0), dict(n_vars=0, order=2)])
def test_bad_feature_parameters_raise(bad):
    with pytest.raises(ValueError, match="need order >= 1"):
        TaylorFeatures(**bad)


def test_unknown_expansion_point_raises():
    with pytest.raises(ValueError, match="accepted: zero, mean"):
        TaylorExpansion(4, 2, expansion_point="origin")


@pytest.mark.parametrize("point", ["zero", "mean"])
def test_taylor_coefficients_reproduce_the_logits(point):
    """Eq. (3) in the raw term basis gives the same logits as the standardised model."""
    torch.manual_seed(0)
    model = TaylorExpansion(4, 3, n_classes=3, expansion_point=point).double()
    data = torch.rand(64, 4, dtype=torch.float64)
    model.fit_standardization(data)
    torch.nn.init.normal_(model.weight)
    torch.nn.init.normal_(model.bias)
    x = torch.rand(5, 4, dtype=torch.float64)
    u = (x - model.x0) / model.x_scale
    raw_terms = torch.cat([torch.ones(5, 1, dtype=torch.float64), slow_terms(u, 3)], 1)
    torch.testing.assert_close(raw_terms @ model.taylor_coefficients().T, model(x))
    assert model.x0.abs().sum() > 0 if point == "mean" else model.x0.abs().sum() == 0


def test_standardization_gives_unit_variance_terms():
    model = TaylorExpansion(3, 2)
    data = torch.rand(500, 3)
    model.fit_standardization(data)
    z = (model.terms(data) - model.mean) / model.std
    torch.testing.assert_close(z.mean(0), torch.zeros(9), atol=1e-4, rtol=0)
    torch.testing.assert_close(z.std(0, unbiased=False), torch.ones(9), atol=1e-3, rtol=0)


@pytest.mark.parametrize("keep", [0.5, 0.3, 0.1])
def test_pruning_keeps_the_largest_fraction(keep):
    torch.manual_seed(1)
    model = TaylorExpansion(5, 2, n_classes=4)
    torch.nn.init.normal_(model.weight)
    pruned = prune_smallest(model, keep)
    kept = pruned.weight != 0
    assert kept.sum().item() == round(keep * model.weight.numel())
    assert pruned.weight[kept].abs().min() >= model.weight[~kept].abs().max()
    assert torch.count_nonzero(model.weight) == model.weight.numel()  # original untouched


def _fitted_model(order=2, n_vars=5, expansion_point="zero"):
    torch.manual_seed(1)
    model = TaylorExpansion(n_vars, order, n_classes=4, expansion_point=expansion_point)
    model.fit_standardization(torch.rand(64, n_vars))
    torch.nn.init.normal_(model.weight)
    torch.nn.init.normal_(model.bias)
    return model


def test_pruning_drops_the_coefficient_or_replaces_the_term_by_its_mean():
    model = _fitted_model()
    x = torch.rand(16, 5)
    dropped, centred = prune_smallest(model, 0.3, drop="coefficient"), prune_smallest(model, 0.3, drop="to_mean")
    assert torch.equal(dropped.weight, centred.weight)
    full, cut = model.taylor_coefficients(), dropped.taylor_coefficients()
    # the paper's reading: Eq. (3)'s constant stays, every pruned coefficient is exactly 0
    assert torch.allclose(cut[:, 0], full[:, 0], atol=1e-5)
    assert torch.equal(cut[:, 1:] == 0, dropped.weight == 0)
    # re-centred: the bias stays, so the constant absorbs a_j mean_j of every pruned term
    removed = (model.weight - centred.weight) / model.std
    assert torch.allclose(centred.taylor_coefficients()[:, 0], full[:, 0] + removed @ model.mean, atol=1e-5)
    assert not torch.allclose(dropped(x), centred(x), atol=1e-3)
    with pytest.raises(ValueError, match="unknown drop 'zero'; accepted: coefficient, to_mean"):
        prune_smallest(model, 0.3, drop="zero")


@pytest.mark.parametrize("expansion_point", ["zero", "mean"])
def test_quadratic_coefficients_at_zero_are_the_pixel_basis_coefficients(expansion_point):
    """Against finite differences of the model at the black image; expanded at zero they are
    the coefficients of Eq. (3) themselves, expanded at the mean image the cubic terms add."""
    model = _fitted_model(order=3, expansion_point=expansion_point).double()
    maps = quadratic_coefficients_at_zero(model)
    h, e = 1e-3, torch.eye(5, dtype=torch.float64)
    f = lambda x: model(x[None])[0]                                   # noqa: E731
    for i, j in [(0, 0), (1, 3), (4, 2)]:
        second = (f(h * e[i] + h * e[j]) - f(h * e[i] - h * e[j]) - f(-h * e[i] + h * e[j])
                  + f(-h * e[i] - h * e[j])) / (4 * h * h)
        expected = second / (2 if i == j else 1)
        assert np.allclose(maps[:, i, j], expected.detach().numpy(), rtol=1e-4, atol=1e-4)
    assert np.allclose(maps, maps.transpose(0, 2, 1))
    if expansion_point == "zero":
        assert np.allclose(maps, quadratic_coefficients(model), atol=1e-6)
    else:
        assert not np.allclose(maps, quadratic_coefficients(model) / model.x_scale[0].item() ** 2, atol=1e-3)


@pytest.mark.parametrize("keep", [0.0, 1.5])
def test_pruning_rejects_bad_fraction(keep):
    with pytest.raises(ValueError, match="keep must be a fraction"):
        prune_smallest(TaylorExpansion(3, 2), keep)


def test_pixel_distances():
    d = pixel_distances(7)
    assert d.shape == (49, 49)
    assert d[0, 48] == pytest.approx(6 * math.sqrt(2))
    assert d[0, 1] == 1 and d[0, 7] == 1 and d[3, 3] == 0


def test_quadratic_coefficients_are_placed_symmetrically():
    model = TaylorExpansion(3, 2, n_classes=1)
    exponents = monomial_exponents(3, 2)[1:]
    with torch.no_grad():
        model.weight[0, exponents.index((0, 2))] = 2.0
        model.weight[0, exponents.index((1, 1))] = -1.0
    maps = quadratic_coefficients(model)
    assert maps[0, 0, 2] == maps[0, 2, 0] == 2.0
    assert maps[0, 1, 1] == -1.0
    assert np.count_nonzero(maps) == 3


def test_weight_levels_are_equal_ordered_groups():
    values = np.random.default_rng(0).normal(size=(10, 1225))
    levels = weight_levels(values)
    assert np.bincount(levels.ravel())[1:].tolist() == [2450] * 5
    assert values[levels == 5].min() > values[levels == 4].max()
    by_size = weight_levels(values, by="magnitude")
    assert np.abs(values[by_size == 5]).min() > np.abs(values[by_size == 1]).max()
    with pytest.raises(ValueError, match="accepted: value, magnitude"):
        weight_levels(values, by="sign")


def test_level_counts_cover_every_weight():
    upper = np.random.default_rng(0).normal(size=(10, 1225))
    distances, counts = level_counts(upper, 7)
    assert distances[0] == 0 and distances[-1] == pytest.approx(6 * math.sqrt(2))
    assert counts.sum() == upper.size
    assert counts[:, 0].sum() == 10 * 49  # the x_i^2 terms sit at distance 0
    with pytest.raises(ValueError, match="expected 1225 quadratic weights"):
        level_counts(upper[:, :100], 7)


def test_locality_shares_see_where_the_large_weights_sit():
    from cgcore.taylor import locality_shares, pixel_distances

    side = 7
    iu = np.triu_indices(side * side)
    d = pixel_distances(side)[iu]
    local = np.where(d <= 1.5, 10.0, 0.1)[None, :].repeat(2, 0)      # large weights only on near pairs
    shares = locality_shares(local, side)
    assert shares["all_near"] < 0.2
    assert shares["top_near"] > 0.8 and shares["top_far"] < shares["all_far"] / 5   # every near pair is in the top fifth
    spread = locality_shares(np.where(d >= 5, 10.0, 0.1)[None, :].repeat(2, 0), side)
    assert spread["top_near"] == 0.0 and spread["top_far"] > 0.9
    # by signed value (Fig. 3's caption): large negative weights on near pairs are L1, not L5
    signed = np.where(d <= 1.5, -10.0, 0.1)[None, :].repeat(2, 0)
    assert locality_shares(signed, side)["top_near"] > 0.8                       # by magnitude: the top fifth
    assert locality_shares(signed, side, by="value", level=1)["top_near"] > 0.8
    assert locality_shares(signed, side, by="value", level=5)["top_near"] == 0.0
    with pytest.raises(ValueError, match="level must be one of 1, 2, 3, 4, 5"):
        locality_shares(signed, side, level=0)


@pytest.mark.parametrize("order", [2, 3, 4])
@pytest.mark.parametrize("point", ["zero", "mean"])
def test_the_factored_contraction_is_the_same_function_and_gradient(order, point):
    """contraction="factored" never writes the top-degree terms: same logits, same weight
    gradient as the materialised features, in float64."""
    torch.manual_seed(order)
    dense = TaylorExpansion(9, order, n_classes=3, expansion_point=point).double()
    dense.fit_standardization(torch.rand(200, 9, dtype=torch.float64))
    with torch.no_grad():
        dense.weight.normal_()
    factored = TaylorExpansion(9, order, n_classes=3, expansion_point=point, contraction="factored").double()
    factored.load_state_dict(dense.state_dict())              # the same parameters and buffers
    x = torch.rand(16, 9, dtype=torch.float64)
    y_dense, y_factored = dense(x), factored(x)
    torch.testing.assert_close(y_factored, y_dense, rtol=1e-10, atol=1e-10)
    y_dense.square().sum().backward()
    y_factored.square().sum().backward()
    torch.testing.assert_close(factored.weight.grad, dense.weight.grad, rtol=1e-10, atol=1e-10)
    torch.testing.assert_close(factored.bias.grad, dense.bias.grad, rtol=1e-10, atol=1e-10)


def test_a_bad_contraction_names_the_accepted_ones():
    with pytest.raises(ValueError, match="unknown contraction 'blocked'; accepted: materialise, factored"):
        TaylorExpansion(4, 2, contraction="blocked")


def test_degree_scale_weighs_each_degree_and_leaves_the_function_family_alone():
    plain = TaylorExpansion(4, 3, n_classes=2).double()
    scaled = TaylorExpansion(4, 3, n_classes=2, degree_scale=0.5).double()
    sizes = [math.comb(4 + d - 1, d) for d in (1, 2, 3)]          # 4, 10, 20 terms of degree 1, 2, 3
    assert scaled.term_gain.tolist() == [1.0] * sizes[0] + [0.5] * sizes[1] + [0.25] * sizes[2]
    assert "term_gain" not in scaled.state_dict()                 # old checkpoints still load
    with torch.no_grad():
        scaled.weight.normal_()
        scaled.bias.normal_()
        plain.weight.copy_(scaled.weight * scaled.term_gain)      # the same polynomial, unscaled
        plain.bias.copy_(scaled.bias)
    x = torch.rand(5, 4, dtype=torch.float64)
    torch.testing.assert_close(scaled(x), plain(x))
    torch.testing.assert_close(scaled.taylor_coefficients(), plain.taylor_coefficients())
    # a top-degree weight gets a quarter of the gradient a degree-1 weight gets for the same term value
    scaled.zero_grad()
    scaled(torch.ones(1, 4, dtype=torch.float64))[0, 0].backward()
    assert scaled.weight.grad[0, -1] == pytest.approx(0.25 * scaled.weight.grad[0, 0])


def test_pruning_ranks_by_the_standardised_weight_under_a_degree_scale():
    model = TaylorExpansion(2, 2, n_classes=1, degree_scale=0.1)   # terms x0, x1, x0^2, x0x1, x1^2
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[1.0, 0.5, 2.0, 3.0, 0.01]]))  # standardised: 1, .5, .2, .3, .001
    kept = prune_smallest(model, 0.4).weight[0]
    assert kept.tolist() == [1.0, 0.5, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("scale", [0.0, -1.0])
def test_degree_scale_must_be_positive(scale):
    with pytest.raises(ValueError, match="degree_scale must be a positive number"):
        TaylorExpansion(3, 2, degree_scale=scale)


@pytest.mark.parametrize("degree_scale", [1.0, 0.5])
def test_restandardising_keeps_the_polynomial_and_ranks_terms_by_their_spread(degree_scale):
    from cgcore.taylor import restandardised

    torch.manual_seed(0)
    model = TaylorExpansion(4, 3, n_classes=3, expansion_point="mean", degree_scale=degree_scale).double()
    torch.nn.init.normal_(model.weight)
    with torch.no_grad():
        model.x0.copy_(torch.rand(4))           # as a kernel machine's polynomial: its own point, unit scale
    images = torch.rand(400, 4, dtype=torch.float64) * torch.tensor([1.0, 1.0, 1.0, 0.01], dtype=torch.float64)
    out = restandardised(model, images)
    torch.testing.assert_close(out.taylor_coefficients(), model.taylor_coefficients())
    torch.testing.assert_close(out(images), model(images))
    assert torch.equal(out.x0, model.x0) and torch.equal(out.x_scale, model.x_scale)   # the point is kept
    assert not torch.allclose(out.std, model.std)                                        # the spreads are fitted
    # a term of the nearly constant 4th pixel has a small spread, so a small standardised weight
    assert out.standardised_weight()[:, 3].abs().max() < out.standardised_weight()[:, 0].abs().max()


def test_kernel_term_weights_are_the_polynomial_kernels_expansion():
    from cgcore.taylor import kernel_term_weights

    n, order = 5, 3
    weights = kernel_term_weights(n, order).double()
    assert weights.shape == (term_count(n, order) - 1,)
    features = TaylorFeatures(n, order)
    u, v = torch.randn(2, 6, n, dtype=torch.float64)
    expanded = 1 + (features(u) * features(v) * weights).sum(1)
    torch.testing.assert_close(expanded, ((u * v).sum(1) / n + 1) ** order)
    # x0^2 x1 (degree 3): C(3, 3) 3! / (2! 1!) / 5^3
    assert weights[monomial_exponents(n, order)[1:].index((0, 0, 1))].item() == pytest.approx(3 / 125)


def test_kernel_weighting_learns_in_the_kernels_geometry_and_keeps_the_polynomial():
    from cgcore.taylor import kernel_term_weights, restandardised

    torch.manual_seed(0)
    model = TaylorExpansion(4, 3, n_classes=2, expansion_point="mean", weighting="kernel").double()
    images = torch.rand(300, 4, dtype=torch.float64)
    model.fit_standardization(images)
    torch.nn.init.normal_(model.weight)
    root_c = kernel_term_weights(4, 3).double().sqrt()
    # a weight multiplies sqrt(c_m) (phi_m - mean_m): the std of the terms plays no part
    torch.testing.assert_close(model.taylor_coefficients()[:, 1:], model.weight * root_c)
    centred = (model.terms(images) - model.mean) * root_c
    torch.testing.assert_close(model(images), centred @ model.weight.T + model.bias, rtol=1e-6, atol=1e-6)
    # so the gradient of a weight is sqrt(c_m) times its centred term's
    model.zero_grad()
    model(images[:1])[0, 0].backward()
    torch.testing.assert_close(model.weight.grad[0], centred[0])
    # restandardising and pruning keep the weighting and the polynomial
    out = restandardised(model, images[:100])
    assert out.weighting == "kernel"
    torch.testing.assert_close(out(images), model(images))
    assert prune_smallest(model, 1.0).weighting == "kernel"
    torch.testing.assert_close(prune_smallest(model, 1.0)(images), model(images))


def test_a_bad_weighting_names_the_accepted_ones():
    with pytest.raises(ValueError, match="unknown weighting 'raw'; accepted: standardised, kernel"):
        TaylorExpansion(4, 2, weighting="raw")
