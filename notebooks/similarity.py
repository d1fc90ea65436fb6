# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Similarity of the distilled images (Supplement E)
#
# > "we try to characterize the similarity between the distilled images in the same class,
# > aiming to see if it is possible to quantify how well the essential features are
# > extracted in the level-by-level distillation process."
#
# This chapter measures Eq. (S3) on the levels distilled with {ref}`Eq. (5) <eq-5>` in the
# previous chapter and draws Fig. S5 (MNIST) and Fig. S6 (CIFAR-10), each with (a) the
# cosine similarity $s$ and (b) the distance $d$, as far as the results store holds them
# for the profile.

# %% tags=["parameters"]
import os

dataset = "mnist"                                         # mnist | cifar10: computed if missing
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
from cgcore.profiles import PROFILES
from cgcore.report import (cifar10_caveat, claims_table, format_claims, similarity_class_table,
                           similarity_trend_reason, show_markdown)

check_choice("dataset", dataset, ("mnist", "cifar10"))
check_choice("profile", profile, PROFILES)

# %% [markdown]
# (eq-s3)=
# ## Eq. (S3)
#
# The paper defines, for the $n_{\alpha,i}$ images of class $i$ at level $\alpha$,
#
# $$
# s_i^{(\alpha)} = \frac{1}{\tau} \sum_{m \neq n} \langle X_m | X_n \rangle, \qquad
# d_i^{(\alpha)} = \frac{1}{\tau} \sum_{m \neq n} \langle (X_m - X_n) | (X_m - X_n) \rangle
# \qquad \text{(S3)}
# $$
#
# with $\tau \equiv 1/\big(n_{\alpha,i}(n_{\alpha,i} - 1)\big)$, where "$X_n$ denotes the
# $n$-th image as a normalized vector, i.e., the inner-product satisfies
# $\langle X_n | X_n \rangle = 1$".
#
# As printed, $1/\tau = n(n-1)$ would multiply the sum; what is meant (and what makes
# $s$ a similarity between -1 and 1) is the mean over the $n(n-1)$ ordered pairs, which
# is what `cgcore.distill.similarity_measures` computes. The images are measured as
# pixels in [0, 1] (the distilled images de-standardised and clipped, as they are shown).
#
# One consequence the paper does not draw: for unit vectors
# $|X_m - X_n|^2 = 2 - 2\langle X_m | X_n\rangle$, so $d = 2 - 2s$ exactly, whatever the
# images, so panel (b) of each figure is panel (a) mirrored: $d$ falls exactly as $s$
# rises. A check on random images:

# %%
x = torch.rand(7, 1, 28, 28)
s, d = distill.similarity_measures(x)
pd.Series({"s": s, "d": d, "2 - 2s": 2 - 2 * s}).to_frame("7 random images")

# %% [markdown]
# ## Fig. S5 (MNIST) and Fig. S6 (CIFAR-10)
#
# > "as expected, in all the classes in both MNIST and CIFAR-10 datasets, the cosine
# > similarity goes up roughly as the distillation level α becomes higher, while the
# > Euclidean distance goes down systematically."
#
# Level 0 is the original training set; the top level holds one image per class and has
# no pair to compare.

# %% tags=["hide-input"]
stored, missing = run_or_load_each({"mnist": "distillation_mnist", "cifar10": "distillation_cifar10"},
                                   profile, recompute, compute=dataset)
show_markdown("\n\n".join(missing))
results = {name: found["result"] for name, found in stored.items()}
names = {name: CIFAR10_CLASSES if name == "cifar10" else [str(c) for c in range(10)] for name in results}
show_markdown(cifar10_caveat(tuple(results)))

FIGURES = {"mnist": "Fig. S5, MNIST", "cifar10": "Fig. S6, CIFAR-10"}
for name, result in results.items():
    fig = plots.similarity_figure(result, names[name], title=f"{FIGURES[name]}: Eq. (S3) per class and level")
    plots.plt.show()

# %% [markdown]
# The same numbers, class by class, and whether they move the way the paper says:

# %% tags=["hide-input"]
tables = {name: similarity_class_table(result, names[name]) for name, result in results.items()}
display(pd.concat(tables, names=["data set"]))
for name, part in tables.items():
    show_markdown(f"**{name}**: s rises at every level for {part['s rises at every level'].sum()} of 10 classes, "
                     f"and ends above level 0 for {part['s higher at the top than at L0'].sum()} of 10.")
    falls = int((~part["s higher at the top than at L0"]).sum())
    show_markdown(similarity_trend_reason(name, results[name], falls))

# %% [markdown]
# ## Claims of this chapter

# %% tags=["remove-input"]
format_claims(claims_table(profile, prefix="similarity_"), compact=True)
