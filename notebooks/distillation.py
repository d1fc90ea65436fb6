# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Multi-level data distillation (Sec. IV)
#
# The paper's second use of coarse graining is not a network but a procedure: distil a
# data set level by level, as an RG flow coarse-grains a lattice.
#
# > "Utilizing the hierarchical coarse-grained structure, the new proposal aims to extract
# > the essential features through a multistep process, in which the abstraction is
# > performed progressively from lower levels to higher levels."
#
# This chapter rebuilds the hierarchy of Fig. 7, the distillation step of Eq. (5) with the
# network of Fig. 8, draws Fig. 9 from the distilled images, and checks the paper's use of
# the top level as *references* for classification (98.7 % on MNIST, 86.9 % on CIFAR-10)
# on the [next page](references_mnist.ipynb). The similarity analysis of
# Supplement E, {ref}`Eq. (S3) <eq-s3>`, has its own chapter. The code is `cgcore.distill`
# (the method) and `cgcore.experiments.distillation` (the experiment). The book has one
# page per data set (the `dataset` parameter; `"both"` shows MNIST and CIFAR-10 side by
# side); a result that is not stored is computed.

# %% tags=["parameters"]
import os

dataset = "mnist"                                         # mnist | cifar10 | both
profile = os.environ.get("CGBOOK_PROFILE", "cpu")         # smoke | cpu | paper
recompute = os.environ.get("CGBOOK_RECOMPUTE", "auto")    # auto | always | never

# %% tags=["remove-input"]
import pandas as pd
import torch
from IPython.display import display

from cgcore import distill, plots
from cgcore.checks import check_choice
from cgcore.data import CIFAR10_CLASSES
from cgcore.experiments import run_or_load_each
from cgcore.models import distill_convnet
from cgcore.profiles import PROFILES, get_config
from cgcore.report import (cifar10_caveat, hierarchy_table, image_measures, layer_output_table, level0_groups_text,
                           load_distillations, manifest_summary, on_this_page, show_markdown)

DATASETS = ("mnist", "cifar10")
check_choice("dataset", dataset, (*DATASETS, "both"))
SHOWN = DATASETS if dataset == "both" else (dataset,)
check_choice("profile", profile, PROFILES)


CLASS_NAMES = {"mnist": tuple(range(10)), "cifar10": CIFAR10_CLASSES}
FIGURE = {"mnist": "Fig. 9(a)", "cifar10": "Fig. 9(b)"}
configs = {name: get_config(f"distillation_{name}", profile) for name in SHOWN}
show_markdown(cifar10_caveat(SHOWN))

# %% tags=["remove-input", "hide-output"]
pd.DataFrame({f"distillation_{name} [{profile}]": {k: str(v) for k, v in config.items()}
              for name, config in configs.items()})

# %% [markdown]
# ## The hierarchy (Fig. 7)
#
# > "Firstly we divide each class into 600 groups equally, and select one group from each
# > class to constitute a subset which contains 10 images for each class ... distill 10
# > images corresponding to the 10 classes out of each subset ... Repeat this
# > divide-and-conquer strategy, we can obtain dataset $D^{(3)}(10, 20)$, $D^{(4)}(10, 4)$,
# > and finally reach the highest distilled dataset $D^{(5)}(10, 1)$."
#
# A partition is a list of group sizes; level $k$ holds the product of the sizes still to
# come, per class. In `cgcore.distill`, subset $j$ of level $k+1$ gathers subsets
# $j g, \dots, j g + g - 1$ of level $k$, so every level is one tensor
# (subsets, classes, channels, height, width).

# %% tags=["hide-input"]
pd.concat({name: hierarchy_table(config["group_sizes"]) for name, config in configs.items()}, axis=1)

# %% [markdown]
# The paper writes MNIST as $D^{(0)}(10, 6000)$, but its classes are not all of that size
# (below). `level0="exact"` insists on the product of the group sizes per class and says
# what is wrong otherwise; for MNIST the book uses `level0="uneven"`: each class is
# shuffled and cut into as many groups of nearly equal size as Fig. 7's level 1 holds, so
# all 60,000 images are used and the levels above are exactly as in Fig. 7. CIFAR-10 has
# no partition in the paper; ours keeps Fig. 7's shape with five levels, 10-to-1, then 5,
# 5, 5 and 4-to-1.

# %% [markdown]
# The stored results, with what produced them:

# %% tags=["hide-input"]
stored, arrays, missing = load_distillations(SHOWN, profile, recompute)
show_markdown("\n\n".join(missing))
results = {name: found["result"] for name, found in stored.items()}

# %% tags=["remove-input", "hide-output"]
pd.concat({name: manifest_summary(found["manifest"])["value"] for name, found in stored.items()}, axis=1)

# %% [markdown]
# Training images per class, how they are cut into level 1's groups, and what
# `level0="exact"` says about them:

# %% tags=["hide-input"]
for name, result in results.items():
    counts = result["level0_class_sizes"]
    display(pd.DataFrame({"images": counts}, index=pd.Index(CLASS_NAMES[name], name=f"{name}, class")).T)
    show_markdown(f"{name}: {level0_groups_text(result, configs[name]['level0'])}")
    labels = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts))
    try:
        distill.assign_level0(labels, len(counts), result["group_sizes"], "exact")
        show_markdown(f"{name}: `level0='exact'` accepts it.")
    except ValueError as err:
        show_markdown(f"{name}: `level0='exact'` refuses it: *{err}*")

# %% [markdown]
# (eq-5)=
# ## One distillation step (Eq. 5, Fig. 8)
#
# > "The goal of the procedure is to determine n (distilled) images, denoted as $Y$s,
# > which minimize a lost function defined in the following
# >
# > $$L = \sum_{\alpha=1}^n \left(\lambda d_{\alpha, \alpha} - \sum_{\beta \neq \alpha}^n d_{\alpha, \beta} \right),
# > \qquad d_{\alpha, \beta} \equiv \sum_{i=1}^{m_{\beta}} |f(Y_{\alpha}) - f(X_{\beta, i})|^2 \qquad (5)$$
# >
# > ... λ is a hyperparameter ... which is set to be 19 in our calculations."
#
# Expanding the square, $d_{\alpha\beta} = m_\beta |f(Y_\alpha)|^2 - 2 f(Y_\alpha)\cdot S_\beta + Q_\beta$
# with $S_\beta = \sum_i f(X_{\beta,i})$ and $Q_\beta = \sum_i |f(X_{\beta,i})|^2$: the real
# images enter only through three statistics per class and subset, which is how
# `cgcore.distill.eq5_loss` computes it. It also shows what λ does. In embedding space,
# $L$ is a quadratic in each $f(Y_\alpha)$ with leading coefficient
# $\lambda m_\alpha - \sum_{\beta\ne\alpha} m_\beta$; with ten equal classes it is bounded
# below only for $\lambda > 9$, and its minimum is at
# $f(Y_\alpha) = (\lambda S_\alpha - \sum_{\beta\ne\alpha} S_\beta)/(\lambda m_\alpha - \sum_{\beta\ne\alpha} m_\beta)$,
# the class mean pushed away from the other classes' means. At λ = 19 and equal classes
# that is $1.9\,\bar f_\alpha - 0.1 \sum_{\beta\ne\alpha} \bar f_\beta$. A hand-made check:

# %%
stats = (torch.ones(1, 10), torch.zeros(1, 10, 1), torch.zeros(1, 10))   # ten classes, one point each at 0
far = torch.full((1, 10, 1), 100.0)                                       # references far away
pd.DataFrame({"λ": [19, 9.5, 8.5], "L with references at 100": [
    distill.eq5_loss(far, *stats, lam=lam).item() for lam in (19, 9.5, 8.5)]}).set_index("λ")

# %% [markdown]
# > "Conv1 has structure Conv(3,3,128,1,1,3), both Conv2 and Conv3 have structure
# > Conv(3,3,128,1,1,1). Act1, Act2, Act3 are three activation layers, each of which is
# > composed of instance normalization, relu, and avgpooling ... the result is a vector
# > with length 16 and channels 128." (Fig. 8)
#
# The sixth number of Conv1 is its padding: 28×28 padded by 3 is 32×32, and three 2×2
# poolings leave 4×4 = 16 positions (`cgcore.models.distill_convnet`; a 32×32 CIFAR-10
# image gets padding 1 and ends at 4×4 too).

# %% tags=["hide-output"]
pd.concat({"mnist, 1x28x28": layer_output_table(distill_convnet(1, 28, width=128), (1, 28, 28)),
           "cifar10, 3x32x32": layer_output_table(distill_convnet(3, 32, width=128), (3, 32, 32))["output"]}, axis=1)

# %% [markdown]
# **What the paper leaves open, and what the book chose** (all in `DistillConfig` and
# the profile): distribution matching as in Ref. 63, i.e. the synthetic images are the
# parameters, initialised from a real image of their class and subset (`init="real"`),
# and the embedding network is randomly initialised and never trained. Adam on the
# standardised pixels, no augmentation during distillation. As in Ref. 63, a fresh
# random network is drawn at every iteration (`pool_size=None`), so every iteration embeds
# all the real images of the level: on two cores that is most of the cost, and the `cpu`
# profile runs that forward pass (which needs no gradient) through `torch.compile`
# (`embed_compile`): the network is an argument of the compiled function, so one graph,
# compiled once per run in a few seconds, serves every fresh network (measured in the
# benchmarks appendix, with the check that the references come out the same). It also narrows the
# network (width 32 instead of 128) and runs few iterations where a level is large; the
# `paper` profile has width 128, float32 and 1,000 iterations per level.

# %% tags=["remove-input", "hide-output"]
pd.DataFrame({name: {k: str(v) for k, v in config["distill"].items()} for name, config in configs.items()})

# %% [markdown]
# A fresh network at every iteration is what Ref. 63 does, and what the `cpu` profile
# adopted after measuring what its earlier shortcut (a pool of four fixed networks) cost:
# that measurement is in the [benchmarks appendix](benchmarks.ipynb).

# %% tags=["remove-cell"]
budgets, missing = run_or_load_each(on_this_page({"mnist": "distill_budget", "cifar10": "distill_budget_cifar10"},
                                                 SHOWN),
                                    profile, recompute, compute=SHOWN)

# %% [markdown]
# ## The distillation
#
# Every subset of a level is distilled at once: one forward pass embeds the references of
# all subsets, and because $L$ is a sum over subsets with nothing coupling them (instance
# norm acts per image), its gradient is exactly the per-subset gradients side by side
# (`tests/test_distill.py` checks this against the loop). The wall time of every level:

# %% tags=["hide-input"]
rows = []
for name, result in results.items():
    for loss, levels in result["levels"].items():
        for row in levels:
            rows.append({"data set": name, "loss": loss, "level": f"D{row['level']}",
                         "images per class": row["images_per_class"],
                         "loss per subset, first → last": f"{row['loss_first']:.4g} → {row['loss_last']:.4g}",
                         "wall time": f"{row['seconds'] / 60:.1f} min",
                         "of which embedding real images": f"{row['embed_seconds'] / 60:.1f} min"})
pd.DataFrame(rows).set_index(["data set", "loss", "level"])

# %% [markdown]
# ## Fig. 9: the distilled images
#
# > "it seems that the obtained images obtained from lower-level distillations contain
# > more details and are clearer. When the level of distillation goes up, the details
# > gradually blur and only some indescribable features remain. This tendency is more
# > evident for CIFAR-10 dataset."
#
# One original per class (L0) and the first distilled image of every level (Eq. 5):

# %% tags=["hide-input"]
for name in arrays:
    fig = plots.distilled_levels(arrays[name], "euclidean", CLASS_NAMES[name],
                                 title=f"{FIGURE[name]}, {name}: L0 an original, L1-L5 distilled (Eq. 5)")
    plots.plt.show()

# %% [markdown]
# The same with the angular (ArcFace) loss the paper mentions as an improvement:

# %% tags=["hide-input"]
for name in arrays:
    if "arcface" in results[name]["levels"]:
        fig = plots.distilled_levels(arrays[name], "arcface", CLASS_NAMES[name],
                                     title=f"{name}: distilled with the ArcFace loss (not a figure of the paper)")
        plots.plt.show()

# %% [markdown]
# Four images per class of the first two levels (each column a class):

# %% tags=["hide-input"]
for name in arrays:
    for level in (1, 2):
        fig = plots.level_samples(arrays[name], "euclidean", level, rows=4,
                                  title=f"{name}, D{level}: 4 of the distilled images per class")
        plots.plt.show()

# %% [markdown]
# ### Blur or noise?
#
# The paper sees the details "gradually blur". A blurred image has less of its power at
# high spatial frequencies; a noisy one has more. The share of each image's spectral power
# above half the Nyquist frequency (`cgcore.distill.high_frequency_fraction`; white noise
# scores about 0.8) and the share of pixels driven to the ends of [0, 1]
# (`saturated_fraction`), for real images (L0) and every level:

# %% tags=["hide-input"]
measures = {name: image_measures(result) for name, result in results.items()
            if "high_freq" in result["similarity_level0"]}
if measures:
    display(pd.concat(measures, axis=1).map(lambda v: "—" if pd.isna(v) else f"{v:.3f}"))
    fig = plots.image_measures_by_level(measures)
    plots.plt.show()
else:
    show_markdown("*The stored results predate these measures.*")


# %% [markdown]
# Whether these images are worth something, as references that classify and as training
# data, is the subject of the next page, [Do the distilled images classify?](references_mnist.ipynb).
