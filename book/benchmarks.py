# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Appendix: benchmarks
#
# What the book's kernels cost on the machine that computed the stored results, each
# measured by `cgcore.bench` and stored with its manifest like every result: a CG layer
# against a convolution (TaylorNet), a training step in bfloat16 and NHWC against
# float32, the Taylor terms of Eq. (3) against scikit-learn, and the two costs of the distillation (embedding the real images with a fresh network,
# and one step over all subsets). Times are medians of repeated runs; the speed claims
# are on the [scorecard](scorecard.ipynb).

# %% tags=["parameters"]
import os

profile = os.environ.get("CGBOOK_PROFILE", "cpu")         # smoke | cpu | paper
recompute = os.environ.get("CGBOOK_RECOMPUTE", "auto")    # auto | always | never

# %% tags=["remove-input"]
import pandas as pd
from IPython.display import display

from cgcore.checks import check_choice
from cgcore.experiments import run_or_load, run_or_load_each
from cgcore.profiles import PROFILES
from cgcore.report import (batched_step_verdict, bf16_training_verdict, budget_table, budget_verdict, dash_or,
                           distill_workload, taylor_roofline_table,
                           taylor_roofline_verdict, train_precision_table, train_precision_verdict, show_markdown)

check_choice("profile", profile, PROFILES)

# %% [markdown]
# ## A CG against a convolution
#
# A CG of the same geometry as a convolution does the convolution's work (its linear
# part) plus that of the factor convolutions of its quadratic part. Median time of one
# forward and backward pass on the same random batch (`cgcore.bench.run_cg_conv`), for
# CG layers of Figs. 5 and 12 and a small one; the full Eq. (4) form is skipped where
# its intermediate would not fit the memory limit of the config.

# %% tags=["hide-input"]
bench = run_or_load("cg_conv_bench", profile, recompute=recompute)
b = bench["result"]
rows = []
for layer, entry in b["layers"].items():
    g = entry["geometry"]
    shape = (f"{g['in_channels']}x{g['size']}x{g['size']} -> "
             f"{g['out_channels']}x{entry['output_size'][0]}x{entry['output_size'][1]}")
    rows.append({"layer": layer, "shape": shape, "form": "conv", "time (ms)": f"{1e3 * entry['conv_seconds']:.2f}",
                 "× conv": "1", "parameters": f"{entry['conv_params']:,}"})
    for form, cell in entry["cg"].items():
        rows.append({"layer": layer, "shape": shape, "form": f"CG, {form}",
                     "time (ms)": cell["skipped"] or f"{1e3 * cell['seconds']:.2f}",
                     "× conv": "—" if cell["ratio_vs_conv"] is None else f"{cell['ratio_vs_conv']:.2f}",
                     "its one convolution alone, × conv": dash_or(cell.get("stacked_conv_ratio_vs_conv"), "{:.2f}"),
                     "generic ops, × conv": dash_or(cell.get("generic_ratio_vs_conv"), "{:.2f}"),
                     "parameters": "—" if cell["params"] is None else f"{cell['params']:,}"})
display(pd.DataFrame(rows).set_index(["layer", "shape", "form"]).fillna("—"))
claim_cell = b["layers"][b["claim_layer"]]["cg"][b["claim_parameterisation"]]
show_markdown(
    f"Batch of {b['batch_size']}, device {b['device']}, {b['torch_threads']} thread(s). The models' CG "
    f"({b['claim_parameterisation']}) on {b['claim_layer']} takes **{claim_cell['ratio_vs_conv']:.2f}×** "
    "the time of the convolution it replaces (the scorecard's `cg_vs_conv_time_ratio`)."
    + (f" The one convolution it runs, its linear and factor maps stacked along the output channels "
       f"({claim_cell['stacked_channels_multiple']}× the channels and the multiply-adds), alone takes "
       f"{claim_cell['stacked_conv_ratio_vs_conv']:.2f}×; the rest, "
       f"{claim_cell['ratio_vs_conv'] - claim_cell['stacked_conv_ratio_vs_conv']:+.2f}×, is the products, their "
       "gradients and the stacking of the weights. In training the layer runs its products through a backward of "
       "its own (`cgcore.layers.FactorProducts`) that writes every map's gradient into one buffer instead of "
       "concatenating one tensor per product; through the generic ops (as in eval mode) the same layer takes "
       f"{claim_cell['generic_ratio_vs_conv']:.2f}×."
       if claim_cell.get("generic_ratio_vs_conv") else ""))

# %% [markdown]
# ## Training in bfloat16 and NHWC
#
# The fast-training literature trains in bfloat16 autocast with NHWC (`channels_last`)
# activations. One SGD step of every network the profile trains, at the batch size it
# trains with, in float32 and in each of those settings (`cgcore.bench.run_train_precision`;
# random inputs, median of repeated steps):

# %% tags=["hide-input"]
found, missing = run_or_load_each({"train": "train_precision_bench"}, profile, recompute, compute="train")
show_markdown("\n\n".join(missing))
if found:
    display(train_precision_table(found["train"]["result"]))
    show_markdown(train_precision_verdict(found["train"]["result"]))
show_markdown(bf16_training_verdict(profile))

# %% [markdown]
# ## The Taylor terms of Eq. (3)
#
# `TaylorFeatures` against scikit-learn's `PolynomialFeatures` on the same random batch
# (same numbers, checked; float64 for both, cgcore's float32 beside). Time is the median
# of repeated calls; peak memory is the rise of the resident set of a fresh process
# during one call (see `cgcore.bench`).

# %% tags=["hide-input"]
bench = run_or_load("taylor_features_bench", profile, recompute=recompute)
b = bench["result"]
display(pd.DataFrame({"median time (ms)": {k: 1e3 * v for k, v in b["seconds"].items()},
                      "peak memory (MiB)": b["peak_mib"]}).round(1))
speed, mem = b["speedup_vs_sklearn"], b["memory_ratio_vs_sklearn"]
show_markdown(
    f"On a batch of {bench['manifest']['config']['batch_size']} images and order "
    f"{bench['manifest']['config']['order']} ({b['n_features']:,} terms), cgcore is "
    + (f"**{speed:.1f}× faster** than" if speed >= 1 else f"**{1 / speed:.1f}× slower** than")
    + " scikit-learn"
    + ("" if not mem else " and needs about the same memory" if 0.95 <= mem <= 1.05
       else f" and needs **{mem:.1f}× less memory**" if mem > 1 else f" and needs **{1 / mem:.1f}× more memory**")
    + f"; outputs identical: {b['outputs_match']}.")

# %% [markdown]
# ## The order-4 Taylor expansion against its roofline
#
# Order 4 is the book's slowest training per image: 292,824 features per 7×7 image, all
# written to memory and read back by the linear layer and its gradient. One training step
# (features, linear layer, loss, backward, and an Adam update, as the chapter's first fit
# made; the SGD update of its present fit reads and writes less) at the chapter's batch, timed, beside the
# least time this machine's measured copy bandwidth and matmul throughput allow
# (`cgcore.bench.run_taylor_roofline`; the traffic is counted in
# `cgcore.bench.taylor_step_traffic`):

# %% tags=["hide-input"]
found, missing = run_or_load_each({"roofline": "taylor_roofline_bench"}, profile, recompute, compute="roofline")
show_markdown("\n\n".join(missing))
if found:
    display(taylor_roofline_table(found["roofline"]["result"]))
    show_markdown(taylor_roofline_verdict(found["roofline"]["result"]))

# %% [markdown]
# ## Distillation: the fresh-network embedding
#
# With a fresh network at every iteration, embedding the real images is most of the
# distillation's time. `cgcore.bench.run_distill_embed` measures real images embedded per
# second by the Fig. 8 network (no gradient) in float32 and with the faster settings,
# then checks that the setting the `cpu` profile adopted leaves the references as they
# are: a sample of CIFAR-10 level-1 subsets distilled each way, scored in unseen float32
# networks (the gap to the class mean, as in the last section of this page).

# %% tags=["hide-input"]
found, missing = run_or_load_each({"embed": "distill_embed_bench"}, profile, recompute, compute="embed")
show_markdown("\n\n".join(missing))
embed_bench = found["embed"]["result"] if found else None
if embed_bench is not None:
    table = pd.DataFrame(embed_bench["embed"])
    table["images_per_second"] = table["images_per_second"].map(lambda v: "—" if pd.isna(v) else f"{v:,.0f}")
    table["speedup"] = table["speedup"].map(lambda v: "—" if pd.isna(v) else f"{v:.2f}×")
    table["compile_seconds"] = table["compile_seconds"].map(lambda v: "—" if pd.isna(v) else f"{v:.0f} s")
    display(table.set_index(["width", "setting"]).fillna("—"))
    display(pd.DataFrame(embed_bench["step"]).assign(
        speedup=lambda t: t["speedup"].map("{:.2f}×".format), seconds=lambda t: t["seconds"].map("{:.3f} s".format)))
    quality = pd.DataFrame(embed_bench["quality"]).T
    display(quality.assign(gap_to_class_mean=quality["gap_to_class_mean"].map("{:.3f}".format),
                           difference=quality["difference"].map("{:+.3f}".format),
                           seconds=quality["seconds"].map("{:.0f} s".format)))
    claim = next(r for r in embed_bench["embed"]
                 if r["width"] == embed_bench["claim_width"] and r["setting"] == embed_bench["claim_setting"])
    adopted = next((v for k, v in embed_bench["quality"].items() if "cpu profile" in k), None)
    moved = (f", and moves the references' gap to the class mean by {adopted['difference']:+.3f} (tolerance "
             f"±{embed_bench['tolerance']}: {'within' if adopted['within_tolerance'] else 'outside'} it)"
             if adopted else " (this profile does not distil with the cpu profile's setting)")
    show_markdown(
        "The compile time is paid once per run: every fresh network of the same shape reuses the graph. "
        f"At width {embed_bench['claim_width']}, the claimed setting ({embed_bench['claim_setting']}) embeds "
        f"**{claim['speedup']:.2f}×** as many images per second as float32{moved}, on {embed_bench['n_images']:,} "
        f"CIFAR-10 images, {embed_bench['torch_threads']} thread(s), {embed_bench['device']}.")

# %% [markdown]
# ## Distillation on several processes (torchrun)
#
# The subsets of a level are independent, so `torchrun` splits them across its ranks
# (`cgcore.distributed`; the README says how to launch any experiment that way). One level
# on a sample of MNIST's level-1 subsets, in one process with the machine's threads against
# ranks of one thread each on the same cores (`cgcore.bench.run_distill_shard`):

# %% tags=["hide-input"]
found, missing = run_or_load_each({"shard": "distill_shard_bench"}, profile, recompute, compute="shard")
show_markdown("\n\n".join(missing))
if found:
    shard = found["shard"]["result"]
    display(pd.DataFrame(shard["runs"]).T.rename_axis("ranks").assign(
        seconds=lambda t: t["seconds"].map("{:.1f} s".format), speedup=lambda t: t["speedup"].map("{:.2f}×".format),
        max_abs_difference=lambda t: t["max_abs_difference"].map("{:.1e}".format))[
        ["threads", "seconds", "speedup", "max_abs_difference"]])
    two = shard["runs"][str(shard["claim_world_size"])]
    show_markdown(
        f"{shard['subsets']} subsets, {shard['iterations']} iterations: {shard['claim_world_size']} ranks take "
        f"**{two['speedup']:.2f}×** less time than one process, and their gathered references differ from "
        f"the one-process ones by at most {two['max_abs_difference']:.1e} (standardised pixels): the same "
        "networks see the same subsets, only the order of floating-point sums changes.")

# %% [markdown]
# ## Distillation: the batched step against a loop over subsets
#
# One iteration over all 600 subsets of MNIST's level 1 (`cgcore.bench.run_distill_step`):
# `pooled` steps with a fixed network (the real images' statistics computed beforehand),
# `fresh` includes embedding the real images with a new network, as Ref. 63 and the `cpu`
# profile do (here in float32 eager mode; the profile's compiled embedding is measured above).

# %% tags=["hide-input"]
found, missing = run_or_load_each({"step": "distill_step_bench"}, profile, recompute, compute="step")
show_markdown("\n\n".join(missing))
bench = found["step"]["result"] if found else None
if bench is not None:
    display(pd.DataFrame(bench["workloads"]).T.map(lambda v: f"{v:.2f}"))
    show_markdown(batched_step_verdict(bench, distill_workload(profile)))

# %% [markdown]
# ## Distillation: what the `cpu` profile's former shortcuts cost
#
# This measurement is why the `cpu` profile draws a fresh network every iteration. A
# random sample of each data set's level-1 subsets is distilled four ways: with the
# settings the `cpu` profile had before (a pool of fixed networks, few iterations), with
# the same pool for more iterations, with a fresh width-32 network at every iteration, and
# in Ref. 63's manner (a fresh width-128 network at every iteration); the table gives each
# one's settings. Each result is then scored in fresh width-128 networks that none of them
# was distilled in (`cgcore.distill.unseen_network_scores`): Eq. (5) itself, and the gap to
# the class mean, the squared distance of each reference's embedding to the mean
# embedding of its real images over the real images' own mean squared distance to it (0:
# on the mean; a random real image of the class: about 1). "initial" is the real images
# the references start from.

# %% tags=["hide-input"]
budgets, missing = run_or_load_each({"mnist": "distill_budget", "cifar10": "distill_budget_cifar10"},
                                    profile, recompute)
show_markdown("\n\n".join(missing))
for name, budget in budgets.items():
    config = budget["manifest"]["config"]
    show_markdown(f"**{name}**: {len(budget['result']['sample_subsets'])} of the level-1 subsets "
                     f"({budget['result']['n_real']:,} real images), {config['eval_networks']} unseen networks "
                     f"of width {config['eval_width']}.")
    display(budget_table(budget))
    verdict = budget_verdict(budget)
    if verdict:
        show_markdown(f"**{name}**: {verdict}")
