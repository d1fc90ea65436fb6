"""cgcore.diagrams and cgcore.rg: the drawn figures and the isometry-tree illustration."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402
from torch import nn  # noqa: E402

from cgcore import diagrams  # noqa: E402
from cgcore.layers import CG2d, receptive_field  # noqa: E402
from cgcore.rg import apply_pairwise, isometry_tree, random_isometry, rg_levels  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# ---------------------------------------------------------------------------- figures

@pytest.mark.parametrize("draw, n_axes", [
    (lambda: diagrams.rg_tree(), 1),
    (lambda: diagrams.rg_tree(16), 1),
    (lambda: diagrams.cg_vs_conv(), 3),
    (lambda: diagrams.dilated_cg(), 2),
])
def test_each_drawing_returns_a_figure_with_its_panels(draw, n_axes):
    fig = draw()
    assert isinstance(fig, matplotlib.figure.Figure)
    assert len(fig.axes) == n_axes


@pytest.mark.parametrize("length", [0, 1, 3, 6, 12, -8, 8.0, True, "8"])
def test_rg_tree_rejects_lengths_that_are_not_powers_of_two(length):
    with pytest.raises(ValueError, match="power of 2"):
        diagrams.rg_tree(length)


@pytest.mark.parametrize("length", [2, 4, 8, 32])
def test_rg_tree_draws_L_over_2_to_the_k_isometries_at_level_k(length):
    ax = diagrams.rg_tree(length).axes[0]
    labels = [t.get_text() for t in ax.texts]
    levels = rg_levels(length)
    for k in range(1, levels + 1):
        assert labels.count(f"$U^{{({k})}}$") == length >> k
    assert labels.count(f"$U^{{({levels + 1})}}$") == 0
    # one coloured set of links per scale: sigma^(0) .. sigma^(n)
    assert sum(lab.startswith(r"$\{\sigma^") for lab in labels) == levels + 1


def test_rg_tree_for_the_paper_has_four_two_and_one_isometries():
    labels = [t.get_text() for t in diagrams.rg_tree(8).axes[0].texts]
    assert [labels.count(f"$U^{{({k})}}$") for k in (1, 2, 3)] == [4, 2, 1]


# ---------------------------------------------------------------------------- isometries

@pytest.mark.parametrize("d", [1, 2, 3])
def test_isometries_satisfy_u_ut_equals_identity(d):
    tree = isometry_tree(8, d, seed=3)
    assert [len(us) for us in tree.isometries] == [4, 2, 1]
    for us in tree.isometries:
        for u in us:
            assert u.shape == (d, d * d)
            np.testing.assert_allclose(u @ u.T, np.eye(d), atol=1e-12)


def test_random_isometry_is_not_unitary_on_the_big_space():
    u = random_isometry(4, 2, np.random.default_rng(0))
    projector = u.T @ u                     # 4x4, rank 2: U^T U is not the identity
    np.testing.assert_allclose(projector @ projector, projector, atol=1e-12)
    assert np.linalg.matrix_rank(projector) == 2
    with pytest.raises(ValueError):
        random_isometry(2, 4, np.random.default_rng(0))


def test_dof_counts_per_level_for_length_8():
    rows = isometry_tree(8, 2, seed=0).rows
    assert [r["level"] for r in rows] == [0, 1, 2, 3]
    assert [r["sites"] for r in rows] == [8, 4, 2, 1]
    assert [r["isometries applied"] for r in rows] == [0, 4, 2, 1]
    assert [r["vector dimension"] for r in rows] == [256, 16, 4, 2]
    assert [r["states per site, untruncated"] for r in rows] == [2, 4, 16, 256]
    assert {r["vector dimension, untruncated"] for r in rows} == {256}
    rows3 = isometry_tree(8, 3, seed=0).rows
    assert [r["vector dimension"] for r in rows3] == [3 ** 8, 3 ** 4, 3 ** 2, 3]


def test_a_scale_transformation_is_the_kronecker_product_of_its_isometries():
    tree = isometry_tree(8, 2, seed=1)
    for level, us in enumerate(tree.isometries):
        big = us[0]
        for u in us[1:]:
            big = np.kron(big, u)
        np.testing.assert_allclose(big @ tree.states[level], tree.states[level + 1], atol=1e-12)


def test_isometries_only_lose_weight_and_runs_are_reproducible():
    rows = isometry_tree(8, 2, seed=5).rows
    kept = [r["norm kept"] for r in rows]
    assert kept[0] == pytest.approx(1.0)
    assert all(b <= a + 1e-12 for a, b in zip(kept, kept[1:]))
    assert rows == isometry_tree(8, 2, seed=5).rows
    assert rows != isometry_tree(8, 2, seed=6).rows


def test_apply_pairwise_acts_on_neighbouring_pairs():
    # a product state e_a (x) e_b (x) e_c (x) e_d goes to (U0 e_ab) (x) (U1 e_cd)
    rng = np.random.default_rng(0)
    u0, u1 = random_isometry(4, 2, rng), random_isometry(4, 2, rng)
    state = np.zeros(16)
    state[0b1001] = 1.0                      # sites (1, 0, 0, 1)
    out = apply_pairwise(state, [u0, u1], 2)
    np.testing.assert_allclose(out, np.kron(u0[:, 0b10], u1[:, 0b01]))


@pytest.mark.parametrize("length, d", [(6, 2), (8, 0), (8, 2.0), (64, 2)])
def test_isometry_tree_rejects_bad_arguments(length, d):
    with pytest.raises(ValueError):
        isometry_tree(length, d)


# ---------------------------------------------------------------------------- clusters

def gradient_receptive_field(layer, height, width):
    """Input cells with a nonzero gradient of each output cell: the layer's own answer."""
    torch.manual_seed(0)
    x = torch.randn(1, layer.in_channels, height, width, dtype=torch.float64, requires_grad=True)
    layer = layer.double()
    with torch.no_grad():
        for p in layer.parameters():
            p.copy_(torch.rand_like(p) + 0.5)         # no accidental zero weights
    y = layer(x)
    fields = {}
    for r in range(y.shape[-2]):
        for c in range(y.shape[-1]):
            (grad,) = torch.autograd.grad(y[0, :, r, c].sum(), x, retain_graph=True)
            nonzero = grad[0].abs().sum(0).nonzero().tolist()
            fields[(r, c)] = sorted(map(tuple, nonzero))
    return fields


LAYERS = {
    "Fig. 4(a) conv 2x2 / 2": (lambda: nn.Conv2d(1, 1, 2, stride=2), 4, 4),
    "Fig. 4(b) CG 2x2 / 2": (lambda: CG2d(1, 1, kernel_size=2), 4, 4),
    "Fig. 6 CG dilation 2": (lambda: CG2d(1, 1, kernel_size=2, stride=1, dilation=2), 6, 6),
    "diCG1 of Fig. 5, dilation 7": (lambda: CG2d(2, 3, kernel_size=2, stride=1, dilation=7), 14, 14),
    "full CG, padding, rectangular": (lambda: CG2d(2, 1, kernel_size=(2, 3), stride=(1, 2), padding=1,
                                                   dilation=(2, 1), parameterisation="full"), 7, 6),
    "conv 3x3 / 2, padding 1": (lambda: nn.Conv2d(1, 2, 3, stride=2, padding=1), 5, 7),
}


@pytest.mark.parametrize("name", LAYERS)
def test_cluster_groups_are_the_layers_gradient_receptive_fields(name):
    make, h, w = LAYERS[name]
    layer = make()
    groups = diagrams.cluster_groups(layer, h, w)
    assert {k: sorted(v) for k, v in groups.items()} == gradient_receptive_field(layer, h, w)


def drawn_groups(ax):
    """Read a drawn panel back: output cell -> input cells of the same colour, and the
    (input, output) pairs joined by a link."""
    out_of_color, cells_of_color, links = {}, {}, set()
    for patch in ax.patches:
        gid = patch.get_gid() or ""
        color = to_hex(patch.get_facecolor())
        if gid.startswith("y ") and color != "#ffffff":
            assert color not in out_of_color, "two drawn clusters share a colour"
            out_of_color[color] = tuple(map(int, gid[2:].split(",")))
        elif gid.startswith("x "):
            cells_of_color.setdefault(color, set()).add(tuple(map(int, gid[2:].split(","))))
    for line in ax.lines:
        gid = line.get_gid() or ""
        if gid.startswith("link "):
            x, y = gid[len("link x "):].split(" -> y ")
            links.add((tuple(map(int, x.split(","))), tuple(map(int, y.split(",")))))
    groups = {out: sorted(cells_of_color.get(color, ())) for color, out in out_of_color.items()}
    return groups, links


def expected(layer, h, w, outs=None):
    g = diagrams.layer_geometry(layer)
    outs = outs if outs is not None else diagrams.cluster_groups(layer, h, w)
    return {out: sorted(receptive_field(*out, h, w, **g)) for out in outs}


def test_fig4_draws_the_clusters_of_its_layers():
    fig = diagrams.cg_vs_conv()
    conv, cg = nn.Conv2d(1, 1, 2, stride=2), CG2d(1, 1, kernel_size=2)
    for ax, layer in zip(fig.axes[:2], (conv, cg)):
        groups, links = drawn_groups(ax)
        want = expected(layer, 4, 4)
        assert groups == want
        assert links == {(cell, out) for out, cells in want.items() for cell in cells}
    # the paper's clusters: x1, x2, x5, x6 -> first square, ..., x11, x12, x15, x16 -> last
    assert groups[(0, 0)] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert groups[(1, 1)] == [(2, 2), (2, 3), (3, 2), (3, 3)]


def test_fig4_follows_the_layer_it_is_given():
    conv = nn.Conv2d(1, 1, 3, stride=2, padding=1)    # overlapping clusters, padding
    cg = CG2d(1, 1, kernel_size=2, stride=2, dilation=2)
    fig = diagrams.cg_vs_conv(conv, cg, in_size=(4, 6))
    for ax, layer in zip(fig.axes[:2], (conv, cg)):
        groups, _ = drawn_groups(ax)
        assert groups == expected(layer, 4, 6)
    assert len(drawn_groups(fig.axes[0])[0]) == 6
    # the comparison can tell geometries apart
    assert drawn_groups(fig.axes[1])[0] != expected(CG2d(1, 1, kernel_size=2), 4, 6)


def test_more_clusters_than_colours_are_refused():
    with pytest.raises(ValueError, match="told apart"):
        diagrams.cg_vs_conv(in_size=8)


def test_fig4c_is_a_two_level_tree():
    ax = diagrams.cg_vs_conv().axes[2]
    gids = [p.get_gid() for p in ax.patches if p.get_gid()]
    assert sorted(gids) == ["x 0", "x 1", "x 2", "x 3", "y 0", "y 1", "z 0"]


def test_fig6_draws_the_dilated_clusters():
    fig = diagrams.dilated_cg()
    cg = CG2d(1, 1, kernel_size=2, stride=1, dilation=2)
    groups, links = drawn_groups(fig.axes[0])
    want = expected(cg, 4, 4)
    assert groups == want
    assert groups[(0, 0)] == [(0, 0), (0, 2), (2, 0), (2, 2)]    # scattered, not a 2x2 block
    assert links == {(cell, out) for out, cells in want.items() for cell in cells}
    highlight = [(0, 0), (0, 1), (2, 2)]
    groups, _ = drawn_groups(fig.axes[1])
    assert groups == expected(cg, 6, 6, highlight)
    # cell (2, 2) belongs to two highlighted clusters and is drawn in both colours
    assert (2, 2) in groups[(0, 0)] and (2, 2) in groups[(2, 2)]


def test_fig6_rejects_an_output_cell_outside_the_output():
    with pytest.raises(ValueError, match="outside"):
        diagrams.dilated_cg(highlight=[(4, 0)])


def test_a_figure_with_text_too_small_for_the_book_is_refused():
    import matplotlib.pyplot as plt

    from cgcore.plots import BOOK_FIGURE_PX, legible, too_small_text

    fig, ax = plt.subplots(figsize=(5, 3), dpi=100)
    ax.set_title("readable", fontsize=10)
    assert too_small_text(fig) == [] and legible(fig) is fig
    ax.text(0.5, 0.5, "tiny", fontsize=5)              # 6.9 px at 100 dpi, shown at full size
    assert too_small_text(fig) == ["'tiny' at 6.9 px"]
    with pytest.raises(ValueError, match="1 text.* below 9 px"):
        legible(fig)
    wide, ax = plt.subplots(figsize=(2 * BOOK_FIGURE_PX / 100, 3), dpi=100)
    ax.set_title("shrunk to half", fontsize=10)         # 13.9 px drawn at about half the size
    assert len(too_small_text(wide)) >= 1
    plt.close("all")
