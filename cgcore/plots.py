"""The book's figures, drawn from stored results (each function returns its Figure)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.colors import ListedColormap
from matplotlib.ticker import FormatStrFormatter, MaxNLocator, NullFormatter

from .checks import check_choice
from .paper import PAPER
from .taylor import level_counts, weight_levels

# the five levels L1..L5, light to dark; the palest shades are left out, so that L1 shows on white
LEVEL_COLORS = sns.color_palette("Blues", 7)[2:]

# The widest a figure is shown in the book (px, the text column at a 1280 px window, as
# tools/check_book.py measures it); wider figures are scaled down to it, text and all.
BOOK_FIGURE_PX = 676
MIN_TEXT_PX = 9


def too_small_text(fig, min_px: float = MIN_TEXT_PX, column_px: float = BOOK_FIGURE_PX) -> list[str]:
    """The texts of ``fig`` (titles, labels, ticks, legends, annotations) that the book
    would draw smaller than ``min_px``: font size in px at the figure's dpi, times the
    scale at which the book shows the figure (its tight bounding box fitted to the column)."""
    from matplotlib.text import Text

    renderer = fig.canvas.get_renderer()
    natural = fig.get_tightbbox(renderer).width * fig.dpi
    scale = min(1.0, column_px / natural)
    small = []
    for text in fig.findobj(Text):
        if text.get_visible() and text.get_text().strip() and text.get_figure() is not None:
            px = text.get_fontsize() * fig.dpi / 72 * scale
            if px < min_px - 1e-6:
                small.append(f"{text.get_text()[:30]!r} at {px:.1f} px")
    return small


def legible(fig):
    """``fig``, checked: every figure of the book returns through here, so a text that
    would be drawn below MIN_TEXT_PX fails the page (and the tests that run it)."""
    small = too_small_text(fig)
    if small:
        raise ValueError(f"{len(small)} text(s) of this figure would be drawn below {MIN_TEXT_PX} px in the book "
                         f"(shown at most {BOOK_FIGURE_PX} px wide): {', '.join(small[:6])}")
    return fig


# how Fig. 2 names a fit of Eq. (3) by its weighting of the terms
FIT_LABELS = {"kernel": "ours (SGD, kernel weighting)", "standardised": "ours (Adam, standardised)"}


def order_sweep(result: dict, title: str = "Fig. 2: test accuracy vs expansion order", kernel: dict | None = None,
                first_fit: dict | None = None, weighting: str = "kernel"):
    """Fig. 2: our test accuracy per order (the chapter's fit, its terms in ``weighting``), with
    the paper's stated points beside it; given taylor_kernel_svm's result, the same polynomials
    fit as one-vs-rest max-margin machines (plain, and with augmented copies); given
    taylor_first_fit's, the chapter's first fit (standardised terms, Adam)."""
    check_choice("weighting", weighting, tuple(FIT_LABELS))
    orders = sorted(int(o) for o in result["orders"])  # stored JSON keys are strings
    ours = [result["orders"][str(o)]["test_acc"] for o in orders]
    fig, ax = plt.subplots(figsize=(5, 3.5))
    ax.plot(orders, ours, "o-", label=FIT_LABELS[weighting])
    machines = (kernel or {}).get("schemes", {}).get("one_vs_rest", {})
    for part, style, label in (("degrees", "^--", "ours (max-margin)"),
                               ("augmented", "v:", "ours (max-margin, augmented copy)")):
        fits = sorted((int(d), row["test_acc"]) for d, row in machines.get(part, {}).items())
        if fits:
            ax.plot(*zip(*fits), style, color="C2" if part == "degrees" else "C1", markersize=5, label=label)
    if first_fit:
        fits = sorted((int(o), row["test_acc"]) for o, row in first_fit["orders"].items())
        ax.plot(*zip(*fits), "D-.", color="C4", markersize=5, label=FIT_LABELS["standardised"] + ", first fit")
    paper = [(o, PAPER[f"taylor_order{o}_acc"].value) for o in orders
             if f"taylor_order{o}_acc" in PAPER and PAPER[f"taylor_order{o}_acc"].value is not None]
    if paper:
        ax.plot(*zip(*paper), "s", color="C3", markersize=8, label="paper (stated in text)")
    for o, acc in zip(orders, ours):
        ax.annotate(f"{acc:.2%}", (o, acc), textcoords="offset points", xytext=(0, -14), ha="center", fontsize=8)
    ax.margins(x=0.08, y=0.15)
    ax.set(xlabel="expansion order n", ylabel="test accuracy", xticks=orders, title=title)
    ax.legend(loc="lower right")
    fig.tight_layout()
    return legible(fig)


def training_curves(result: dict):
    """Test accuracy per epoch for every order."""
    fig, ax = plt.subplots(figsize=(5, 3.5))
    for order, row in sorted(result["orders"].items(), key=lambda kv: int(kv[0])):
        h = row["history"]
        ax.plot(h["epoch"], h["test_acc"], "o-", markersize=3, label=f"n = {order}")
    ax.set(xlabel="epoch", ylabel="test accuracy", title="Training curves (ours; not a figure of the paper)")
    ax.legend()
    fig.tight_layout()
    return legible(fig)


def quadratic_levels(quadratic: dict, by: str = "value", basis: str = "upper",
                     title: str = "Fig. 3: quadratic weights by level and pixel distance"):
    """Fig. 3: (a) level make-up of the quadratic weights at each pixel distance d_ij,
    (b) for each level, the share of its weights at each distance. ``basis`` names the
    stored coefficients: ``"upper"`` (of u_i u_j, the model's variables) or
    ``"upper_at_zero"`` (of the plain pixels x_i x_j at the black image)."""
    upper = np.asarray(quadratic[basis])
    distances, counts = level_counts(upper, quadratic["side"], by=by)
    per_distance = counts / counts.sum(0, keepdims=True)
    per_level = counts / counts.sum(1, keepdims=True)
    fig, (ax_a, ax_b) = plt.subplots(1, 2, figsize=(10.5, 3.8))
    positions = np.arange(distances.size)
    bottom = np.zeros(distances.size)
    for level in range(counts.shape[0]):
        ax_a.bar(positions, per_distance[level], bottom=bottom, color=LEVEL_COLORS[level], label=f"L{level + 1}")
        bottom += per_distance[level]
        ax_b.plot(distances, per_level[level], "o-", markersize=3, color=LEVEL_COLORS[level], label=f"L{level + 1}")
    step = max(1, distances.size // 12)
    ax_a.set_xticks(positions[::step], [f"{d:.1f}" for d in distances[::step]])
    ax_a.set(xlabel="pixel distance $d_{ij}$", ylabel="share of the weights at $d_{ij}$",
             title="(a) levels at each distance")
    ax_b.set(xlabel="pixel distance $d_{ij}$", ylabel="share of the level's weights",
             title="(b) distance profile of each level")
    ax_a.legend(ncol=5, fontsize=10, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    ax_b.legend(fontsize=10, title="level (L5 largest)", title_fontsize=10)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return legible(fig)


def quadratic_maps(quadratic: dict, by: str = "value", class_names=None, title: str | None = None):
    """Fig. 13: per class, the 49 x 49 map of the quadratic weights ``quadratic["upper"]`` drawn
    by level, with counts (by default titled for the direct expansion's, coefficients of its
    own variables u_i u_j)."""
    upper = np.asarray(quadratic["upper"])
    side = quadratic["side"]
    n = side * side
    levels = weight_levels(upper, 5, by)
    iu = np.triu_indices(n)
    n_classes = upper.shape[0]
    columns = (n_classes + 1) // 2
    fig, axes = plt.subplots(2, columns, figsize=(2.0 * columns + 0.6, 5.3), layout="constrained")
    cmap = ListedColormap(LEVEL_COLORS)
    ticks = [0, n // 2, n - 1]
    image = None
    for c, ax in enumerate(axes.flat):
        if c >= n_classes:
            ax.axis("off")
            continue
        grid = np.full((n, n), np.nan)
        grid[iu] = levels[c]
        grid[iu[1], iu[0]] = levels[c]
        image = ax.imshow(grid, cmap=cmap, vmin=0.5, vmax=5.5, interpolation="nearest")
        counts = np.bincount(levels[c], minlength=6)[1:]
        ax.set_title(class_names[c] if class_names else f"class {c}", fontsize=11)
        ax.set_xticks(ticks, [str(t) for t in ticks], fontsize=9)
        ax.set_yticks(ticks, [str(t) for t in ticks], fontsize=9)
        per_level = [f"L{k + 1}:{v}" for k, v in enumerate(counts)]    # on two lines, to fit under the map
        ax.set_xlabel("pixel i\n" + " ".join(per_level[:3]) + "\n" + " ".join(per_level[3:]), fontsize=9)
        if c % columns == 0:
            ax.set_ylabel("pixel j", fontsize=10)
    bar = fig.colorbar(image, ax=axes, ticks=range(1, 6), shrink=0.6)
    bar.ax.set_yticklabels([f"L{k}" + (" (smallest)" if k == 1 else " (largest)" if k == 5 else "")
                            for k in range(1, 6)], fontsize=10)
    fig.suptitle(title or f"Fig. 13: quadratic weights (of $u_i u_j$) per class by level ({by}); under each map the "
                          f"count of weights per level", fontsize=12)
    return legible(fig)


# --------------------------------------------------------------------------- TaylorNet

def taylornet_curves(runs: dict, paper: dict | None = None,
                     title: str = "Training curves"):
    """Test accuracy and training loss per epoch for several trained models.

    ``runs``: label -> a model row of a stored TaylorNet result (with ``history``);
    ``paper``: label -> the paper's accuracy for that model (None or missing: not drawn).
    """
    paper = paper or {}
    fig, (ax_acc, ax_loss) = plt.subplots(1, 2, figsize=(10, 3.6))
    for i, (label, row) in enumerate(runs.items()):
        h = row["history"]
        color = f"C{i}"
        ax_acc.plot(h["epoch"], h["test_acc"], "o-", markersize=3, color=color, label=f"{label} (test)")
        ax_acc.plot(h["epoch"], h["train_acc"], ":", color=color, label=f"{label} (train)")
        ax_loss.plot(h["epoch"], h["train_loss"], "o-", markersize=3, color=color, label=label)
        if paper.get(label) is not None:
            ax_acc.axhline(paper[label], color=color, linestyle="--", linewidth=1,
                           label=f"{label}: paper {paper[label]:.1%}")
    ax_acc.set(xlabel="epoch", ylabel="accuracy", title="accuracy per epoch")
    ax_loss.set(xlabel="epoch", ylabel="training cross-entropy", title="training loss per epoch",
                yscale="log")
    losses = [v for row in runs.values() for v in row["history"]["train_loss"] if v and v > 0]
    ax_loss.yaxis.set_major_formatter(FormatStrFormatter("%.3g"))
    # label the minor ticks only when the losses stay within a decade (no major tick to read)
    ax_loss.yaxis.set_minor_formatter(FormatStrFormatter("%.3g") if losses and max(losses) < 10 * min(losses)
                                      else NullFormatter())
    last = max(max(row["history"]["epoch"]) for row in runs.values())
    for ax in (ax_acc, ax_loss):
        ax.set_xlim(0.5, last + 0.5)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    ax_loss.legend(fontsize=10)
    # the accuracy panel's key in rows of its own below both panels, where no axis label sits
    handles, labels = ax_acc.get_legend_handles_labels()
    ncol = 3
    key_inches = 0.3 * -(-len(labels) // ncol) + 0.1
    height = 3.6 + key_inches
    fig.set_size_inches(10, height)
    fig.legend(handles, labels, fontsize=10, loc="lower center", ncol=ncol, frameon=False)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout(rect=(0, key_inches / height, 1, 1))
    return legible(fig)


def coefficient_pattern(pattern, conv_pattern, a_labels, b_labels, paper_pattern=None,
                        title: str = "Nonzero entries of W in z = a W b$^T$"):
    """Fig. 10 (= Fig. S1): W's nonzero entries drawn like the paper (a-terms as columns,
    b-terms as rows, i.e. W^T), the entries a convolution would also produce boxed in red.
    With ``paper_pattern`` (rows = b, columns = a), cells where the paper differs are crossed."""
    shown = np.asarray(pattern).T
    conv = np.asarray(conv_pattern).T
    n_rows, n_cols = shown.shape
    fig, ax = plt.subplots(figsize=(6.4, 6.0))
    ax.imshow(shown, cmap=ListedColormap(["white", "#4c72b0"]), vmin=0, vmax=1, interpolation="nearest")
    for r in range(n_rows):
        for c in range(n_cols):
            ax.text(c, r, str(shown[r, c]), ha="center", va="center", fontsize=7,
                    color="white" if shown[r, c] else "0.6")
            if conv[r, c]:
                ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor="red", linewidth=2))
            if paper_pattern is not None and int(paper_pattern[r][c]) != shown[r, c]:
                ax.plot([c - 0.4, c + 0.4], [r - 0.4, r + 0.4], color="orange", linewidth=2)
                ax.plot([c - 0.4, c + 0.4], [r + 0.4, r - 0.4], color="orange", linewidth=2)
    ax.set_xticks(range(n_cols), [f"${t}$" for t in a_labels], rotation=90, fontsize=8)
    ax.set_yticks(range(n_rows), [f"${t}$" for t in b_labels], fontsize=8)
    ax.xaxis.tick_top()
    ax.set_xticks(np.arange(-0.5, n_cols), minor=True)
    ax.set_yticks(np.arange(-0.5, n_rows), minor=True)
    ax.grid(which="minor", color="0.85", linewidth=0.5)
    ax.tick_params(which="minor", length=0)
    ax.set_xlabel("a (terms in $x_1, x_2$)")
    ax.set_ylabel("b (terms in $x_3, x_4$)")
    ax.set_title(title, fontsize=10, pad=12)
    fig.tight_layout()
    return legible(fig)


def degree_spectrum(coefficients: dict, title: str = "Degree of a CG stack along a ray t·x"):
    """log10 of the largest Chebyshev coefficient of t -> f(t x) for each degree
    (``cgcore.layers.coefficients_along_ray``), one line per network; the expected
    degree of each is drawn as a vertical tick when the label maps to (coeffs, degree)."""
    fig, ax = plt.subplots(figsize=(8.4, 3.6))
    for i, (label, (coeffs, degree)) in enumerate(coefficients.items()):
        coeffs = np.asarray(coeffs, dtype=float)
        rel = np.log10(np.maximum(coeffs / coeffs.max(), 1e-17))   # exact zeros drawn at the floor
        ax.plot(np.arange(coeffs.size), rel, "o-", markersize=4, color=f"C{i}", label=label)
        ax.axvline(degree, color=f"C{i}", linestyle=":", linewidth=1)
    ax.set(xlabel="degree in t", ylabel="log$_{10}$ |coefficient| / max", title=title, ylim=(-17.5, 1))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=10, loc="upper left", bbox_to_anchor=(1.01, 1))
    fig.tight_layout()
    return legible(fig)


# --------------------------------------------------------------------------- Sec. IV and Supplement E

def _show_image(ax, image: np.ndarray) -> None:
    """One uint8 image (C, H, W), grey for one channel."""
    if image.shape[0] == 1:
        ax.imshow(image[0], cmap="gray", vmin=0, vmax=255)
    else:
        ax.imshow(np.transpose(image, (1, 2, 0)))
    ax.set_xticks([])
    ax.set_yticks([])


def distilled_levels(arrays: dict, loss: str, class_names=None, title: str = ""):
    """Fig. 9: one original per class (L0) and the first distilled image of every level."""
    levels = sorted(int(k.rsplit("level", 1)[1]) for k in arrays if k.startswith(f"{loss}_level"))
    rows = [("L0", arrays["level0"])] + [(f"L{k}", arrays[f"{loss}_level{k}"][0]) for k in levels]
    n_classes = arrays["level0"].shape[0]
    fig, axes = plt.subplots(len(rows), n_classes, figsize=(n_classes * 1.0, len(rows) * 1.0 + 0.6),
                             squeeze=False, layout="constrained")
    for r, (label, images) in enumerate(rows):
        for c in range(n_classes):
            _show_image(axes[r, c], images[c])
            if c == 0:
                axes[r, c].set_ylabel(label, rotation=0, labelpad=14, va="center")
            if r == 0 and class_names is not None:
                axes[r, c].set_title(str(class_names[c]), fontsize=8)
    fig.suptitle(title, fontsize=10)
    return legible(fig)


def image_row(images: np.ndarray, class_names, title: str = ""):
    """One uint8 image (C, H, W) per class in a row, titled by class."""
    fig, axes = plt.subplots(1, len(images), figsize=(len(images) * 1.0, 1.7), squeeze=False, layout="constrained")
    for c, image in enumerate(images):
        _show_image(axes[0, c], image)
        axes[0, c].set_title(str(class_names[c]), fontsize=8)
    fig.suptitle(title, fontsize=10)
    return legible(fig)


def level_samples(arrays: dict, loss: str, level: int, title: str = "", rows: int | None = None):
    """Several distilled images per class at one level (columns are classes; the first
    ``rows`` of those stored, all by default)."""
    images = arrays[f"{loss}_level{level}"][:rows]
    n, n_classes = images.shape[:2]
    fig, axes = plt.subplots(n, n_classes, figsize=(n_classes * 0.75, n * 0.75 + 0.5), squeeze=False,
                             layout="constrained")
    for i in range(n):
        for c in range(n_classes):
            _show_image(axes[i, c], images[i, c])
    fig.suptitle(title, fontsize=10)
    return legible(fig)


def similarity_figure(result: dict, class_names, title: str = ""):
    """Fig. S5 (MNIST) or S6 (CIFAR-10): Eq. (S3) per class against the level for one
    stored distillation result, (a) the cosine similarity s and (b) the distance d.
    Level 0 is the original data; the top level (one image per class) has no pair."""
    fig, axes = plt.subplots(1, 2, figsize=(8, 3.6))
    rows = [row for row in result["levels"]["euclidean"] if "s" in row]
    levels = [0] + [row["level"] for row in rows]
    palette = sns.color_palette("tab10", len(class_names))
    for ax, measure, panel in zip(axes, ("s", "d"), ("(a) cosine similarity s", "(b) squared distance d")):
        values = np.array([result["similarity_level0"][measure]] + [row[measure] for row in rows])
        for c in range(values.shape[1]):
            ax.plot(levels, values[:, c], "o-", color=palette[c], markersize=3, label=class_names[c])
        ax.set(xlabel="distillation level α", xticks=levels, ylabel=measure, title=panel)
    axes[1].legend(fontsize=9.5, ncol=1, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return legible(fig)


def reference_accuracy_by_level(result: dict, title: str = ""):
    """Classification by references of each level (nearest by angle in the backbone's
    embedding), with the backbone and the two trivial references as horizontal lines."""
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    for i, (loss, accs) in enumerate(result["reference_acc"].items()):
        levels = sorted(int(k[1:]) for k in accs)
        ax.plot(levels, [accs[f"D{k}"] for k in levels], "o-", color=f"C{i}", label=f"D_k references ({loss})")
    ax.axhline(result["backbone"]["test_acc"], color="k", lw=1, label="backbone's own classifier")
    styles = {"class_mean": ("gray", "--", "class-mean image"), "random_real": ("gray", ":", "one random real image"),
              "centroid": ("C2", "-.", "class centroids (ceiling)")}
    for key, acc in result["trivial_reference_acc"].items():
        color, ls, label = styles[key]
        ax.axhline(acc, color=color, ls=ls, lw=1, label=label)
    top = len(result["group_sizes"])
    for i, (loss, claim) in enumerate((("euclidean", "distill_ref"), ("arcface", "distill_arcface"))):
        paper = PAPER.get(f"{claim}_{result['dataset']}_acc")
        if loss in result["reference_acc"] and paper is not None and paper.value is not None:
            ax.plot([top], [paper.value], "*", color=f"C{i}", markersize=13, markeredgecolor="k",
                    label=f"paper, D{top} ({loss})")
    ax.set(xlabel="level k of the references", ylabel="test accuracy", title=title,
           xticks=sorted(int(k[1:]) for accs in result["reference_acc"].values() for k in accs))
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    return legible(fig)


def image_measures_by_level(measures: dict):
    """High-frequency share per level (L0 = real images) for each data set: a blurring
    hierarchy goes down, a noisy one goes up."""
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    for i, (name, table) in enumerate(measures.items()):
        values = table["high-frequency share"].astype(float)
        ax.plot(range(len(values)), values.values, "o-", color=f"C{i}", label=name)
    labels = ["real"] + [f"D{k}" for k in range(1, max(len(t) for t in measures.values()))]
    ax.set(xticks=range(len(labels)), xticklabels=labels, xlabel="level",
           ylabel="spectral power above half Nyquist", title="Do the references blur? (lower = smoother)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return legible(fig)


def ablation_curves(result: dict, title: str = ""):
    """Nearest-reference accuracy of every level for each variant of a distillation
    ablation, with one random real image per class and the class centroids as lines."""
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for i, (name, r) in enumerate(result["variants"].items()):
        levels = [int(k[1:]) for k in r["reference_acc"]]
        ax.plot(levels, list(r["reference_acc"].values()), "o-", color=f"C{i % 10}", markersize=4, label=name)
    ax.axhline(result["random_real_acc"], color="gray", ls=":", lw=1, label="one random real image")
    ax.axhline(result["ceiling_acc"], color="k", ls="-.", lw=1, label="class centroids (ceiling)")
    ax.set(xlabel="level", ylabel="test accuracy", title=title)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    fig.tight_layout()
    return legible(fig)


def baselines_bars(table, title: str = "Each TaylorNet and its equal-size twins, same recipe"):
    """:func:`cgcore.report.baselines_table` as one panel per data set (each with its own
    accuracy range, so a 78 % data set and a 99 % one are both readable); data sets with
    nothing stored are left out. Returns the figure, or None when nothing is stored."""
    stored = table.dropna(subset=["test accuracy"]).reset_index()
    if stored.empty:
        return None
    datasets = list(dict.fromkeys(stored["data set"]))
    models = list(dict.fromkeys(table.reset_index()["model"]))
    colors = dict(zip(models, sns.color_palette(n_colors=len(models))))
    ncols = 2 if len(datasets) == 4 else len(datasets)   # four panels in a row would be too small to read
    nrows = -(-len(datasets) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(2.8 * ncols + 0.8, 3.0 * nrows + 0.4), squeeze=False)
    for ax, dataset in zip(axes.flat, datasets):
        rows = stored[stored["data set"] == dataset]
        accs = 100 * rows["test accuracy"].to_numpy(dtype=float)
        ax.bar(range(len(rows)), accs, color=[colors[m] for m in rows["model"]])
        spread = max(accs.max() - accs.min(), 0.5)
        ax.set_ylim(max(0.0, accs.min() - spread), min(100.0, accs.max() + 0.6 * spread))
        for i, acc in enumerate(accs):
            ax.text(i, acc, f"{acc:.2f}", ha="center", va="bottom", fontsize=9)
        ax.set_xticks(range(len(rows)), [m.split(" ")[0] for m in rows["model"]])
        ax.set_title(dataset)
    for row in axes:
        row[0].set_ylabel("test accuracy (%)")
    fig.suptitle(title)
    fig.tight_layout()
    return legible(fig)
