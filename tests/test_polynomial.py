"""The polynomial read out of a TaylorNet: degree along rays and quadratic coefficients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cgcore.data import TensorData
from cgcore.experiments import EXPERIMENTS
from cgcore.experiments.polynomial import cg_layers, degree_spectrum
from cgcore.layers import randomise_parameters
from cgcore.models import taylornet_mnist7
from cgcore.profiles import get_config
from cgcore.taylor import quadratic_coefficients_at


def test_quadratic_coefficients_are_the_monomials_coefficients():
    torch.manual_seed(0)
    a = torch.randn(4, 4, dtype=torch.float64)
    b = torch.randn(4, dtype=torch.float64)

    def f(x):   # two outputs: x^T A x + b.x and 3 x_0 x_3
        x = x.flatten()
        return torch.stack([x @ a @ x + b @ x, 3 * x[0] * x[3]])

    maps = quadratic_coefficients_at(f, torch.randn(2, 2, dtype=torch.float64))
    sym = (a + a.T).numpy()
    assert maps.shape == (2, 4, 4)
    off = ~np.eye(4, dtype=bool)
    assert np.allclose(maps[0][off], sym[off]) and np.allclose(np.diag(maps[0]), np.diag(a.numpy()))
    expected = np.zeros((4, 4))
    expected[0, 3] = expected[3, 0] = 3
    assert np.allclose(maps[1], expected)


def test_an_untrained_cg_stack_shows_its_full_degree_along_rays():
    net = randomise_parameters(taylornet_mnist7(norm=None), seed=0).eval()
    assert cg_layers(net) == 4
    images = torch.rand(6, 1, 7, 7)
    spectrum = degree_spectrum(net, TensorData(images, torch.zeros(6, dtype=torch.long), "random"),
                               rays=2, extra=4, seed=0)
    assert spectrum["expected_degree"] == 16 and spectrum["highest_degree"] == 16
    assert spectrum["floor"] < 1e-6 * max(max(c) for c in spectrum["coefficients"])
    assert np.isclose(sum(spectrum["energy_share"]), 1.0)
    assert next(net.parameters()).dtype == torch.float32   # handed back as it came


def test_the_polynomial_experiment_reads_a_trained_network(run_smoke):
    stored = run_smoke("taylornet_polynomial")
    result, config = stored["result"], get_config("taylornet_polynomial", "smoke")
    assert set(result["networks"]) == set(config["networks"])
    spectrum = result["networks"]["taylornet_mnist7"]
    assert spectrum["cg_layers"] == 4 and spectrum["expected_degree"] == 16
    assert 1 <= spectrum["highest_degree"] <= 16 and spectrum["floor"] < 1e-12
    assert np.array(spectrum["coefficients"]).shape == (config["rays"], 16 + config["extra_degrees"] + 1)
    q = result["quadratic"]
    assert q["network"] == "taylornet_mnist7" and np.array(q["upper"]).shape == (10, 49 * 50 // 2)
    assert 0 <= q["locality"]["top_near"] <= 1
    claims = EXPERIMENTS["taylornet_polynomial"][1](result)
    assert claims == {"taylornet_mnist7_degree": spectrum["highest_degree"],
                      "taylornet_mnist7_quadratic_local_share": q["locality"]["top_near"]}


def test_the_polynomial_experiment_rejects_a_network_it_cannot_read():
    from cgcore.experiments.polynomial import run

    with pytest.raises(ValueError, match="unknown networks 'resnet_mnist7'"):
        run({**get_config("taylornet_polynomial", "smoke"), "networks": ["resnet_mnist7"]}, "smoke")


def test_quadratic_maps_draw_one_map_per_class_under_the_callers_title():
    import matplotlib.pyplot as plt

    from cgcore import plots

    quadratic = {"upper": np.random.default_rng(0).normal(size=(10, 49 * 50 // 2)), "side": 7}
    fig = plots.quadratic_maps(quadratic, by="magnitude", title="the TaylorNet's Hessian")
    assert fig._suptitle.get_text() == "the TaylorNet's Hessian"
    assert sum(bool(ax.images) for ax in fig.axes) == 10
    assert "u_i u_j" in plots.quadratic_maps(quadratic)._suptitle.get_text()   # the direct expansion's default
    plt.close("all")


def test_quadratic_maps_count_lines_do_not_run_into_the_next_map():
    import matplotlib.pyplot as plt

    from cgcore import plots

    # a map's 1,225 pairs by level: three-digit counts at every level, as on the book's pages
    quadratic = {"upper": np.random.default_rng(0).normal(size=(10, 49 * 50 // 2)), "side": 7}
    fig = plots.quadratic_maps(quadratic, by="value")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    maps = [ax for ax in fig.axes if ax.images]
    labels = [ax.xaxis.label.get_window_extent(renderer) for ax in maps]
    assert all("L5:" in ax.get_xlabel() for ax in maps)
    for row in (labels[:5], labels[5:]):
        for left, right in zip(row, row[1:]):
            assert left.x1 < right.x0, "a map's level counts overlap the next map's"
    plt.close("all")
