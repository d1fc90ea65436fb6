"""The paper's schematic figures, drawn by code (each function returns its Figure).

* :func:`rg_tree`     Fig. 1, the coarse-grained structure of the RG of an MPO.
* :func:`cg_vs_conv`  Fig. 4, (a) convolution, (b) CG, (c) two successive CGs.
* :func:`dilated_cg`  Fig. 6, the dilated CG ``CG(2, 2, n, 1, 1, 2)``.

Which input cells feed which output cell in Figs. 4 and 6 is never typed in: it is read
off the layer that is drawn (:func:`cluster_groups`, which asks
:func:`cgcore.layers.receptive_field` with the layer's kernel, stride, padding and
dilation), so a picture cannot disagree with the layer. Every drawn cell carries a ``gid``
(``"x r,c"`` for input cells, ``"y r,c"`` for output cells) so tests can read the picture.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import patches
from torch import nn

from .layers import CG2d, conv_output_size, receptive_field
from .plots import legible
from .rg import rg_levels

# Fig. 1: one colour per scale, as in the paper (blue, green, red, then black on top);
# longer chains than the paper's L = 8 take the extra colours for their extra levels.
SITE_COLOR = "#e0a800"
SCALE_COLORS = ("#1f5fbf", "#2a9d3a", "#d62728", "#8e44ad", "#e67e22", "#17a2b8", "#8c564b")
TOP_COLOR = "black"
# Figs. 4 and 6: one colour per local mapping (cluster and its output cell).
CLUSTER_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                  "#e377c2", "#17becf")
IDLE_COLOR = "#c8c8c8"
MAX_RG_LENGTH = 64


# --------------------------------------------------------------------------------------
# Fig. 1
# --------------------------------------------------------------------------------------

def rg_tree(length: int = 8):
    """Fig. 1: the hierarchical coarse-grained structure of the RG of an MPO of ``length``
    L = 2^n sites with open boundary and binary isometries. Yellow hollow circles joined by
    a dashed line are the lattice sites; solid dots are the isometries U^(k); the DOFs
    sigma^(k) live on the links, coloured by scale (blue sigma^(0), green sigma^(1), red
    sigma^(2), black on top for L = 8)."""
    levels = rg_levels(length)
    if length > MAX_RG_LENGTH:
        raise ValueError(f"length {length} is too long to draw legibly (at most {MAX_RG_LENGTH})")
    colors = [SCALE_COLORS[k % len(SCALE_COLORS)] for k in range(levels)] + [TOP_COLOR]
    dy = 1.0
    x_range, y_range = (-1.6, length + 0.9), (-0.45, (levels + 0.95) * dy)
    width = min(16.0, max(6.5, 0.8 * length + 2.5))
    height = width * (y_range[1] - y_range[0]) / (x_range[1] - x_range[0]) + 0.5
    fig, ax = plt.subplots(figsize=(width, height))
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=1 - 0.45 / height)

    xs = np.arange(length, dtype=float)
    ax.plot(xs, np.zeros(length), ls="--", color=SITE_COLOR, lw=1.5, zorder=1)
    for level in range(levels + 1):
        # links of scale `level`: from the nodes of this level up to their parent U^(level+1)
        if level < levels:
            parents = (xs[0::2] + xs[1::2]) / 2
            for i, x in enumerate(xs):
                ax.plot([x, parents[i // 2]], [level * dy, (level + 1) * dy],
                        color=colors[level], lw=2.2, zorder=2, solid_capstyle="round")
        else:
            parents = xs
            ax.plot([xs[0], xs[0]], [level * dy, (level + 0.75) * dy], color=colors[level],
                    lw=2.2, zorder=2)
        label_y = (level + 0.5) * dy if level < levels else (level + 0.45) * dy
        ax.text(length - 0.1, label_y, rf"$\{{\sigma^{{({level})}}\}}$", color=colors[level],
                fontsize=12, va="center", ha="left")
        if level:
            ax.scatter(xs, np.full(xs.size, level * dy), s=90, color="black", zorder=4)
            for i, x in enumerate(xs):
                # beside the dot, on the side away from the link to its parent
                side = 1 if (level == levels or i % 2) else -1
                ax.text(x + 0.14 * side, level * dy + 0.1, rf"$U^{{({level})}}$", fontsize=9,
                        ha="left" if side > 0 else "right", va="bottom", zorder=5)
        xs = parents
    ax.scatter(np.arange(length), np.zeros(length), s=110, facecolors="white",
               edgecolors=SITE_COLOR, linewidths=2.2, zorder=4)
    ax.text(-0.45, 0, "lattice\nsites", color="#9a7400", fontsize=9, ha="right", va="center")
    for level in range(1, levels + 1):
        ax.text(-0.45, level * dy, f"scale\ntransf. {level}", fontsize=9, ha="right",
                va="center", color="0.35")
    ax.set_xlim(*x_range)
    ax.set_ylim(*y_range)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(f"Fig. 1: RG of an MPO, L = {length}, open boundary, binary isometries",
                 fontsize=11)
    # the book shows L = 8 (the paper's Fig. 1); longer chains are for a reader's own
    # exploration, at their natural size rather than the book's column
    return legible(fig) if length <= 8 else fig


# --------------------------------------------------------------------------------------
# Cluster geometry: read off the layer
# --------------------------------------------------------------------------------------

def layer_geometry(layer) -> dict:
    """kernel_size, stride, padding, dilation of a :class:`CG2d` or ``nn.Conv2d``."""
    padding = layer.padding
    if isinstance(padding, str):
        raise ValueError(f"padding={padding!r} is not drawn; give the layer numeric padding")
    return dict(kernel_size=tuple(layer.kernel_size), stride=tuple(layer.stride),
                padding=tuple(padding), dilation=tuple(layer.dilation))


def cluster_groups(layer, in_height: int, in_width: int) -> dict[tuple[int, int], list[tuple[int, int]]]:
    """For every output cell (row, col) of ``layer`` on an ``in_height`` x ``in_width``
    input, the input cells of its local cluster, from :func:`cgcore.layers.receptive_field`.
    These are the groups the diagrams draw."""
    geometry = layer_geometry(layer)
    out_h, out_w = conv_output_size(in_height, in_width, **geometry)
    return {(r, c): receptive_field(r, c, in_height, in_width, **geometry)
            for r in range(out_h) for c in range(out_w)}


def _pair(size) -> tuple[int, int]:
    return tuple(size) if isinstance(size, (tuple, list)) else (size, size)


def _check_colorable(n_clusters: int) -> None:
    if n_clusters > len(CLUSTER_COLORS):
        raise ValueError(f"{n_clusters} clusters cannot be told apart by colour (at most "
                         f"{len(CLUSTER_COLORS)}); draw a smaller input or fewer outputs")


def _cell(ax, x, y, colors, radius, gid, edge="white"):
    """An input variable (a dot); split into wedges when it belongs to several clusters."""
    if len(colors) <= 1:
        ax.add_patch(patches.Circle((x, y), radius, facecolor=colors[0] if colors else IDLE_COLOR,
                                    edgecolor=edge, lw=0.8, zorder=6, gid=gid))
        return
    step = 360 / len(colors)
    for k, color in enumerate(colors):
        ax.add_patch(patches.Wedge((x, y), radius, 90 + k * step, 90 + (k + 1) * step,
                                   facecolor=color, edgecolor=edge, lw=0.8, zorder=6, gid=gid))


# --------------------------------------------------------------------------------------
# Figs. 4(a), 4(b), 6(a): two layers of variables in an oblique view
# --------------------------------------------------------------------------------------

_SKEW_X, _SKEW_Y = 0.5, 0.55     # screen offset of one row of depth


def _project(row, col, z, height):
    depth = height - 1 - row      # row 0 is the far edge of the plane
    return col + _SKEW_X * depth, z + _SKEW_Y * depth


def _plane(ax, rows, cols, z, height, **style):
    corners = [(-0.5, -0.5), (-0.5, cols - 0.5), (rows - 0.5, cols - 0.5), (rows - 0.5, -0.5)]
    ax.add_patch(patches.Polygon([_project(r, c, z, height) for r, c in corners], closed=True,
                                 **style))


def _layer_map(ax, layer, in_size, *, plate: bool, title: str, label_inputs: bool = True):
    """Input dots on a lower plane, output squares on an upper plane, each output joined to
    its cluster (one colour per cluster). ``plate`` adds the oval plate of Fig. 4(b) that
    marks the nonlinear (CG) mapping."""
    in_h, in_w = in_size
    groups = cluster_groups(layer, in_h, in_w)
    out_h, out_w = conv_output_size(in_h, in_w, **layer_geometry(layer))
    _check_colorable(len(groups))
    z_out, z_plate = 5.0, 2.9
    color_of = {out: CLUSTER_COLORS[k] for k, out in enumerate(groups)}
    members: dict[tuple[int, int], list[str]] = {}
    for out, cells in groups.items():
        for cell in cells:
            members.setdefault(cell, []).append(color_of[out])

    _plane(ax, in_h, in_w, 0.0, in_h, facecolor="#f2f2f2", edgecolor="0.6", lw=0.8, zorder=0)
    scale = (in_h / out_h, in_w / out_w)   # output cells spread over the input plane

    def out_position(r, c):
        return (r + 0.5) * scale[0] - 0.5, (c + 0.5) * scale[1] - 0.5

    for (r, c), cells in groups.items():
        pr, pc = out_position(r, c)
        top = _project(pr, pc, z_out, in_h)
        hub = _project(pr, pc, z_plate, in_h) if plate else top
        for cell in cells:
            x, y = _project(*cell, 0.0, in_h)
            ax.plot([x, hub[0]], [y, hub[1]], color=color_of[(r, c)], lw=1.1, alpha=0.85,
                    zorder=3, gid=f"link x {cell[0]},{cell[1]} -> y {r},{c}")
        if plate:
            ax.plot([hub[0], top[0]], [hub[1], top[1]], color=color_of[(r, c)], lw=1.8, zorder=3)
            ax.add_patch(patches.Ellipse(hub, 1.25, 0.42, facecolor=color_of[(r, c)], alpha=0.35,
                                         edgecolor=color_of[(r, c)], lw=1.2, zorder=4))
    for row in range(in_h):
        for col in range(in_w):
            x, y = _project(row, col, 0.0, in_h)
            _cell(ax, x, y, members.get((row, col), []), 0.17, gid=f"x {row},{col}")
            if label_inputs:
                ax.text(x + 0.16, y + 0.06, rf"$x_{{{row * in_w + col + 1}}}$", fontsize=7.5,
                        ha="left", va="bottom", zorder=7)
    _plane(ax, in_h, in_w, z_out, in_h, facecolor="none", edgecolor="0.6", lw=0.8, zorder=5)
    half = 0.33 * min(scale)
    for (r, c) in groups:
        pr, pc = out_position(r, c)
        corners = [(pr - half, pc - half), (pr - half, pc + half), (pr + half, pc + half),
                   (pr + half, pc - half)]
        ax.add_patch(patches.Polygon([_project(a, b, z_out, in_h) for a, b in corners], closed=True,
                                     facecolor=color_of[(r, c)], edgecolor="black", lw=0.8,
                                     zorder=8, gid=f"y {r},{c}"))
    corners = [_project(r, c, z, in_h) for r in (-0.5, in_h - 0.5) for c in (-0.5, in_w - 0.5)
               for z in (0.0, z_out)]
    xs, ys = zip(*corners)
    ax.set_xlim(min(xs) - 0.7, max(xs) + 0.3)
    ax.set_ylim(min(ys) - 0.5, max(ys) + 0.3)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10)
    return groups


def _cg_tree(ax, layer, n_inputs: int):
    """Fig. 4(c): x1..x4 -> y1, y2 -> z, each step a CG of ``layer`` along a row."""
    names = ["x", "y", "z"]
    xs = np.arange(n_inputs, dtype=float)
    width, level = n_inputs, 0
    nodes = {(0, i): (x, 0.0) for i, x in enumerate(xs)}
    while width > 1:
        groups = cluster_groups(layer, 1, width)
        parents = {}
        for (_, c), cells in groups.items():
            kids = [nodes[(level, j)] for _, j in cells]
            px = float(np.mean([k[0] for k in kids]))
            py = level + 1.0
            parents[(level + 1, c)] = (px, py)
            plate = (px, py - 0.32)
            for kx, ky in kids:
                ax.plot([kx, plate[0]], [ky, plate[1]], color="0.3", lw=1.2, zorder=1)
            ax.plot([plate[0], px], [plate[1], py], color="0.3", lw=1.6, zorder=1)
            ax.add_patch(patches.Ellipse(plate, 0.9, 0.2, facecolor="#9ecae1", alpha=0.6,
                                         edgecolor="#3182bd", zorder=2))
        nodes.update(parents)
        width = len(groups)
        level += 1
    for (lvl, i), (x, y) in nodes.items():
        name = names[min(lvl, len(names) - 1)]
        label = name if lvl == level else f"{name}_{{{i + 1}}}"     # the top variable is z
        if lvl:      # squares for coarse-grained variables, circles for the input, as in (a), (b)
            marker = patches.Rectangle((x - 0.19, y - 0.19), 0.38, 0.38, facecolor="white",
                                       edgecolor="black", lw=1.2, zorder=3, gid=f"{name} {i}")
        else:
            marker = patches.Circle((x, y), 0.2, facecolor="white", edgecolor="black", lw=1.2,
                                    zorder=3, gid=f"{name} {i}")
        ax.add_patch(marker)
        ax.text(x, y, rf"${label}$", ha="center", va="center", fontsize=10, zorder=4)
    order = getattr(layer, "order", 2)
    for lvl in range(1, level + 1):
        ax.text(n_inputs - 0.6, lvl - 0.05, f"degree {order ** lvl} in x", fontsize=8.5,
                va="center", color="0.3")
    ax.text((n_inputs - 1) / 2, level + 0.45,
            r"$z \ni x_1^4,\ x_1x_3,\ x_1x_2x_3,\ x_1x_2x_3x_4, \dots$", ha="center",
            fontsize=9)
    ax.set_xlim(-0.6, n_inputs + 0.9)
    ax.set_ylim(-0.5, level + 0.75)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title("(c) two successive CGs", fontsize=10)


def cg_vs_conv(conv: nn.Module | None = None, cg: CG2d | None = None, in_size=4):
    """Fig. 4: (a) a convolution and (b) a CG on the 2x2 clusters of a 4x4 input (dots)
    mapped to 2x2 outputs (squares), the cells of one local mapping in one colour, the CG
    marked by the paper's oval plate; (c) two successive CGs x1..x4 -> y1, y2 -> z.
    ``conv`` and ``cg`` default to the paper's kernel 2x2, stride 2x2 (``nn.Conv2d`` and
    :class:`CG2d`); the clusters drawn are those of the layers given."""
    conv = nn.Conv2d(1, 1, kernel_size=2, stride=2) if conv is None else conv
    cg = CG2d(1, 1, kernel_size=2) if cg is None else cg
    in_size = _pair(in_size)
    # two rows, so that the book shows the figure at its natural size (text of 9 px and more)
    fig = plt.figure(figsize=(7.2, 7.2))
    grid = fig.add_gridspec(2, 2, height_ratios=[1, 0.85])
    axes = [fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, :])]
    _layer_map(axes[0], conv, in_size, plate=False,
               title="(a) convolution:\nsquare = $\\sum_i c_i x_i$ (+ $c_0$)")
    _layer_map(axes[1], cg, in_size, plate=True,
               title="(b) CG, Eq. (4): square =\n$c_0 + \\sum_i c_i x_i + \\sum_{i\\leq j} c_{ij} x_i x_j$")
    _cg_tree(axes[2], CG2d(1, 1, kernel_size=(1, 2)), 4)
    fig.subplots_adjust(left=0.01, right=0.99, top=0.93, bottom=0.02, wspace=0.08, hspace=0.15)
    return legible(fig)


# --------------------------------------------------------------------------------------
# Fig. 6
# --------------------------------------------------------------------------------------

def _flat_map(ax, layer, in_size, highlight, title):
    """Top view: the input grid (dots) and the output grid (squares) side by side; the
    highlighted outputs and their (scattered) clusters in one colour each."""
    in_h, in_w = in_size
    groups = cluster_groups(layer, in_h, in_w)
    out_h, out_w = conv_output_size(in_h, in_w, **layer_geometry(layer))
    for out in highlight:
        if out not in groups:
            raise ValueError(f"output cell {out} is outside the {out_h}x{out_w} output")
    _check_colorable(len(highlight))
    color_of = {out: CLUSTER_COLORS[k] for k, out in enumerate(highlight)}
    members: dict[tuple[int, int], list[str]] = {}
    for out in highlight:
        for cell in groups[out]:
            members.setdefault(cell, []).append(color_of[out])
        # the cluster's footprint: its cells joined in order around the window
        cells = groups[out]
        rows = sorted({r for r, _ in cells})
        cols = sorted({c for _, c in cells})
        ax.add_patch(patches.Rectangle((cols[0], -rows[-1]), cols[-1] - cols[0], rows[-1] - rows[0],
                                       fill=False, edgecolor=color_of[out], lw=1.4, ls="--", zorder=2))
    for r in range(in_h):
        for c in range(in_w):
            _cell(ax, c, -r, members.get((r, c), []), 0.24, gid=f"x {r},{c}", edge="0.4")
    offset = in_w + 1.5
    top = -(in_h - out_h) / 2
    for (r, c) in groups:
        color = color_of.get((r, c), "white")
        ax.add_patch(patches.Rectangle((offset + c - 0.3, top - r - 0.3), 0.6, 0.6, facecolor=color,
                                       edgecolor="0.3", lw=0.9, zorder=3, gid=f"y {r},{c}"))
    ax.annotate("", xy=(offset - 0.55, -(in_h - 1) / 2), xytext=(in_w - 0.35, -(in_h - 1) / 2),
                arrowprops=dict(arrowstyle="->", color="0.3", lw=1.2))
    ax.text(in_w + 0.57, -(in_h - 1) / 2 + 0.35, "CG", ha="center", fontsize=9, color="0.3")
    ax.text((in_w - 1) / 2, -in_h + 0.2, f"input {in_h}x{in_w}", ha="center", fontsize=9)
    ax.text(offset + (out_w - 1) / 2, top - out_h + 0.2, f"output {out_h}x{out_w}", ha="center",
            fontsize=9)
    ax.set_xlim(-0.7, offset + out_w - 0.3)
    ax.set_ylim(-in_h - 0.2, 0.7)
    ax.set_aspect("equal")
    ax.axis("off")
    ax.set_title(title, fontsize=10)


def dilated_cg(cg: CG2d | None = None, in_size=4, big_size=6,
               highlight=((0, 0), (0, 1), (2, 2))):
    """Fig. 6: the dilated CG ``CG(2, 2, n, 1, 1, 2)`` (kernel 2x2, stride 1, dilation 2).
    (a) on a 4x4 input, drawn like Fig. 4(b): every cluster is four scattered cells;
    (b) on a ``big_size`` input, seen from above: the clusters of the ``highlight``ed output
    cells (cells shared by several clusters are split between their colours)."""
    cg = CG2d(1, 1, kernel_size=2, stride=1, dilation=2) if cg is None else cg
    fig, axes = plt.subplots(1, 2, figsize=(7.4, 4.2), gridspec_kw={"width_ratios": [1, 1.15]})
    g = layer_geometry(cg)
    spec = f"CG({g['kernel_size'][0]}, {g['kernel_size'][1]}, n, {g['stride'][0]}, {g['stride'][1]}, {g['dilation'][0]})"
    _layer_map(axes[0], cg, _pair(in_size), plate=True,
               title=f"(a) {spec}\non a {_pair(in_size)[0]}x{_pair(in_size)[1]} input")
    _flat_map(axes[1], cg, _pair(big_size), list(highlight),
              title=f"(b) the same CG on {_pair(big_size)[0]}x{_pair(big_size)[1]}:\nclusters of "
                    f"{len(highlight)} outputs")
    fig.subplots_adjust(left=0.01, right=0.99, top=0.9, bottom=0.02, wspace=0.08)
    return legible(fig)
