# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Summary, open questions, and how to extend the book
#
# ## What the paper concludes (Sec. V)
#
# > "inspired by the similarity between the RG flow in physical systems and the inference
# > process in deep neural networks, we introduce the hierarchical coarse-grained
# > structure into the artificial neural networks manifestly to improve the
# > interpretability without degrading performance."
#
# Two claims carry this: a classifier can be written as an explicit polynomial of its
# input, grown locally by coarse-graining operations instead of activation functions
# (TaylorNet, Sec. III); and a data set can be distilled level by level into one
# reference image per class that still classifies (Sec. IV). What follows is generated
# from the results store of the profile below, so it says what the stored runs say.

# %% tags=["parameters"]
import os

profile = os.environ.get("CGBOOK_PROFILE", "cpu")   # smoke | cpu | paper

# %% tags=["remove-input"]
import numpy as np
import pandas as pd
import torch

from cgcore import distill
from cgcore.checks import check_choice
from cgcore.profiles import PROFILES
from cgcore.report import claim_line, kernel_paired_line, scorecard_values, thesis_weighed, show_markdown
from cgcore.results import load_arrays, load_result

check_choice("profile", profile, PROFILES)
values = scorecard_values(profile)


# %% [markdown]
# ## What this book found
#
# {ref}`The direct Taylor expansion <eq-3>`, {ref}`the CG operation and TaylorNet <eq-4>`,
# {ref}`the distillation <eq-5>` and {ref}`the similarity measures <eq-s3>`, each in its
# chapter; the [scorecard](scorecard.ipynb) has every number. In short:

# %% tags=["hide-input"]
choice = load_result("taylor_order4_choice", profile)
lines = [
    claim_line(values, "taylor_order4_acc", "Taylor expansion to order 4 on 7×7 MNIST, fit by SGD in the kernel "
               "machines' weighting of the terms"),
    claim_line(values, "taylor_order3_acc", "... and order 3 fit that way"),
    claim_line(values, "taylor_order4_first_fit_acc", "... order 4 in our first fit, standardised terms and Adam"),
    claim_line(values, "taylor_order4_kernel_acc", "... the same polynomials fit by kernel SVMs, one per class (beyond the paper)"),
    claim_line(values, "taylor_order4_chosen_acc", "... the fit validation picks among all of them"
               + (f" ({choice['result']['chosen']})" if choice else "")),
    claim_line(values, "taylor_order4_kernel_copies3_acc", "... the SVMs with three augmented copies of each image, "
               "at degree 4"),
    claim_line(values, "taylor_order3_kernel_copies3_acc", "... and at degree 3 (order 4 holds these polynomials)"),
    kernel_paired_line(load_result("taylor_kernel_paired", profile), "... the two degrees on the same test images"),
    claim_line(values, "taylornet_mnist_acc", "TaylorNet, MNIST (Fig. 5)"),
    claim_line(values, "taylornet_tta_mnist_acc", "... the same network, its training recipe and its reading (weights "
               "averaged or not, test-time copies) chosen on validation (beyond the paper)"),
    claim_line(values, "taylornet_mnist7_acc", "TaylorNet, 7×7 MNIST"),
    claim_line(values, "taylornet_cifar10_acc", "TaylorNet, CIFAR-10 (Fig. 12)"),
    claim_line(values, "conv_ablation_mnist_acc", "the same MNIST network with every CG a convolution"),
    claim_line(values, "conv_ablation_cifar10_acc", "the same CIFAR-10 network with every CG a convolution"),
    claim_line(values, "relu_cnn_mnist7_acc", "a ReLU CNN of the 7×7 TaylorNet's size, same recipe (beyond the paper)"),
    claim_line(values, "pinet_mnist7_acc", "a Π-net polynomial network of that size and degree, same recipe"),
    claim_line(values, "distill_ref_mnist_acc", "MNIST classified by its ten D5 references"),
    claim_line(values, "distill_random_mnist_acc", "... by one random real image per class instead"),
    claim_line(values, "distill_ceiling_mnist_acc", "... and by the class centroids in the embedding (the ceiling)"),
    claim_line(values, "distill_ref_in_backbone_mnist_acc", "... by D5 references distilled in that embedding"),
    claim_line(values, "distill_ref_cifar10_acc", "CIFAR-10 classified by its ten D5 references"),
    claim_line(values, "distill_random_cifar10_acc", "... by one random real image per class instead"),
    claim_line(values, "distill_ceiling_cifar10_acc", "... and by the class centroids in the embedding (the ceiling)"),
    claim_line(values, "distill_ref_in_backbone_cifar10_acc", "... by D5 references distilled in that embedding"),
    claim_line(values, "distill_dm_flat_1ipc_mnist_acc", "a ConvNet trained on Ref. 63's one image per class, MNIST"),
]
show_markdown("\n".join(f"* {line}" for line in lines))

# %% [markdown]
# ## The thesis, weighed
#
# "Interpretability without degrading performance" is two claims. *Performance*: the
# networks with explicit coarse-graining classify as well as the usual ones. *Interpretability*:
# what they compute can be read, as a polynomial grown from local clusters (Sec. III), or
# as a few reference images that carry the essential features of a class (Sec. IV). What
# the stored runs say of each:

# %% tags=["hide-input"]
weighed = thesis_weighed(profile, values)
show_markdown("\n\n".join(weighed) if weighed else f"*Not computed yet for `{profile}`.*")

# %% [markdown]
# ## Open questions the paper raises
#
# **Several TaylorNets with orthogonality constraints.** "we can use more than one
# TaylorNets to approximate a single mapping, and put the orthogonality constraint on
# these networks". How much of one expansion is redundant is a first hint; the pruning
# experiment of the Taylor-expansion chapter drops the smallest terms without retraining:

# %% tags=["hide-input"]
show_markdown("\n".join(f"* {line}" for line in [
    claim_line(values, "taylor_prune50_acc", "half of the order-4 terms kept"),
    claim_line(values, "taylor_prune30_acc", "30 % kept"),
    claim_line(values, "taylor_prune10_acc", "10 % kept"),
    claim_line(values, "taylor_prune10_kernel_acc", "10 % of the max-margin order-4 polynomial's terms kept")]))

# %% [markdown]
# **Fixed points of the scale transformations.** A TaylorNet whose CG coefficients were
# shared across scales would be an RG map that can be iterated. The book's networks do
# not share them, and nothing here tests it yet; the degree test of the TaylorNet chapter
# (a stack of $L$ CGs is a polynomial of degree exactly $2^L$) is the algebra such a study
# would start from.
#
# **Fixed points of the distillation.** Iterating the distillation on its own output asks
# whether the references converge, and to what. Two things the stored runs can say: how
# the within-class similarity of Eq. (S3) moves with the level, and how close the final
# reference of each class is to the plain class-mean image (cosine similarity of the
# pixels, both as stored):

# %% tags=["hide-input"]
rows = []
for name in ("mnist", "cifar10"):
    stored = load_result(f"distillation_{name}", profile)
    if stored is None:
        show_markdown(f"*{name}: no distillation stored for `{profile}` yet.*")
        continue
    result, arrays = stored["result"], load_arrays(f"distillation_{name}", profile)
    top = len(result["group_sizes"])
    s_levels = [np.mean(result["similarity_level0"]["s"])] + [
        np.mean(row["s"]) for row in result["levels"]["euclidean"] if "s" in row]
    d5 = torch.from_numpy(arrays[f"euclidean_level{top}"][0]).float()
    mean = torch.from_numpy(arrays["class_mean"]).float()
    to_mean = [distill.similarity_measures(torch.stack([d5[c], mean[c]]))[0] for c in range(len(mean))]
    row = {"data set": name,
           "mean s over classes, L0 → top pair level": " → ".join(f"{v:.3f}" for v in s_levels),
           f"cos(D{top} reference, class mean), mean over classes": f"{np.mean(to_mean):.3f}",
           "min over classes": f"{np.min(to_mean):.3f}"}
    # a ConvNet trained from scratch on one image per class: distilled, real, or the mean
    one_per_class = {f"ConvNet on D{top}": result["convnet_acc"]["euclidean"].get(f"D{top}")}
    for baseline in result.get("convnet_baselines", []):
        if baseline["images_per_class"] == 1:
            one_per_class[f"ConvNet on one {baseline['references']} image per class"] = baseline["acc"]
    row.update({k: f"{np.mean(v):.1%}" for k, v in one_per_class.items() if v is not None})
    rows.append(row)
pd.DataFrame(rows).set_index("data set").T if rows else None

# %% [markdown]
# A reference close to its class mean would make the distillation a slow way to average;
# the [references page](references_mnist.ipynb) sets the two side by side as
# classifiers, which is the sharper test. The last rows train a ConvNet from scratch on
# one image per class: the top-level references against a randomly drawn real image and
# the class mean, which says whether the distilled images carry more than those.
#
# ## How to extend the book
#
# * **A new data set**: add a loader branch in `cgcore.data.load_dataset` (and its name to
#   `cgcore.data.DATASETS`); everything downstream takes tensors `(N, C, H, W)` in $[0,1]$.
# * **A new profile**: add its name to `cgcore.profiles.PROFILES` and its overrides to
#   `_OVERRIDES` in the same module; every experiment reads its sizes from there, and every
#   stored result records the config it ran with.
# * **A new CG parameterisation**: add it to `cgcore.layers.PARAMETERISATIONS` and to
#   `CG2d`; the degree test in `tests/test_layers.py` and the models' parameter-count tests
#   will tell whether it still composes into a polynomial of the right degree.
# * **A new distillation hierarchy or loss**: the partition is the config's
#   `group_sizes` (`cgcore.distill.distill_hierarchy`), and a loss is a function of the
#   references' embeddings and the real images' terms next to `eq5_loss` and
#   `arcface_loss` in `cgcore.distill`, named in `LOSSES`; `tests/test_distill.py` checks
#   that the batched step still equals the per-subset loop.
# * **A new experiment**: write `run(config, profile, progress)` and `claims(result)` in a
#   module of `cgcore/experiments/`, register it in `cgcore.experiments.EXPERIMENTS`, give
#   it a config in `cgcore.profiles`, and add the paper's values it checks to
#   `cgcore.paper.CLAIMS`. `make results PROFILE=cpu` computes it, and the scorecard picks
#   its claims up.
