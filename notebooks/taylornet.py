# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # TaylorNet: coarse-graining instead of activations (Sec. III)
#
# The networks of Figs. 5 and 12, built from the CG operation of the
# {ref}`previous chapter <eq-4>`, trained beside their ablation with every CG replaced by
# a convolution. One page per data set (the `dataset` parameter): MNIST (Fig. 5), the
# 7×7 MNIST of the Taylor-expansion chapter, and CIFAR-10 (Fig. 12). Results come from
# `cgcore.experiments.taylornet` through the results store.

# %% tags=["parameters"]
import os

dataset = "mnist"                                         # mnist (Fig. 5) | mnist7 (7x7 MNIST) | cifar10 (Fig. 12)
profile = os.environ.get("CGBOOK_PROFILE", "cpu")         # smoke | cpu | paper
recompute = os.environ.get("CGBOOK_RECOMPUTE", "auto")    # auto | always | never

# %% tags=["remove-input"]
import pandas as pd
from IPython.display import display

from cgcore import models, plots
from cgcore.checks import check_choice
from cgcore.experiments import run_or_load, run_or_load_each
from cgcore.experiments.taylornet import BUILDERS, TAYLORNETS
from cgcore.paper import PAPER, SIZED_TO_MATCH
from cgcore.profiles import MNIST_LONG_RECIPE, MNIST_REGULARISED_RECIPE, PROFILES, get_config
from cgcore.report import (claims_table, fig5_readings_table, format_claims, manifest_summary, taylornet_runs_table,
                           taylornet_verdict, training_results_table, tuned_seed_verdict, tuned_table, tuned_verdict,
                           longer_verdict, averaged_verdict, averaged_seed_verdict, tta_verdict, show_markdown)

check_choice("dataset", dataset, tuple(name.removeprefix("taylornet_") for name in TAYLORNETS))
check_choice("profile", profile, PROFILES)
EXPERIMENT = f"taylornet_{dataset}"
INPUT_SHAPE = {"mnist": (1, 28, 28), "mnist7": (1, 7, 7), "cifar10": (3, 32, 32)}
FIGURE = {"mnist": "Fig. 5", "mnist7": "Fig. 5 adapted to 7x7", "cifar10": "Fig. 12"}
config = get_config(EXPERIMENT, profile)

# %% tags=["remove-input", "hide-output"]
pd.Series({k: v for k, v in config.items()}, name=f"{EXPERIMENT} [{profile}]").to_frame()

# %% [markdown]
# Other choices the paper leaves open, and what this book does:
#
# * **Normalisation.** A BatchNorm2d follows every convolution and CG. In eval mode it is
#   an affine map, so the trained network is still a polynomial of its input. A
#   `Standardize` layer (per-channel mean and standard deviation of the training images,
#   no parameters) sits in front.
# * **Training.** One recipe for every network, in the config above: SGD with Nesterov
#   momentum and a one-cycle learning-rate schedule, cross-entropy on the logits of the
#   last linear layer. The reported accuracy is that of the last epoch on the full test
#   set (never the best epoch, which would select on the test set). Each network's epochs
#   are set by hand to fit the profile's time budget, not chosen on validation (the MNIST
#   recipe chosen on validation follows the first results). The networks of
#   Figs. 5 and 12 and their twins train in bfloat16 autocast with NHWC activations
#   (`precision`, `channels_last`), faster than float32 on the CPU that computed these
#   results (by how much depends on the CPU's bfloat16 support); a float32 run of Fig. 5's
#   TaylorNet (`taylornet_mnist_float32`) checks that a polynomial of degree 16 keeps its
#   accuracy (both in the [benchmarks appendix](benchmarks.ipynb)). The 7×7 networks stay
#   in float32, where bfloat16 gains little.
# * **Augmentation.** None on MNIST (the paper mentions none); on 7×7 MNIST the small
#   shift/rotation/zoom of the Taylor-expansion chapter, applied to the 28×28 image before
#   it is resized; on CIFAR-10 the usual random crop (zero padding) and horizontal flip.

# %% [markdown]
# ## Fig. 5: reading the dilated CGs
#
# > "diCG1 and diCG2 have structures $\text{CG}(2, 2, 64, 1, 1, 7)$ and
# > $\text{CG}(2, 2, 64, 1, 1, 3)$, respectively." (Fig. 5 caption)
# >
# > "we use a TaylorNet with four CG layers ... and then use a linear layer that maps
# > the resulting 2×2 variables to a vector with 10 elements" (Sec. III)
#
# The order of the layers is drawn in the figure, not written in the text. If both diCGs
# come after the two stride-2 CGs, the map they see is 7×7, and the last number of the CG
# notation, the dilation (Fig. 6), cannot be 7: a 2×2 cluster of dilation 7 spans 8 cells.
# Unpadded stride-1 CGs of dilations $d_1, d_2$ then take $7 \to 7 - d_1 \to 7 - d_1 - d_2$,
# so the text's 2×2 end point needs $d_1 + d_2 = 5$. If instead the diCGs sit *between* CG1
# and CG2, on the 14×14 map, the caption's (7, 3) fit exactly: $14 \to 7 \to 4$, halved by
# CG2 to 2×2. (Read as paddings, the last slot of the Conv notation, 7 and 3 would grow the
# map instead.) Every reading, built and run:

# %%
fig5_readings_table()

# %% [markdown]
# The reading that uses the caption's numbers as written is the one with the diCGs between
# the CGs: it keeps both dilations, ends at the text's 2×2, and is the only one in which
# every number of the caption and the text holds at once. It is the book's Fig. 5
# (`taylornet_mnist()`, `dicg_placement="between_cgs"`). The best of the readings with the
# diCGs after CG2 is dilations (3, 2): both genuinely dilated, decreasing like Fig. 12's
# (4, 2), together seeing every row and column of the 7×7 map. On MNIST it is trained
# beside the book's reading with the same recipe (`dicg_placement="after_cg2"`), so the
# page can say whether the reading matters. The network of the chosen data set,
# layer by layer in the figures' notation:

# %%
net = BUILDERS[config["model"]](**config["model_kwargs"])
params_claim = f"taylornet_{dataset}_params"
show_markdown(f"**{config['model']}** ({FIGURE[dataset]}"
              + (f"; our design, sized to match the paper's {PAPER[params_claim].value:,.0f} parameters"
                 if params_claim in SIZED_TO_MATCH else "")     # a network the paper does not draw
              + f"), input {'x'.join(map(str, INPUT_SHAPE[dataset]))}, {models.count_parameters(net):,} parameters:")
pd.DataFrame(models.layer_table(net, INPUT_SHAPE[dataset])).set_index("layer")

# %% tags=["hide-input"]
if dataset == "mnist7":   # the residual network the paper compares with, in our design
    resnet_config = get_config("resnet_mnist7", profile)
    resnet_net = BUILDERS[resnet_config["model"]](**resnet_config["model_kwargs"])
    show_markdown(f"The residual network the paper compares with, **{resnet_config['model']}**: our design, "
                  f"sized to match the paper's {PAPER['resnet_mnist7_params'].value / 1e6:.1f} million parameters "
                  f"(torchvision's basic blocks), {models.count_parameters(resnet_net):,} parameters:")
    display(pd.DataFrame(models.layer_table(resnet_net, INPUT_SHAPE[dataset])).set_index("layer"))

# %% [markdown]
# ## Training: TaylorNet against its CG → conv ablation
#
# > "The obtained accuracy is about 99.2% ... On the resized 7×7 MNIST dataset, we can
# > obtain an accuracy of about 97.9% with about 248 thousand parameters in total, which
# > is much less than the parameters in both the original Taylor expansions (1.46
# > million) and the residual network (1.3 million) ... As to the CIFAR-10 dataset, we
# > can obtain an accuracy of about 71.7% with only 1.2 million parameters ...
# > Furthermore, it shows that if we replace the CG operations with the convolution
# > operations in the whole neural network, the accuracy will drop by about 7.3% and 30%
# > immediately as expected, on MNIST and CIFAR-10 datasets, respectively."
#
# Both networks of the chosen data set are trained with the same data, schedule and seed
# (experiment `taylornet_<dataset>`); on 7×7 MNIST the residual network of the previous
# chapter's comparison is trained the same way (experiment `resnet_mnist7`).

# %% tags=["hide-input"]
stored = run_or_load(EXPERIMENT, profile, recompute=recompute)
result = stored["result"]
runs = {"TaylorNet": result["models"]["taylornet"], "CG as conv": result["models"]["cg_as_conv"]}
manifests = {"TaylorNet": stored["manifest"], "CG as conv": stored["manifest"]}
PAPER_ACC = {"TaylorNet": f"taylornet_{dataset}_acc", "CG as conv": f"conv_ablation_{dataset}_acc"}
if "taylornet_after_cg2" in result["models"]:
    runs["TaylorNet, diCGs after CG2"] = result["models"]["taylornet_after_cg2"]
    manifests["TaylorNet, diCGs after CG2"] = stored["manifest"]
    PAPER_ACC["TaylorNet, diCGs after CG2"] = f"taylornet_after_cg2_{dataset}_acc"
if dataset == "mnist7":
    resnet = run_or_load("resnet_mnist7", profile, recompute=recompute)
    runs["ResNet"] = resnet["result"]["models"]["resnet"]
    manifests["ResNet"] = resnet["manifest"]
    PAPER_ACC["ResNet"] = "resnet_mnist7_acc"

# %% tags=["remove-input", "hide-output"]
manifest_summary(stored["manifest"])

# %%
fig = plots.taylornet_curves(runs, paper={k: PAPER[c].value for k, c in PAPER_ACC.items()},
                             title=f"{config['model']} on {dataset} ({result['n_train']:,} training, "
                                   f"{result['n_test']:,} test images)")

# %% [markdown]
# Dotted: accuracy on the training batches as trained on (augmented, batch norm in
# training mode); solid: the test set after each epoch; dashed: the paper's value where
# it states one.

# %% tags=["hide-input"]
PARAMS_CLAIM = {"TaylorNet": f"taylornet_{dataset}_params", "ResNet": "resnet_mnist7_params"}
taylornet_runs_table(runs, manifests, {label: (PAPER_ACC[label], PARAMS_CLAIM.get(label)) for label in runs})

# %% tags=["hide-input"]
show_markdown(taylornet_verdict(dataset, runs, profile, result["n_test"]))

# %% tags=["remove-input"]
tuned_config = get_config("taylornet_mnist_tuned", profile)
TUNED_INTRO = f"""### More training, chosen on validation

The recipe above is the `{profile}` profile's first: {config['epochs']} epochs, no augmentation, nothing tuned.
In bfloat16 a TaylorNet epoch was cheaper than in float32 on the CPU that computed these results
(the benchmarks appendix measures by how much), and the time saved buys more epochs. Which recipe to use is decided on
{tuned_config['val_size']:,} training images held out for validation, never on the test set:
{tuned_config['epochs']} epochs without augmentation, or as many with a small random shift, rotation and zoom of
the digits, or that augmentation with
{tuned_config['candidates'][MNIST_LONG_RECIPE]['epochs']} epochs and label smoothing
of {tuned_config['candidates'][MNIST_LONG_RECIPE]['label_smoothing']}, or as long with a stronger shift, rotation and
zoom and weight decay {tuned_config['candidates'][MNIST_REGULARISED_RECIPE]['weight_decay']:g} instead of
{tuned_config['weight_decay']:g} (experiment `taylornet_mnist_tuned`)."""
if tuned_config.get("refit"):
    TUNED_INTRO += (" Once chosen, the recipe is trained again with the same seed on all the training images, "
                    "the held-out ones included, and that network is the one reported, as is usual after a "
                    "model selection.")
if dataset == "mnist":
    show_markdown(TUNED_INTRO)
    tuned, missing = run_or_load_each({"tuned": "taylornet_mnist_tuned"}, profile, recompute)
    show_markdown("\n\n".join(missing))
    if tuned:
        display(tuned_table(tuned["tuned"]["result"]))
        show_markdown(tuned_verdict(tuned["tuned"]["result"], runs["TaylorNet"]["test_acc"]))
        show_markdown(tuned_seed_verdict(profile) or
                      f"*The chosen recipe's seed repeat is not computed yet for the `{profile}` profile "
                      f"(`python -m cgcore run seeds_taylornet_mnist_tuned --profile {profile}`).*")
        longer, missing = run_or_load_each({"longer": "taylornet_mnist_longer"}, profile, recompute)
        show_markdown("\n\n".join(missing) if missing else
                      longer_verdict(longer["longer"]["result"], tuned["tuned"]["result"]))
        averaged, missing = run_or_load_each({"averaged": "taylornet_mnist_averaged"}, profile, recompute)
        show_markdown("\n\n".join(missing) if missing else
                      averaged_verdict(averaged["averaged"]["result"], tuned["tuned"]["result"],
                                       get_config("taylornet_mnist_averaged", profile)["batch_size"]))
        if averaged:
            show_markdown(averaged_seed_verdict(profile) or
                          f"*The averaged recipe's seed repeat is not computed yet for the `{profile}` profile "
                          f"(`python -m cgcore run seeds_taylornet_mnist_averaged --profile {profile}`).*")
        tta, missing = run_or_load_each({"tta": "taylornet_mnist_tta"}, profile, recompute)
        show_markdown("\n\n".join(missing) if missing else tta_verdict(tta["tta"]["result"]))

# %% [markdown]
# The three data sets side by side, as far as the results store holds them for this
# profile (each is computed by running this chapter with its `dataset`, or by
# `python -m cgcore run taylornet_mnist taylornet_mnist7 taylornet_cifar10 resnet_mnist7`):

# %% tags=["hide-input"]
training_results_table(profile)

# %% [markdown]
# What a CG costs against a convolution of the same shape is measured in the
# [benchmarks appendix](benchmarks.ipynb).
#
# ## Paper vs ours
#
# Every number of this chapter that the paper states, from the results store (the
# scorecard chapter collects all chapters); all data sets stored for this profile are
# listed, not only the one trained above.

# %% tags=["hide-input"]
format_claims(claims_table(profile, prefix=("taylornet_", "conv_ablation_", "resnet_", "cg_vs_conv")), compact=True)
