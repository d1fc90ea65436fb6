"""The book's figures, drawn from stored results (each function returns its Figure)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.colors import ListedColormap

from .paper import PAPER
from .taylor import level_counts, weight_levels

LEVEL_COLORS = sns.color_palette("Blues", 5)


def order_sweep(result: dict, title: str = "Fig. 2: test accuracy vs expansion order"):
    """Fig. 2: our test accuracy per order, with the paper's stated points beside it."""
    orders = sorted(int(o) for o in result["orders"])  # stored JSON keys are strings
    ours = [result["orders"][str(o)]["test_acc"] for o in orders]
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(orders, ours, "o-", label="ours")
    paper = [(o, PAPER[f"taylor_order{o}_acc"].value) for o in orders
             if f"taylor_order{o}_acc" in PAPER and PAPER[f"taylor_order{o}_acc"].value is not None]
    if paper:
        ax.plot(*zip(*paper), "s", color="C3", markersize=8, label="paper (stated in text)")
    for o, acc in zip(orders, ours):
        ax.annotate(f"{acc:.2%}", (o, acc), textcoords="offset points", xytext=(0, -14), ha="center", fontsize=8)
    ax.set(xlabel="expansion order n", ylabel="test accuracy", xticks=orders, title=title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


def training_curves(result: dict):
    """Test accuracy per epoch for every order."""
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for order, row in sorted(result["orders"].items(), key=lambda kv: int(kv[0])):
        h = row["history"]
        ax.plot(h["epoch"], h["test_acc"], "o-", markersize=3, label=f"n = {order}")
    ax.set(xlabel="epoch", ylabel="test accuracy", title="Training curves")
    ax.legend()
    fig.tight_layout()
    return fig


def quadratic_levels(quadratic: dict, by: str = "value"):
    """Fig. 3: (a) level make-up of the quadratic weights at each pixel distance d_ij,
    (b) for each level, the share of its weights at each distance."""
    upper = np.asarray(quadratic["upper"])
    distances, counts = level_counts(upper, quadratic["side"], by=by)
    per_distance = counts / counts.sum(0, keepdims=True)
    per_level = counts / counts.sum(1, keepdims=True)
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(11, 3.8))
    positions = np.arange(distances.size)
    bottom = np.zeros(distances.size)
    for level in range(counts.shape[0]):
        ax_a.bar(positions, per_distance[level], bottom=bottom, color=LEVEL_COLORS[level], label=f"L{level + 1}")
        bottom += per_distance[level]
        ax_b.plot(distances, per_level[level], "o-", markersize=3, color=LEVEL_COLORS[level], label=f"L{level + 1}")
    step = max(1, distances.size // 12)
    ax_a.set_xticks(positions[::step], [f"{d:.1f}" for d in distances[::step]])
    ax_a.set(xlabel="$d_{ij}$", ylabel="share of the weights at $d_{ij}$", title="(a) levels at each distance")
    ax_b.set(xlabel="$d_{ij}$", ylabel="share of the level's weights", title="(b) distance profile of each level")
    ax_a.legend(ncol=5, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    ax_b.legend(fontsize=7)
    fig.tight_layout()
    return fig


def quadratic_maps(quadratic: dict, by: str = "value", class_names=None):
    """Fig. 13: per class, the 49 x 49 map of x_i x_j weights drawn by level, with counts."""
    upper = np.asarray(quadratic["upper"])
    side = quadratic["side"]
    n = side * side
    levels = weight_levels(upper, 5, by)
    iu = np.triu_indices(n)
    n_classes = upper.shape[0]
    fig, axes = plt.subplots(2, (n_classes + 1) // 2, figsize=(2.6 * ((n_classes + 1) // 2), 5.6))
    cmap = ListedColormap(LEVEL_COLORS)
    for c, ax in enumerate(axes.flat):
        if c >= n_classes:
            ax.axis("off")
            continue
        grid = np.full((n, n), np.nan)
        grid[iu] = levels[c]
        grid[iu[1], iu[0]] = levels[c]
        ax.imshow(grid, cmap=cmap, vmin=0.5, vmax=5.5, interpolation="nearest")
        counts = np.bincount(levels[c], minlength=6)[1:]
        ax.set_title(class_names[c] if class_names else f"class {c}", fontsize=9)
        ax.set_xlabel(" ".join(f"L{k + 1}:{v}" for k, v in enumerate(counts)), fontsize=6)
        ax.set_xticks([]), ax.set_yticks([])
    fig.suptitle("Fig. 13: quadratic weights $x_i x_j$ by level (darker = larger)", fontsize=10)
    fig.tight_layout()
    return fig
