# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # cgbook: explicit coarse-grained structure in neural networks, re-derived
#
# This book re-derives, by code anyone can read and re-run, every claim of
#
# > Xi-Ci Yang, Z. Y. Xie and Xiao-Tao Yang,
# > *Exploring explicit coarse-grained structure in artificial neural networks*.
#
# ## The verdict
#
# Every number the paper states, against ours, generated from the stored results of the
# profile below (the [scorecard](scorecard.ipynb) also holds the baselines and benchmarks
# the book adds). Each chapter says, where ours differs, what we see and what we think
# causes it.

# %% tags=["parameters"]
import os

profile = os.environ.get("CGBOOK_PROFILE", "cpu")   # smoke | cpu | paper

# %% tags=["remove-input"]
from IPython.display import HTML, display

from cgcore.checks import check_choice
from cgcore.profiles import PROFILES
from cgcore.report import budget_summary, show_markdown, verdict_table
from cgcore.scorecard import VERDICT_RULES

check_choice("profile", profile, PROFILES)
show_markdown("The verdict rule:\n\n" + VERDICT_RULES)
table = verdict_table(profile)
display(HTML(table.style.hide(axis="index").set_table_styles(
    [{"selector": "td, th", "props": "white-space: normal; vertical-align: top; font-size: 0.85em"}]).set_table_styles(
    {**{column: [{"selector": "td", "props": "white-space: nowrap; padding-right: 0.6em"}] for column in ("paper", "ours")},
     **{column: [{"selector": "td", "props": "overflow-wrap: normal"}] for column in ("section", "verdict")}},
    overwrite=False).to_html()))              # numbers whole, and words broken only between them

# %% [markdown]
# ## What the paper claims
#
# The paper borrows the **coarse-graining (CG)** of the renormalisation group, where a
# transformation maps a cluster of degrees of freedom at one scale to one at the next, and
# builds it into neural networks explicitly, in two places:
#
# 1. **TaylorNet** (Sec. III). A classifier can be a plain Taylor series of its input
#    (Eq. 3): on 7×7 MNIST a linear layer on all monomials up to order 4 classifies
#    about as well as a small network. Expanding *locally* instead, each 2×2 cluster
#    mapped to one variable by a second-order polynomial (the CG operation, Eq. 4), and
#    stacking such maps, gives a network with no activation function at all whose output
#    is still a polynomial of its input, and which classifies MNIST, 7×7 MNIST and
#    CIFAR-10 with few parameters; replacing every CG by a convolution costs many points.
# 2. **Multi-level data distillation** (Sec. IV). Distilling each class down in five
#    levels, 6000 → 600 → 100 → 20 → 4 → 1 images, gives one reference image per class;
#    classifying test images by the cosine similarity of their embeddings to these ten
#    references is nearly as accurate as a trained classifier.
#
# The paper's own *numbers* for all of these stand beside ours in every chapter and in the
# [scorecard](scorecard.ipynb); they are typed in once, in `cgcore.paper`, and nowhere
# else. The paper's figures are redrawn from our own results (we have no copy of its
# images to place beside them); each caption names the figure it corresponds to.
#
# ## How to read this book
#
# The chapters follow the paper: Sec. II (the coarse-grained structure of the
# renormalisation group, and the CG operation drawn from the layer's own geometry),
# Sec. III (the direct Taylor expansion, the CG operation and its algebra, then TaylorNet
# with one page per data set), Sec. IV (the multi-level distillation, one page per data
# set), Supplement E (the similarity of the distilled images), then the scorecard, a
# closing chapter with the open questions and how to extend the book, and an appendix of
# benchmarks.
# Each chapter is a notebook that follows one section of the paper: the paper's words
# quoted beside the code that implements them, then the figures and tables, each computed
# from a stored result. The library behind the notebooks is `cgcore` (in the repository):
# `cgcore.taylor` holds the Taylor expansion, `cgcore.layers` and `cgcore.models` the CG
# operation and the TaylorNets, `cgcore.distill` the distillation and the similarity
# measures, `cgcore.data` the data sets, `cgcore.train` the training loop,
# `cgcore.results` the results store, `cgcore.profiles` every experiment's settings and
# `cgcore.paper` the paper's own numbers, the only numbers in this book typed in by hand.
#
# Every number is shown beside the paper's; the [scorecard](scorecard.ipynb) collects them.
# Where the paper leaves a choice open (how to resize, how to train, how to prune), the
# chapter names the choice we made and the option in `cgcore` that changes it.
#
# ## Rebuilding it
#
# ```bash
# make test                   # set-up on first use, unit tests, every notebook under `smoke`
# make book                   # this HTML book, from the stored `cpu` results (offline)
# make results PROFILE=cpu    # recompute the stored results (hours on 2 CPU cores)
# ```
#
# A chapter can also be run on its own with papermill, for instance
# `papermill notebooks/taylor_expansion.ipynb out.ipynb -p profile smoke`.
#
# Results live in `results/<profile>/<experiment>.json`, each with a manifest: the full
# config, seed, git commit, package versions, device and wall time of the run that made
# it. A notebook loads the stored result whose config matches its profile, and computes
# (and stores) it when there is none or when asked (`recompute="always"`).
#
# ## Profiles
#
# | profile | what it is for | sizes |
# |---|---|---|
# | `smoke` | tests and CI: seconds on tiny real subsets | a few hundred images, 1–2 epochs; its numbers mean nothing |
# | `cpu` | **what this book shows** | full data sets, schedules sized for 2 CPU cores (what they took is below) |
# | `paper` | the paper's full settings, for a reader with a GPU | longer schedules |
#
# All sizes are in `cgcore/profiles.py`; each chapter prints the config it ran with.

# %% tags=["remove-input"]
show_markdown(budget_summary(profile))

# %% [markdown]
# ## The data, and a caveat for CIFAR-10
#
# MNIST is the official data, bit for bit. The build machines of this book reach no data
# set host, so CIFAR-10 comes from a public mirror that stores every image **re-encoded as
# a JPEG at quality 75**: classes are exact, pixels differ slightly from the original.
# CIFAR-10 accuracies here may therefore sit a little below what the original data would
# give; every CIFAR-10 comparison with the paper carries this caveat. With internet,
# `cgcore.data` falls back to torchvision's own download of the original files.
