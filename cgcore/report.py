"""Tables for the book, built from stored results (pandas DataFrames)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from .paper import PAPER, claim_label, from_ref63
from .results import trained_epochs
from .scorecard import build_scorecard

# The book's tables (configs, manifests, the paper's wording) are shown whole, never cut to
# pandas' default 50 characters with "…".
pd.set_option("display.max_colwidth", None)


def on_this_page(experiments: dict, shown) -> dict:
    """``{dataset: experiment}`` restricted to the data sets a page shows."""
    return {name: experiment for name, experiment in experiments.items() if name in shown}


def show_markdown(text: str) -> None:
    """Display ``text`` as Markdown in a notebook, and nothing when it is empty (an empty
    Markdown object would print its repr on the page)."""
    if text and text.strip():
        from IPython.display import Markdown, display

        display(Markdown(text))


def folded(summary: str, text: str) -> str:
    """Markdown ``text`` folded under a one-line ``summary`` that the reader opens (an HTML
    ``details`` element); empty when ``text`` is."""
    return f"<details><summary>{summary}</summary>\n\n{text}\n\n</details>" if text and text.strip() else ""


def dash_or(value, fmt: str, scale: float | None = None) -> str:
    """``value`` (times ``scale``) formatted with ``fmt``, or a dash where there is none."""
    if value is None or pd.isna(value):
        return "—"
    return fmt.format(value if scale is None else value * scale)


def accuracy_cell(accs) -> str:
    """Accuracies of several models as "mean ± std (n seeds)"."""
    return f"{np.mean(accs):.2%} ± {np.std(accs):.2%} ({len(accs)} seeds)"


FIG5_READINGS = {"after CG2, caption's (7, 3)": ("after_cg2", (7, 3)),
                 "after CG2, (4, 1)": ("after_cg2", (4, 1)),
                 "after CG2, (3, 2) (also trained)": ("after_cg2", (3, 2)),
                 "after CG2, (2, 3)": ("after_cg2", (2, 3)),
                 "between CG1 and CG2, caption's (7, 3) (the book's Fig. 5)": ("between_cgs", (7, 3))}


def fig5_readings_table(readings: dict = FIG5_READINGS) -> pd.DataFrame:
    """Every reading of Fig. 5's diCGs, ``{name: (placement, dilations)}``, built: the map
    sizes it goes through, its parameters, and whether the diCGs together see every row of
    the map they act on (or why the reading is impossible)."""
    from .layers import rows_seen
    from .models import count_parameters, layer_table, taylornet_mnist

    rows = []
    for name, (placement, dilations) in readings.items():
        try:
            net = taylornet_mnist(dicg_dilations=dilations, dicg_placement=placement)
        except ValueError as err:
            rows.append({"reading": name, "map sizes": f"impossible: {err}", "parameters": "—",
                         "rows seen by the diCGs": "—"})
            continue
        sizes = [r["output"].split("x")[-1] for r in layer_table(net, (1, 28, 28))
                 if r["layer"].startswith(("cg", "dicg"))]
        n_rows = 7 if placement == "after_cg2" else 14
        unseen = set(range(n_rows)) - set().union(*rows_seen(dilations, n_rows))
        rows.append({"reading": name, "map sizes": " → ".join(["28"] + sizes),
                     "parameters": f"{count_parameters(net):,}",
                     "rows seen by the diCGs": f"missing row(s) {sorted(unseen)}" if unseen else "all"})
    return pd.DataFrame(rows).set_index("reading")


def device_text(manifest: dict, with_name: bool = True) -> str:
    """The device a run used (its name unless ``with_name`` is false, for narrow tables), its
    thread count and, where the manifest records it, whether the CPU had bfloat16 instructions
    (bfloat16 autocast is emulated without them)."""
    name = f"{manifest.get('device_name')}, " if with_name else ""
    text = f"{manifest.get('device')} ({name}{manifest.get('threads')} threads"
    flags = manifest.get("cpu_bf16")
    if flags is not None:
        text += f"; bfloat16 instructions: {', '.join(flags)}" if flags else "; no bfloat16 instructions"
    return text + ")"


def taylornet_runs_table(runs: dict, manifests: dict, paper_claims: dict) -> pd.DataFrame:
    """The TaylorNet chapter's trained networks, ``{label: stored model row}``, beside the
    paper's accuracy and parameter count (``paper_claims``: ``{label: (acc claim, params
    claim or None)}``); a count our network was sized to, or picked an open option by, says so."""
    from .paper import CHOSEN_BY_COUNT, SIZED_TO_MATCH, paper_value

    def note(claim):
        return (" (ours sized to match)" if claim in SIZED_TO_MATCH else
                " (our CG form chosen by it)" if claim in CHOSEN_BY_COUNT else "")

    rows = []
    for label, row in runs.items():
        acc_claim, params_claim = paper_claims[label]
        paper_acc = paper_value(acc_claim, required=False)
        paper_params = paper_value(params_claim, required=False) if params_claim else None
        m = manifests[label]
        rows.append({"model": label, "test accuracy": f"{row['test_acc']:.2%}",
                     "paper": "—" if paper_acc is None else f"{paper_acc:.1%}",
                     "parameters": f"{row['params']:,}",
                     "paper params": "—" if paper_params is None else f"{paper_params:,.0f}"
                                     + note(params_claim),
                     "epochs": trained_epochs(row),
                     "training time": f"{row['train_seconds'] / 60:.1f} min",
                     "device": device_text(m)})
    return pd.DataFrame(rows).set_index("model")


def taylornet_verdict(dataset: str, runs: dict, profile: str, n_test: int) -> str:
    """The TaylorNet chapter's comparison with the paper, read off the trained ``runs``
    (labels "TaylorNet", "CG as conv", optionally "TaylorNet, diCGs after CG2" and
    "ResNet"): the accuracy, the CG → conv drop in both of the paper's readings, Fig. 5's
    other reading, and the residual network of 7×7 MNIST."""
    from .paper import CIFAR10_CAVEAT, paper_value

    ours_cg, ours_conv = runs["TaylorNet"]["test_acc"], runs["CG as conv"]["test_acc"]
    paper_cg = paper_value(f"taylornet_{dataset}_acc")
    paper_conv = paper_value(f"conv_ablation_{dataset}_acc", required=False)
    epochs = trained_epochs(runs["TaylorNet"])
    drop = ours_cg - ours_conv
    text = (f"**Against the paper.** Our TaylorNet reaches **{ours_cg:.2%}** on {dataset}"
            f"{' (' + CIFAR10_CAVEAT + ')' if dataset == 'cifar10' else ''} "
            f"({100 * (ours_cg - paper_cg):+.2f} points from the paper's {paper_cg:.1%}) after "
            f"{epochs} epoch{'s' if epochs != 1 else ''} of the `{profile}` profile. "
            f"Replacing every CG by a convolution gives **{ours_conv:.2%}**, "
            + (f"a drop of {100 * drop:.1f} points ({drop / ours_cg:.1%} relative)" if drop >= 0
               else f"no drop but a gain of {-100 * drop:.1f} points"))
    if paper_conv is not None:
        relative = paper_cg * (1 - (paper_cg - paper_conv))
        text += (f". The paper's \"drop by about {100 * (paper_cg - paper_conv):.1f}%\" has two readings: as points "
                 f"below its {paper_cg:.1%} (the scorecard's, {paper_conv:.1%}), or as a relative drop, "
                 f"{relative:.1%}; ours is {100 * drop:.1f} points, {drop / ours_cg:.1%} relative. A network whose "
                 f"every CG is a convolution has no nonlinearity left (batch norm is affine at test time): it is an "
                 f"affine map of its input, a linear classifier.")
    else:
        text += "; the paper reports the ablation on MNIST and CIFAR-10 only."
    if "TaylorNet, diCGs after CG2" in runs:
        other = runs["TaylorNet, diCGs after CG2"]["test_acc"]
        step = other - ours_cg
        noise = 2 * difference_standard_error(ours_cg, n_test)
        text += (f"\n\n**Fig. 5's two readings.** With the diCGs after CG2 (dilations (3, 2)) the same recipe "
                 f"gives **{other:.2%}**, {100 * step:+.2f} points from the caption's reading, "
                 f"{'within' if abs(step) < noise else 'beyond'} two standard errors of a difference on "
                 f"{n_test:,} test images ({100 * noise:.2f} points), one seed each"
                 + (": no evidence for either reading." if abs(step) < noise else "."))
    if "ResNet" in runs:
        rn = runs["ResNet"]
        text += (f"\n\nThe residual network reaches **{rn['test_acc']:.2%}** with {rn['params']:,} "
                 f"parameters (paper: about {paper_value('resnet_mnist7_acc'):.0%} with "
                 f"{paper_value('resnet_mnist7_params') / 1e6:.1f} million), the TaylorNet "
                 f"{ours_cg:.2%} with {runs['TaylorNet']['params']:,}.")
    if dataset == "cifar10":
        text += ("\n\n**MLP-Mixer, not tested.** The paper calls this network \"more efficient than the recent "
                 "MLP-Mixer proposal [87] without pre-training process\"; it gives no number for that comparison, "
                 "and this book trains no MLP-Mixer.")
    return text


# Names of stored candidates as the book shows them: taylor_order4_tuning's unchanged candidate
# is named for the experiment it copied, whose fit has since changed to the kernel's weighting.
CANDIDATE_LABELS = {"as taylor_expansion": "the first fit unchanged"}


def candidate_label(name: str) -> str:
    """``name`` of a stored candidate or fit, as the book shows it (:data:`CANDIDATE_LABELS`)."""
    for stored, shown in CANDIDATE_LABELS.items():
        name = name.replace(stored, shown)
    return name


def tuned_table(result: dict) -> pd.DataFrame:
    """A tuning run (taylornet_mnist_tuned, taylor_order4_tuning): every candidate recipe with
    its final validation and test accuracy and median seconds per epoch, the chosen one marked
    (chosen on validation; the test column is read after), and a last row for the chosen
    recipe's refit on all training images when the run made one."""
    rows = []
    for name, r in result["candidates"].items():
        rows.append({"recipe": candidate_label(name) + (" (chosen)" if name == result["chosen"] else ""),
                     "epochs": trained_epochs(r), "validation accuracy": f"{r['val_acc']:.2%}",
                     "test accuracy": f"{r['test_acc']:.2%}",
                     "s per epoch": f"{np.median(r['history']['seconds']):.0f}"})
    refit = result.get("refit")
    if refit:
        rows.append({"recipe": f"{refit['candidate']}, refit on all {refit['n_train']:,} training images",
                     "epochs": trained_epochs(refit), "validation accuracy": "—",
                     "test accuracy": f"{refit['test_acc']:.2%}",
                     "s per epoch": f"{np.median(refit['history']['seconds']):.0f}"})
    return pd.DataFrame(rows).set_index("recipe")


def tuned_verdict(result: dict, first_recipe_acc: float | None) -> str:
    """The chosen recipe's test accuracy (its refit's, when the run refits) against the paper's
    and the chapter's first recipe (``first_recipe_acc``, taylornet_mnist's), the other
    candidates' test accuracies for the record, and the step the refit makes."""
    from .experiments.taylornet import tuned_test_acc

    chosen, refit = result["candidates"][result["chosen"]], result.get("refit")
    acc, paper = tuned_test_acc(result), PAPER["taylornet_mnist_acc"].value
    text = (f"Chosen on {result['val_size']:,} held-out training images, *{result['chosen']}* "
            f"({trained_epochs(chosen)} epochs) ")
    if refit:
        text += (f"scores {chosen['test_acc']:.2%} on the test set when trained on the other "
                 f"{result['n_train']:,}; trained again with the same seed on all {refit['n_train']:,} "
                 f"training images, it reaches **{acc:.2%}** ")
    else:
        text += f"reaches **{acc:.2%}** on the test set "
    text += f"({100 * (acc - paper):+.2f} points from the paper's {paper:.1%}"
    if first_recipe_acc is not None:
        text += f"; the first recipe above: {first_recipe_acc:.2%}"
    text += ")."
    others = [f"*{name}* {r['test_acc']:.2%}" for name, r in result["candidates"].items() if name != result["chosen"]]
    if others:
        text += f" The other candidate{'s' if len(others) > 1 else ''} on the test set, for the record: {', '.join(others)}."
    if refit:
        step, se = refit["test_acc"] - chosen["test_acc"], difference_standard_error(acc, result["n_test"])
        text += (f" The refit moves the test accuracy by {100 * step:+.2f} points, "
                 f"{'within' if abs(step) <= 2 * se else 'beyond'} 2 standard errors of a difference on "
                 f"{result['n_test']:,} test images ({100 * 2 * se:.2f} points).")
    if first_recipe_acc is not None and abs(acc - first_recipe_acc) < 0.002:
        text += (" One seed each: a difference of a tenth of a point is within what another seed could move "
                 "(the chosen recipe's spread over seeds follows).")
    return text


def longer_verdict(longer: dict, tuned: dict) -> str:
    """taylornet_mnist_longer against the tuning run: its one candidate (the chosen recipe
    trained longer, on the same images) on the same held-out split as the recipe chosen, the
    step within or beyond two standard errors of a difference, and its test accuracy for the
    record. Empty when the two were measured on different splits."""
    if longer["val_size"] != tuned["val_size"] or longer["n_train"] != tuned["n_train"]:
        return ""
    row, chosen = longer["candidates"][longer["chosen"]], tuned["candidates"][tuned["chosen"]]
    epochs, chosen_epochs = trained_epochs(row), trained_epochs(chosen)
    step, se = row["val_acc"] - chosen["val_acc"], difference_standard_error(chosen["val_acc"], tuned["val_size"])
    text = (f"**Is the recipe held back by its length?** *{tuned['chosen']}* trained for {epochs} epochs instead of "
            f"{chosen_epochs}, on the same {longer['n_train']:,} images (experiment `taylornet_mnist_longer`): "
            f"{row['val_acc']:.2%} on the held-out images against {chosen['val_acc']:.2%}, {100 * step:+.2f} points, ")
    if abs(step) <= 2 * se:
        text += (f"within 2 standard errors of a difference ({100 * 2 * se:.2f} points): training longer is no "
                 "measurable gain, so the recipe's length is not what holds it")
    elif step > 0:
        text += (f"beyond 2 standard errors of a difference ({100 * 2 * se:.2f} points): a longer recipe would have "
                 "been chosen had it been a candidate")
    else:
        text += f"beyond 2 standard errors of a difference ({100 * 2 * se:.2f} points), below: longer training hurts"
        if "train_acc" in row and "train_acc" in chosen:
            text += (f" (it fits its augmented training batches to {row['train_acc']:.2%}, against "
                     f"{chosen['train_acc']:.2%} in {chosen_epochs} epochs: closer to the training images, further "
                     "from the held-out ones)")
    return text + (f". Its test accuracy, for the record: {row['test_acc']:.2%} (trained without the held-out "
                   f"images; the chosen recipe so trained: {chosen['test_acc']:.2%}).")


def averaged_verdict(averaged: dict, tuned: dict, batch_size: int) -> str:
    """taylornet_mnist_averaged against the tuning run: the chosen recipe's run with its
    weights averaged, the averaged network against the weights it trained (the same run, so
    the trained weights are the tuning run's chosen candidate again) on the held-out split,
    then the refit's pair on the test set. Differences are weighed against two standard
    errors of a difference of independent measurements, which overstates the noise of a
    paired one. Empty when the two runs held out different splits."""
    if averaged["val_size"] != tuned["val_size"] or averaged["n_train"] != tuned["n_train"]:
        return ""
    row, chosen = averaged["candidates"][averaged["chosen"]], tuned["candidates"][tuned["chosen"]]
    decay = row["changes"]["ema_decay"]
    horizon = 1 / (1 - decay)
    steps_per_epoch = -(-averaged["n_train"] // batch_size)
    step, se = row["val_acc"] - row["raw_val_acc"], difference_standard_error(row["raw_val_acc"], averaged["val_size"])
    same = ("the tuning run's chosen candidate again, to the last digit" if row["raw_val_acc"] == chosen["val_acc"]
            else f"the tuning run's chosen candidate measured {chosen['val_acc']:.2%}")
    text = (f"**Does averaging the weights help?** *{tuned['chosen']}* trained once more with an exponential moving "
            f"average of its weights and batch-norm statistics beside it, updated after every step with decay "
            f"{decay:g} (a memory of about {horizon:,.0f} steps, the last {horizon / steps_per_epoch:.1f} of "
            f"{trained_epochs(row)} epochs; the decay is set by hand, experiment `taylornet_mnist_averaged`). "
            f"On the held-out images the averaged network scores {row['val_acc']:.2%}, the weights it trained "
            f"{row['raw_val_acc']:.2%} ({same}): {100 * step:+.2f} points, "
            f"{against_two_se(step, se)} 2 standard errors of a difference ({100 * 2 * se:.2f} points). ")
    refit = averaged.get("refit")
    if refit:
        test_step = refit["test_acc"] - refit["raw_test_acc"]
        test_se = difference_standard_error(refit["raw_test_acc"], averaged["n_test"])
        text += (f"Refit on all {refit['n_train']:,} training images, the averaged network scores "
                 f"**{refit['test_acc']:.2%}** on the test set and the weights it trained {refit['raw_test_acc']:.2%}")
        reported = tuned.get("refit")
        if reported and reported["test_acc"] == refit["raw_test_acc"]:
            text += " (the reported network above, to the last digit)"
        text += (f": {100 * test_step:+.2f} points, {against_two_se(test_step, test_se)} 2 standard "
                 f"errors of a difference ({100 * 2 * test_se:.2f} points; both readings are of one network, so the "
                 "bound overstates their noise). ")
    if step > 0:
        return text + ("Validation prefers the averaged network" +
                       (", by less than the split can tell." if step <= 2 * se else "."))
    return text + "Validation does not prefer the averaged network: averaging is not what the recipe lacks."


def tta_verdict(tta: dict) -> str:
    """taylornet_mnist_tta: the held-out accuracy of every reading (trained or averaged weights,
    by the number of test-time draws), the one validation picks and its test accuracy against
    the same network read without test-time augmentation."""
    rows, chosen = tta["readings"], tta["readings"][tta["chosen"]]
    by_weights = {}
    for row in rows.values():
        by_weights.setdefault(row["weights"], []).append(row)
    counts = [str(row["draws"]) for row in next(iter(by_weights.values()))]
    draws = " or ".join([", ".join(counts[:-1]), counts[-1]] if len(counts) > 1 else counts)
    text = (f"**Does test-time augmentation help?** The same networks, each image's logits averaged over it and "
            f"{draws} copies shifted, rotated and zoomed as in training (experiment `taylornet_mnist_tta`). On the "
            f"{tta['val_size']:,} held-out images: " +
            "; ".join(f"{weights} weights " + ", ".join(f"{row['val_acc']:.2%}" for row in group)
                      for weights, group in by_weights.items()) + ". ")
    plain = next(row for row in by_weights[chosen["weights"]] if row["draws"] == 0)
    if chosen["draws"] == 0:
        return text + (f"Validation picks the {chosen['weights']} weights without test-time copies "
                       f"(test {chosen['test_acc']:.2%}): test-time augmentation is not what the recipe lacks.")
    step, se = chosen["test_acc"] - plain["test_acc"], difference_standard_error(plain["test_acc"], tta["n_test"])
    return text + (f"Validation picks the {chosen['weights']} weights with {chosen['draws']} draws: "
                   f"**{chosen['test_acc']:.2%}** on the test set, against {plain['test_acc']:.2%} for the same network without test-time copies "
                   f"({100 * step:+.2f} points, {against_two_se(step, se)} 2 standard errors of a "
                   f"difference, {100 * 2 * se:.2f} points). Every reading on the test set, for the record: " +
                   "; ".join(f"{weights} weights " + ", ".join(f"{row['test_acc']:.2%}" for row in group)
                             for weights, group in by_weights.items()) + ".")


def against_two_se(step: float, se: float) -> str:
    """"within", "beyond" or, when the two print alike to a hundredth of a point, "at": where a
    difference ``step`` falls against two standard errors ``2 * se`` (both fractions)."""
    if round(100 * abs(step), 2) == round(200 * se, 2):
        return "at"
    return "within" if abs(step) <= 2 * se else "beyond"


def difference_standard_error(accuracy: float, n: int) -> float:
    """The binomial standard error of the difference of two independent accuracies near
    ``accuracy``, each measured on ``n`` images."""
    return float(np.sqrt(2 * accuracy * (1 - accuracy) / n))


def tuned_seed_verdict(profile: str, experiment: str = "seeds_taylornet_mnist_tuned",
                       claim: str = "taylornet_tuned_mnist_acc", paper_claim: str = "taylornet_mnist_acc") -> str:
    """The recipe chosen on validation at every seed of its stored seed repeat: the test
    accuracies, their mean and sample standard deviation, and where the paper's figure falls
    against that spread ("" when the repeat is not stored)."""
    from .experiments.seeds import spread, stored_repeat

    r = stored_repeat(experiment, profile)
    if r is None or claim not in r["claims"]:
        return ""
    values = r["claims"][claim]
    mean, std = spread(values)
    paper = PAPER[paper_claim].value
    before = r["claims"].get(claim.replace("tuned_", "tuned_before_refit_"))   # stored only by a refitting run
    refit = ", refit on all training images," if before else ""
    text = (f"The chosen recipe{refit} at seeds {', '.join(map(str, r['seeds']))} (seed {r['seeds'][0]} is the run above, "
            f"read) scores {', '.join(f'{v:.2%}' for v in values)} on the test set: **{mean:.2%} ± {100 * std:.2f}** "
            f"points (mean ± sample standard deviation, experiment `{experiment}`). The paper's {paper:.1%} is "
            f"{100 * (paper - mean):+.2f} points from the mean")
    if std > 0:
        text += f", {(paper - mean) / std:+.1f} standard deviations of one run"
    text += "."
    if std > 0 and abs(paper - mean) <= 2 * std:
        text += " That is within the seed spread: one run of this recipe may land on either side of the paper's figure."
    elif paper < mean:
        text += " The recipe is above the paper's figure by more than the seed spread: the seed does not decide it."
    else:
        text += " The recipe is below the paper's figure by more than the seed spread: the seed does not explain it."
    if before:
        steps = [after - b for after, b in zip(values, before)]
        text += (f" Before the refit, on the training set less the validation split, the same seeds scored "
                 f"{', '.join(f'{v:.2%}' for v in before)} (mean {np.mean(before):.2%}): the refit moves each by "
                 f"{', '.join(f'{100 * d:+.2f}' for d in steps)} points, "
                 + ("always the same way." if all(d > 0 for d in steps) or all(d < 0 for d in steps)
                    else "not always the same way."))
    return text


def averaged_seed_verdict(profile: str, experiment: str = "seeds_taylornet_mnist_averaged") -> str:
    """The averaged recipe at every seed of its stored seed repeat (trained without the
    validation split, not refit): the averaged and the trained weights of the same network on
    the test set, seed by seed, and whether averaging moves them the same way ("" when the
    repeat is not stored)."""
    from .experiments.seeds import spread, stored_repeat

    r = stored_repeat(experiment, profile)
    averaged, trained = "taylornet_averaged_before_refit_mnist_acc", "taylornet_averaged_raw_before_refit_mnist_acc"
    if r is None or averaged not in r["claims"] or trained not in r["claims"]:
        return ""
    steps = [a - t for a, t in zip(r["claims"][averaged], r["claims"][trained])]
    mean, std = spread(steps)
    pairs = "; ".join(f"seed {seed} {a:.2%} against {t:.2%}" for seed, a, t in
                      zip(r["seeds"], r["claims"][averaged], r["claims"][trained]))
    text = (f"At seeds {', '.join(map(str, r['seeds']))}, each network trained without the held-out images and read "
            f"with its averaged and with its trained weights on the test set (experiment `{experiment}`; seed "
            f"{r['seeds'][0]} is the run above): {pairs}. Averaging moves the test accuracy by "
            f"{', '.join(f'{100 * d:+.2f}' for d in steps)} points (mean {100 * mean:+.2f} ± {100 * std:.2f}), ")
    if all(d > 0 for d in steps):
        text += "up at every seed."
    elif all(d < 0 for d in steps):
        text += "down at every seed."
    else:
        text += "not the same way at every seed: its effect is within what the seed moves."
    if any(len(set(r["claims"][claim])) < len(r["seeds"]) for claim in (averaged, trained)):
        text += (" Equal scores here are equal counts of correct test images, not equal networks: each seed draws its "
                 "own split, initialisation and batches.")
    return text


def unchanged_candidate(candidates: dict) -> str | None:
    """The name of a tuning run's candidate that changes nothing (the setting it is compared
    with), or None."""
    return next((name for name, row in candidates.items() if not row["changes"]), None)


def order4_tuning_verdict(result: dict, config: dict) -> str:
    """taylor_order4_tuning, a study of the chapter's first fit: the candidate chosen on
    validation, its margin over the unchanged setting in units of the validation set's
    binomial standard error, and whether ``config`` (the first fit's settings, the tuning run's
    base) already trains with it."""
    rows, chosen = result["candidates"], result["chosen"]
    base = unchanged_candidate(rows)
    if base is None:
        raise ValueError("the tuning run has no candidate without changes to compare the chosen one with; "
                         f"its candidates: {', '.join(rows)}")
    acc, ref, n = rows[chosen]["val_acc"], rows[base]["val_acc"], result["val_size"]
    se = difference_standard_error(ref, n)
    text = (f"In {result['epochs']}-epoch runs at order {result['order']}, chosen on {n:,} held-out training "
            f"images: *{candidate_label(chosen)}*, at {acc:.2%} on validation")
    if chosen == base:
        return text + ". No change tried here beats the first fit's own setting."
    text += (f", {100 * (acc - ref):+.2f} points over *{candidate_label(base)}* ({(acc - ref) / se:.1f} standard "
             f"errors of a difference on {n:,} images)")
    adopted = all(config.get(k) == v for k, v in rows[chosen]["changes"].items())
    test, paper = rows[chosen]["test_acc"], PAPER[f"taylor_order{result['order']}_acc"].value
    text += (". The first fit trains with it." if adopted else
             f"; trained with it for {result['epochs']} epochs, order {result['order']} scores {test:.2%} on the "
             f"test set (the paper: about {paper:.0%}).")
    if acc - ref < 2 * se:
        text += (" A margin within two standard errors is no evidence that the change helps: none of the changes "
                 "tried is clearly better than the first fit's own setting.")
    return text


def _trains_at(order: int, picked: int, chapter_epochs: int | None, fit: str = "the chapter") -> str:
    """Whether ``fit`` ("the chapter", "the first fit") trains ``order`` for the ``picked`` number of epochs."""
    if chapter_epochs is None:
        return ""
    who = fit[0].upper() + fit[1:]
    if chapter_epochs == picked:
        return f"{who} trains order {order} for these {picked} epochs."
    return f"{who} trains order {order} for {chapter_epochs} epochs, not the length validation picks."


def order4_epochs_verdict(lengths: dict, tuning: dict | None = None, chapter_epochs: int | None = None,
                          experiment: str = "taylor_order4_epochs", fit: str = "the chapter") -> str:
    """``experiment`` (taylor_order4_epochs, or taylor_kernel_geometry's order-4 lengths): order
    4's validation accuracy at its first length (set by hand for the time budget) and longer
    (with the 12-epoch run of ``tuning``, taylor_order4_tuning's unchanged candidate, when it
    holds out the same number of images), the length validation picks weighed against two
    standard errors of a difference, and whether ``fit`` ("the chapter", "the first fit"), which
    trains order 4 for ``chapter_epochs``, uses it."""
    n, rows, order = lengths["val_size"], lengths["candidates"], lengths["order"]
    points = {trained_epochs(row): row["val_acc"] for row in rows.values()}
    base = unchanged_candidate((tuning or {}).get("candidates", {}))
    if base is not None and tuning["val_size"] == n and tuning["order"] == order:
        row = tuning["candidates"][base]
        points.setdefault(trained_epochs(row), row["val_acc"])
    first_name = unchanged_candidate(rows)
    if first_name is None:
        raise ValueError(f"taylor_order4_epochs has no candidate at the first length (one without changes); "
                         f"its candidates: {', '.join(rows)}")
    first = rows[first_name]
    first_epochs, best = trained_epochs(first), rows[lengths["chosen"]]
    best_epochs = trained_epochs(best)
    se = difference_standard_error(first["val_acc"], n)
    heading = (f"How long is order {order} trained?" if fit == "the chapter" else
               f"How long was order {order} of {fit} trained?")
    text = (f"**{heading}** Its first length, {first_epochs} epochs, was set by hand. "
            f"On the same {n:,} held-out images (experiment `{experiment}`) it scores "
            + ", ".join(f"{acc:.2%} after {epochs} epochs" for epochs, acc in sorted(points.items())) + ". ")
    if best is first:
        return text + " ".join(filter(None, ["Validation picks the first length.",
                                             _trains_at(order, first_epochs, chapter_epochs, fit)]))
    step = best["val_acc"] - first["val_acc"]
    ordered = [acc for _, acc in sorted(points.items())]
    text += (f"Validation picks {best_epochs} epochs, {100 * step:+.2f} points over the first length, "
             + ("within" if step <= 2 * se else "beyond") + f" two standard errors of a difference ({100 * 2 * se:.2f} "
             f"points); on the test set {best['test_acc']:.2%} against {first['test_acc']:.2%}. ")
    if step <= 2 * se and all(b > a for a, b in zip(ordered, ordered[1:])):
        text += f"The accuracy still rises with the length, by steps a split of {n:,} images cannot resolve. "
    return text + _trains_at(order, best_epochs, chapter_epochs, fit)


def low_orders_epochs_verdict(lengths: dict, order4_lengths: dict | None = None,
                              chapter_epochs: dict[int, int] | None = None) -> str:
    """taylor_low_orders_epochs: each lower order's validation accuracy at its first length and
    longer, the step weighed against two standard errors of a difference, and whether the
    chapter (``chapter_epochs``, order -> epochs) trains each for the length validation picks;
    then, with ``order4_lengths`` (taylor_order4_epochs, on a split of the same size), order 4
    against order 3 with each at the length validation picks."""
    n, parts, beyond_orders, rising = lengths["val_size"], [], [], []
    picked = {}
    for order, run in sorted(lengths["orders"].items(), key=lambda item: int(item[0])):
        rows = run["candidates"]
        first, longer = rows[unchanged_candidate(rows)], rows[next(k for k, r in rows.items() if r["changes"])]
        step = longer["val_acc"] - first["val_acc"]
        beyond = abs(step) > 2 * difference_standard_error(first["val_acc"], n)
        parts.append(f"order {order} {first['val_acc']:.2%} → {longer['val_acc']:.2%} "
                     f"({trained_epochs(first)} → {trained_epochs(longer)} epochs"
                     + (", beyond two standard errors of a difference" if beyond else "") + ")")
        if beyond and step > 0:
            beyond_orders.append(str(order))
        rising.append(step > 0)
        picked[int(order)] = rows[run["chosen"]]
    factor = lengths["longer_factor"]
    text = (f"**And the lower orders?** Each at its first length and "
            f"{'twice' if factor == 2 else f'{factor:g} times'} as long, on the same held-out images (experiment "
            "`taylor_low_orders_epochs`): " + ", ".join(parts) + ". ")
    if beyond_orders:
        plural = len(beyond_orders) > 1
        text += (f"Order{'s' if plural else ''} {', '.join(beyond_orders)} gain{'' if plural else 's'} beyond two "
                 "standard errors of a difference from the longer run. ")
    elif all(rising):
        text += "Every order gains, each by less than two standard errors of a difference. "
    else:
        text += "No lower order gains beyond two standard errors of a difference: their lengths are not what decides them. "
    if chapter_epochs is not None:
        lengths_picked = {order: trained_epochs(row) for order, row in picked.items()}
        if all(chapter_epochs.get(order) == epochs for order, epochs in lengths_picked.items()):
            text += ("The chapter trains each for the length validation picks ("
                     + ", ".join(f"order {order} {epochs} epochs" for order, epochs in sorted(lengths_picked.items()))
                     + "). ")
        else:
            text += ("The chapter's lengths (" + ", ".join(f"order {order} {chapter_epochs.get(order)}"
                                                            for order in sorted(lengths_picked))
                     + " epochs) are not all those validation picks. ")
    if order4_lengths and order4_lengths["val_size"] == n and 3 in picked:
        four, three = order4_lengths["candidates"][order4_lengths["chosen"]], picked[3]
        step = four["test_acc"] - three["test_acc"]
        text += (f"At the lengths validation picks, order 4 ({trained_epochs(four)} epochs) tests "
                 f"{four['test_acc']:.2%} and order 3 ({trained_epochs(three)}) {three['test_acc']:.2%}: "
                 f"{100 * step:+.2f} points, "
                 f"{against_two_se(step, difference_standard_error(three['test_acc'], lengths['n_test']))} "
                 "two standard errors.")
    return text.rstrip()


# how taylor_kernel_svm splits ten classes, as its tables name it
KERNEL_SCHEMES = {"one_vs_rest": "one vs rest (Eq. (3)'s form)", "one_vs_one": "one vs one (45 pairs voting)"}


def kernel_table(kernel: dict, expansion: dict) -> pd.DataFrame:
    """taylor_kernel_svm beside taylor_expansion: per degree, split of the classes and training
    set (plain or with augmented copies), the SVM's C chosen on validation, its validation and
    test accuracy and support vectors, and Eq. (3)'s fit of the same order by Adam (test)."""
    orders = expansion["orders"]
    copies = kernel.get("augmented_copies", 0)
    rows = []
    for scheme, fits in kernel["schemes"].items():
        for training, table in (("plain", fits["degrees"]), (f"plain + {copies} augmented", fits.get("augmented", {}))):
            rows += [{"degree": int(d), "classes": KERNEL_SCHEMES[scheme], "SVM trained on": training,
                      "C (chosen on validation)": f"{row['chosen_C']:g}" + (
                          " (grid's edge)" if _on_grid_edge(row["chosen_C"], map(float, row["val_acc"])) else ""),
                      "SVM, validation": f"{row['val_acc'][str(row['chosen_C'])]:.2%}",
                      "SVM, test": f"{row['test_acc']:.2%}", "support vectors": f"{row['support_vectors']:,}",
                      "Eq. (3) by Adam, test": f"{orders[d]['test_acc']:.2%}" if d in orders else "—"}
                     for d, row in table.items()]
    return pd.DataFrame(rows).set_index(["degree", "classes", "SVM trained on"]).sort_index(level=0, sort_remaining=False)


def _on_grid_edge(value: float, grid) -> bool:
    """Whether ``value`` is the smallest or largest of ``grid`` (a choice there may lie beyond it)."""
    grid = list(grid)
    return value in (min(grid), max(grid))


def _by_gamma(grid: list[dict]) -> dict[float, list[dict]]:
    """taylor_kernel_gamma's fits of one degree grouped by gamma, in the grid's order."""
    groups = {}
    for row in grid:
        groups.setdefault(row["gamma"], []).append(row)
    return groups


def kernel_gamma_table(gamma: dict) -> pd.DataFrame:
    """taylor_kernel_gamma's grid: per degree and gamma, the validation accuracy at each C x gamma
    tried (— where a degree's grid has none), the pair chosen marked."""
    rows = []
    for d, fits in gamma["degrees"].items():
        chosen = fits["chosen"]
        for scale, group in _by_gamma(fits["grid"]).items():
            cells = {f"C·γ = {row['C_times_gamma']:g}": f"{row['val_acc']:.2%}" + (
                " (chosen)" if (row["gamma"], row["C"]) == (chosen["gamma"], chosen["C"]) else "")
                for row in group}
            rows.append({"degree": int(d), "γ": f"{scale:g}", **cells})
    table = pd.DataFrame(rows).set_index(["degree", "γ"]).fillna("—")
    return table[sorted(table.columns, key=lambda column: float(column.split("= ")[1]))]


def kernel_gamma_verdict(gamma: dict) -> str:
    """What choosing the kernel's scale on validation changes: per degree the (gamma, C) picked,
    whether it lies on the grid's edge, its validation and test accuracy, then the step from
    degree 3 to 4 against two standard errors of a difference."""
    fits, n = gamma["degrees"], gamma["n_test"]
    parts, edges = [], []
    for d in sorted(fits, key=int):
        chosen, grid = fits[d]["chosen"], fits[d]["grid"]
        parts.append(f"degree {d} picks γ = {chosen['gamma']:g} and C = {chosen['C']:.3g} (validation "
                     f"{chosen['val_acc']:.2%}, test **{fits[d]['test_acc']:.2%}**)")
        if (_on_grid_edge(chosen["gamma"], (row["gamma"] for row in grid))
                or _on_grid_edge(chosen["C_times_gamma"], (row["C_times_gamma"] for row in grid))):
            edges.append(d)
    from .experiments.taylor_kernel import copies_phrase

    copies = gamma["augmented_copies"]
    text = ("With the kernel's scale γ chosen on validation beside C (experiment `taylor_kernel_gamma`, "
            + (f"with {copies_phrase(copies)}" if copies else "no augmentation")
            + "; γ = 1 above): " + "; ".join(parts) + ".")
    # a gamma not chosen whose best C lies on the edge of its C grid: a wider grid might move it
    open_rows = set()
    for d, degree_fits in fits.items():
        c_grid = [row["C_times_gamma"] for row in degree_fits["grid"]]
        for scale, group in _by_gamma(degree_fits["grid"]).items():
            best_c = max(group, key=lambda row: row["val_acc"])["C_times_gamma"]
            if scale != degree_fits["chosen"]["gamma"] and _on_grid_edge(best_c, c_grid):
                open_rows.add(scale)
    open_rows = [f"{scale:g}" for scale in sorted(open_rows)]
    if open_rows:
        text += f" At γ = {' and '.join(open_rows)} the best C lies on the grid's edge (not fully searched)."
    if edges:
        text += (f" The choice{'s' if len(edges) > 1 else ''} of degree{'s' if len(edges) > 1 else ''} "
                 f"{' and '.join(edges)} lie{'' if len(edges) > 1 else 's'} on the grid's edge: a wider grid might "
                 "find more.")
    if "3" in fits and "4" in fits:
        step = fits["4"]["test_acc"] - fits["3"]["test_acc"]
        noise = 2 * difference_standard_error(fits["4"]["test_acc"], n)
        verdict = ("no measurable step" if abs(step) < noise else
                   "a step up, beyond two standard errors of a difference" if step > 0 else
                   "a step down, beyond two standard errors of a difference")
        text += (f" From degree 3 to 4: {100 * step:+.2f} points, {verdict} ({100 * noise:.2f} points)"
                 + (": a kernel scale chosen on validation does not lift order 4 above order 3." if step < noise
                    else "."))
    return text


def _kernel_fits_by_copies(kernel: dict, more: dict[str, dict]) -> dict[int, dict[str, dict]]:
    """The one-vs-rest machines of degrees 3 and 4 by the number of augmented copies they were
    fit with: 0 and taylor_kernel_svm's copies from ``kernel``, then each result of ``more``
    (experiment name -> result: taylor_kernel_copies, taylor_kernel_copies3). Each fit as
    {"val_acc", "test_acc", "n_fit"} (its chosen C's). Only counts with both degrees fit are
    kept (the smoke profile fits degrees 2 and 4)."""
    fits = kernel["schemes"]["one_vs_rest"]

    def svm_row(row):
        return {"val_acc": row["val_acc"][str(row["chosen_C"])], "test_acc": row["test_acc"], "n_fit": row["n_fit"]}

    out = {0: {d: svm_row(row) for d, row in fits["degrees"].items() if d in ("3", "4")},
           kernel["augmented_copies"]: {d: svm_row(row) for d, row in fits["augmented"].items() if d in ("3", "4")}}
    for copies in more.values():
        out[copies["augmented_copies"]] = {d: {"val_acc": row["chosen"]["val_acc"], "test_acc": row["test_acc"],
                                              "n_fit": row["n_fit"]} for d, row in copies["degrees"].items()
                                           if d in ("3", "4")}
    return {n: degrees for n, degrees in sorted(out.items()) if set(degrees) == {"3", "4"}}


def kernel_copies_table(kernel: dict, more: dict[str, dict]) -> pd.DataFrame:
    """Degrees 3 and 4 of the one-vs-rest machines by augmented copies (each C chosen on the
    same validation split): validation and test accuracy and the step from degree 3 to 4
    (empty when no count fit both degrees)."""
    rows = []
    for n_copies, fits in _kernel_fits_by_copies(kernel, more).items():
        row = {"augmented copies": n_copies, "images fit": f"{fits['4']['n_fit']:,}"}
        for d in ("3", "4"):
            row[f"degree {d}, validation"] = f"{fits[d]['val_acc']:.2%}"
            row[f"degree {d}, test"] = f"{fits[d]['test_acc']:.2%}"
        row["degree 3 → 4, test"] = f"{100 * (fits['4']['test_acc'] - fits['3']['test_acc']):+.2f} points"
        rows.append(row)
    return pd.DataFrame(rows).set_index("augmented copies") if rows else pd.DataFrame()


def kernel_copies_verdict(kernel: dict, more: dict[str, dict], conclude: bool = True) -> str:
    """Does more data lift degree 4 above degree 3? The step from degree 3 to 4 of the
    one-vs-rest machines at each number of augmented copies (``more``: experiment name ->
    result), on validation and test; with ``conclude``, the last against two standard errors
    of a difference and which way the steps move (without it, the steps alone: the paired
    :func:`kernel_paired_verdict` concludes). Empty unless a run of ``more`` fit both degrees."""
    by_copies = _kernel_fits_by_copies(kernel, more)
    runs = {name: copies for name, copies in more.items() if copies["augmented_copies"] in by_copies}
    if not runs:
        return ""
    n = next(iter(runs.values()))["n_test"]
    # a run that fit each degree at one C took the C validation chose with fewer copies
    at_one_C = [copies["augmented_copies"] for copies in runs.values()
                if all(len(row["grid"]) == 1 for row in copies["degrees"].values())]

    def steps(split):
        return [round(100 * (fits["4"][split] - fits["3"][split]), 2) for fits in by_copies.values()]

    def listed(values):
        return ", ".join(f"{v:+.2f}" for v in values)

    def trend(values):
        if all(a < b for a, b in zip(values, values[1:])):
            return "rises with each copy"
        if all(a > b for a, b in zip(values, values[1:])):
            return "falls with each copy"
        return "moves both ways"

    most = max(by_copies)
    last = by_copies[most]
    step = last["4"]["test_acc"] - last["3"]["test_acc"]
    se = difference_standard_error(last["4"]["test_acc"], n)
    test_steps, val_steps = steps("test_acc"), steps("val_acc")
    text = (f"More data ({', '.join(f'`{name}`' for name in runs)}; up to {last['4']['n_fit']:,} images): from "
            f"degree 3 to 4 with {', '.join(map(str, by_copies))} augmented copies, {listed(test_steps)} test points "
            f"({listed(val_steps)} on validation"
            + "".join(f"; with {k}, each degree at the C chosen with fewer" for k in at_one_C) + "). ")
    if not conclude:
        return text.rstrip()
    if round(100 * step, 2) == 0:
        text += f"Degree 4 is level with degree 3 on test ({last['4']['test_acc']:.2%} each"
    elif step > 0:
        text += f"Degree 4 is above degree 3 by {100 * step:.2f} points (2 SE {100 * 2 * se:.2f}"
    else:
        text += f"Degree 4 is still not above degree 3 ({100 * step:+.2f} points; 2 SE {100 * 2 * se:.2f}"
    text += f"); the step on test {trend(test_steps)}, on validation it {trend(val_steps)}"
    if step > 0 and against_two_se(step, se) == "beyond":
        return text + ": order 4 needs more than the 60,000 images to pull ahead of order 3."
    return text + ": no amount of data tried puts order 4 measurably above order 3."


def kernel_paired_table(paired: dict) -> pd.DataFrame:
    """taylor_kernel_paired by augmented copies: each degree's test accuracy, the test images
    only one of the two gets right, the step with two paired standard errors, and McNemar's
    exact p-value."""
    low, high = paired["degrees"]
    rows = []
    for n_copies, test in paired["paired"].items():
        fits = paired["fits"][n_copies]
        rows.append({"augmented copies": int(n_copies),
                     f"degree {low}, test": f"{fits[str(low)]['test_acc']:.2%}",
                     f"degree {high}, test": f"{fits[str(high)]['test_acc']:.2%}",
                     f"only degree {low} right": test["only_a"], f"only degree {high} right": test["only_b"],
                     f"degree {low} → {high}": f"{100 * test['step']:+.2f} points",
                     "2 SE, paired": f"{200 * test['paired_se']:.2f} points",
                     "McNemar p": f"{test['p_value']:.2f}"})
    return pd.DataFrame(rows).set_index("augmented copies")


def paired_step(test: dict, low, high) -> str:
    """One :func:`~cgcore.experiments.taylor_kernel_paired.mcnemar` comparison of degrees
    ``low`` and ``high`` in words: the images each alone gets right, the step, the p-value."""
    return (f"{test['only_b']} images only degree {high} gets right and {test['only_a']} only degree {low} "
            f"({100 * test['step']:+.2f} points, McNemar p = {test['p_value']:.2f})")


def kernel_paired_line(stored: dict | None, what: str) -> str:
    """'what, with n augmented copies: <paired_step>' for the most copies of a stored
    taylor_kernel_paired, or 'what: not computed yet'."""
    from .experiments.taylor_kernel import copies_phrase

    if stored is None:
        return f"{what}: not computed yet"
    paired = stored["result"]
    most = max(paired["paired"], key=int)
    return f"{what}, with {copies_phrase(int(most))}: {paired_step(paired['paired'][most], *paired['degrees'])}"


def kernel_paired_verdict(paired: dict, level: float = 0.05) -> str:
    """Degree 4 against degree 3 image by image (taylor_kernel_paired): how few test images
    the two disagree on, the paired error that gives against that of two independent
    accuracies, the step and McNemar p-value with the most copies (the others are in
    :func:`kernel_paired_table`) and the most it lets degree 4 gain there, with which
    numbers of copies the two differ measurably at ``level`` (each test read alone), and
    whether every refit gave its run's stored test accuracy."""
    from .experiments.taylor_kernel import copies_phrase

    low, high = paired["degrees"]
    tests, n = paired["paired"], paired["n_test"]
    discordant = [t["only_a"] + t["only_b"] for t in tests.values()]
    paired_se = [200 * t["paired_se"] for t in tests.values()]
    accuracy = next(iter(paired["fits"].values()))[str(low)]["test_acc"]

    def span(values, form):
        low_end, high_end = format(min(values), form), format(max(values), form)
        return low_end if low_end == high_end else f"{low_end} to {high_end}"

    text = (f"**Image by image** (`taylor_kernel_paired`): refit at the C their runs chose, degrees {low} and {high} "
            f"disagree on only {span(discordant, 'd')} of the same {n:,} test images, so the step's paired 2 SE is "
            f"{span(paired_se, '.2f')} points, not the {200 * difference_standard_error(accuracy, n):.2f} of "
            "independent accuracies. ")
    most = max(tests, key=int)
    last = tests[most]
    text += (f"With {copies_phrase(int(most))}, {paired_step(last, low, high)}: degree {high} gains at most "
             f"{100 * (last['step'] + 2 * last['paired_se']):.2f} points there (step + 2 SE). ")
    above = [k for k, t in tests.items() if t["p_value"] < level and t["step"] > 0]
    below = [k for k, t in tests.items() if t["p_value"] < level and t["step"] < 0]
    if above:
        text += f"Degree {high} is measurably above degree {low} (p < {level}) with {', '.join(above)} copies"
    else:
        text += f"With no number of copies is degree {high} measurably above degree {low} (p < {level})"
    if below:
        text += f"; it is measurably below it with {', '.join(below)} copies"
    text += "."
    off = [f"{k} copies, degree {d}" for k, fits in paired["fits"].items() for d, row in fits.items()
           if not row["reproduced"]]
    if off:
        text += (" These refits did not give their run's stored test accuracy, so they are not quite the machines "
                 f"above: {', '.join(off)}.")
    else:
        text += " Each refit reproduced its run's test accuracy."
    return text


def kernel_verdict(kernel: dict, expansion: dict) -> str:
    """What the kernel machine says of Sec. III's order-4 claims. Read off the one-vs-rest
    machines (ten polynomials, the largest wins: Eq. (3)'s form): the degree-4 test accuracy
    against the paper's, the steps from degree to degree (the paper's systematic
    improvement), against our order 4, with augmented copies where stored; then the
    one-vs-one machines beside them."""
    fits = kernel["schemes"].get("one_vs_rest")
    if fits is None or "4" not in fits["degrees"]:
        return ""
    rows, n = fits["degrees"], kernel["n_test"]
    svm4, paper = rows["4"]["test_acc"], PAPER["taylor_order4_acc"].value
    se = float(np.sqrt(svm4 * (1 - svm4) / n))
    degrees = sorted(rows, key=int)
    text = ("Ten polynomials of degree 4, one per class and fit one against the rest by the max-margin machine, "
            f"score **{svm4:.2%}** on the test set, {100 * (svm4 - paper):+.2f} points from the paper's about "
            f"{paper:.0%} (one standard error: {100 * se:.2f} points).")
    ours = expansion["orders"].get("4")
    step = svm4 - rows["3"]["test_acc"] if "3" in rows else None
    noise = 2 * difference_standard_error(svm4, n)       # two standard errors of a difference
    o3 = expansion["orders"].get("3")
    ours_flat = ours is not None and o3 is not None and ours["test_acc"] - o3["test_acc"] < noise
    if step is not None:
        if abs(step) < noise:
            text += (" Degree 4 gains nothing measurable over degree 3 in this fit"
                     + (f" either ({100 * step:+.2f} points), so our missing step from order 3 to 4 belongs to "
                        "these polynomials on these images, not to our training."
                        if ours_flat else f" ({100 * step:+.2f} points), where our fit gains over order 3."))
        elif step > 0:
            text += (f" Here degree 4 does improve on degree 3 ({100 * step:+.2f} points, over two standard errors "
                     "of a difference), as the paper says the order does"
                     + ("; our fit of order 4 does not show it, so the flat step of ours lies in how we train."
                        if ours_flat else "."))
    augmented_rows = fits.get("augmented", {})
    augmented = augmented_rows.get("4")
    if augmented is not None:
        from .experiments.taylor_kernel import copies_phrase

        copies = kernel["augmented_copies"]
        text += (f" Trained on the images and {copies_phrase(copies)} of each, they "
                 f"score {augmented['test_acc']:.2%}")
        below = augmented_rows.get("3")
        if below is None:
            text += "."
        else:   # the step from degree 3 to 4 again, with the same fit on the same augmented images
            step_augmented = augmented["test_acc"] - below["test_acc"]
            text += f", against {below['test_acc']:.2%} at degree 3 fit the same way: "
            if abs(step_augmented) < noise:
                text += f"again no measurable step from degree 3 to 4 ({100 * step_augmented:+.2f} points)."
                if step is not None and abs(step) < noise:       # flat without the copies too
                    text += (" Augmented or not, order 4 does not improve on order 3: the paper's "
                             "\"systematically improved\" holds here up to order 3.")
            elif step_augmented > 0:
                text += (f"here degree 4 does improve on degree 3 ({100 * step_augmented:+.2f} points, over two "
                         "standard errors of a difference).")
            else:
                text += (f"degree 3 scores higher, by {100 * -step_augmented:.2f} points (over two standard "
                         "errors of a difference).")
    # an expansion to order 4 holds every polynomial of lower degree (its higher terms at zero),
    # so the best of these fits is one order 4 can reach
    fits_to_4 = {f"degree {d}": rows[d]["test_acc"] for d in degrees if int(d) <= 4}
    fits_to_4 |= {f"degree {d} with augmented copies": row["test_acc"]
                  for d, row in augmented_rows.items() if int(d) <= 4}
    best_fit = max(fits_to_4, key=fits_to_4.get)
    best = fits_to_4[best_fit]
    if best_fit != "degree 4":
        text += (f" Order 4 holds every polynomial of lower degree, so the best of these fits, {best:.2%} "
                 f"({best_fit}), is within its reach.")
    if best < paper - 2 * se:
        text += (" A fit of the same polynomials that owes nothing to our optimizer or schedule"
                 + (", with augmentation or without," if augmented is not None else "")
                 + " also stays below the paper's figure. That points at the 7×7 images (the paper does not say "
                   "how it made them) more than at our training, though a kernel machine is one fit among others, "
                   "not the best polynomial there is.")
    elif best < paper:
        text += (f" That best, {best:.2%}, is within two standard errors of the paper's figure without reaching it"
                 + (f", and {100 * (best - ours['test_acc']):+.2f} points from our order 4: part of our shortfall "
                    "lies in how we fit the polynomials" if ours is not None and ours["test_acc"] < best else "")
                 + ".")
    elif ours is not None and ours["test_acc"] < paper - 2 * se:
        text += (" The same polynomials reach the paper's figure on these images, so the shortfall of our "
                 "order 4's level (the step from order 3 aside) lies in how we train it.")
    return text    # the one-vs-one machines are in kernel_table


def kernel_as_eq3(kernel: dict | None) -> dict[int, dict]:
    """degree -> the augmented one-vs-rest machine of taylor_kernel_svm read as Eq. (3) (its
    ``as_eq3``: test accuracy, locality, pruning), for the degrees the run wrote out."""
    fits = ((kernel or {}).get("schemes", {}).get("one_vs_rest", {}).get("augmented", {}))
    return {int(d): row["as_eq3"] for d, row in fits.items() if "as_eq3" in row}


def _pruned_machine(result: dict, kernel: dict | None) -> dict:
    """The max-margin polynomial of the chapter's pruning order as Eq. (3), when it was pruned
    at the same fractions as the chapter's fit ({} otherwise)."""
    pruning = result["pruning"]
    machine = kernel_as_eq3(kernel).get(pruning["order"], {})
    return machine if machine.get("pruning", {}).get("keep") == pruning["keep"] else {}


# the fits of Eq. (3) the chapter prunes, as the pruning table names them
PRUNED_FITS = ("the chapter's fit", "max-margin fit", "first fit")


def _pruned_fits(result: dict, kernel: dict | None, first_fit: dict | None) -> dict[str, tuple[float, dict]]:
    """Fit name (:data:`PRUNED_FITS`) -> (full test accuracy, its pruning) for every fit pruned
    at the chapter's order and fractions: the chapter's, the max-margin polynomial
    (:func:`_pruned_machine`) and taylor_first_fit's."""
    pruning = result["pruning"]
    order = pruning["order"]
    fits = {PRUNED_FITS[0]: (result["orders"][str(order)]["test_acc"], pruning)}
    machine = _pruned_machine(result, kernel)
    if machine:
        fits[PRUNED_FITS[1]] = (machine["test_acc"], machine["pruning"])
    first = (first_fit or {}).get("pruning") or {}
    if first.get("order") == order and first.get("keep") == pruning["keep"]:
        fits[PRUNED_FITS[2]] = (first_fit["orders"][str(order)]["test_acc"], first)
    return fits


def pruning_table(result: dict, kernel: dict | None = None, first_fit: dict | None = None) -> pd.DataFrame:
    """Sec. III's pruning: test accuracy (and its change in points) with the largest weights
    kept, for the chapter's fit with the coefficient dropped (the paper's reading) and
    re-centred, and, when taylor_kernel_svm wrote its augmented machines of the same order out
    as Eq. (3) or ``first_fit`` (taylor_first_fit's) pruned the same order, for theirs in the
    paper's reading."""
    columns = {}
    for fit, (whole, accs) in _pruned_fits(result, kernel, first_fit).items():
        # the other fits in the paper's reading only (re-centring moves the machines by hundredths)
        readings = (("test_acc", ""), ("test_acc_centred", ", re-centred")) if fit == PRUNED_FITS[0] else (
            ("test_acc", ""),)
        for key, reading in readings:
            if key in accs:
                columns[f"{fit}{reading}"] = [f"{a:.2%} ({100 * (a - whole):+.2f})" for a in [whole] + accs[key]]
    keep = result["pruning"]["keep"]
    return pd.DataFrame({"weights kept": [f"{k:.0%}" for k in [1.0] + keep], **columns}).set_index("weights kept")


def _the(fit: str) -> str:
    """``fit`` (a name of :data:`PRUNED_FITS`) with its article."""
    return fit if fit.startswith("the ") else f"the {fit}"


def pruning_verdict(result: dict, kernel: dict | None = None, first_fit: dict | None = None,
                    weighting: str | None = None) -> str:
    """The paper's three pruning figures against every fit pruned (:func:`_pruned_fits`), each
    judged as the scorecard judges them, by the change from its own full model; which fit is
    nearest the paper's at each level ("" without a second fit to set beside the chapter's);
    with ``weighting`` (the chapter's config's), why a kernel-weighted fit loses nothing."""
    order = result["pruning"]["order"]
    fits = _pruned_fits(result, kernel, first_fit)
    if len(fits) < 2 or PAPER.get(f"taylor_order{order}_acc") is None or PAPER[f"taylor_order{order}_acc"].value is None:
        return ""
    percents = [int(round(100 * k)) for k in result["pruning"]["keep"]]
    paper_full = PAPER[f"taylor_order{order}_acc"].value
    paper = [PAPER[f"taylor_prune{k}_acc"].value - paper_full for k in percents]
    changes = {fit: [a - whole for a in accs["test_acc"]] for fit, (whole, accs) in fits.items()}
    text = (f"Judged as the scorecard judges them, by the change from each fit's own full model with "
            f"{', '.join(f'{k} %' for k in percents)} kept: the paper's {' / '.join(f'{100 * c:+.2f}' for c in paper)}; "
            + "; ".join(f"{_the(fit)}'s {' / '.join(f'{100 * c:+.2f}' for c in cs)}" for fit, cs in changes.items())
            + " points.")
    nearest = [min(changes, key=lambda fit: abs(changes[fit][i] - paper[i])) for i in range(len(percents))]
    for fit in dict.fromkeys(nearest):
        levels = [f"{k} %" for k, near in zip(percents, nearest) if near == fit]
        text += (f" {_the(fit).capitalize()} is the nearest to the paper's at "
                 + ("every level." if len(levels) == len(percents) else f"{', '.join(levels)}."))
    if all(cs[-1] > paper[-1] + 0.05 for cs in changes.values()):
        text += f" {'Neither' if len(changes) == 2 else 'None'} loses at {percents[-1]} % what the paper's fit loses."
    chapter = changes[PRUNED_FITS[0]]
    if weighting == "kernel" and all(abs(c) < 0.001 for c in chapter):
        text += (f" The chapter's fit loses nothing measurable even with {percents[-1]} % kept. We think this is its "
                 "weighting: from zero, SGD moves each weight in proportion to $\\sqrt{c_m}$, so the terms the kernel "
                 "weighs least, most of those of degree 3 and 4, keep small coefficients, and a small share of the "
                 "terms holds the polynomial.")
    return text


def locality_readings(by_order: dict, fit: str = "") -> dict[str, dict]:
    """Fig. 3's locality shares of one fit (order -> basis -> shares, as ``locality_by_order`` of
    taylor_expansion stores them), one reading per order and basis, named as the chapter names
    its readings, with ``fit`` after the order ("max-margin fit"; none for the chapter's own)."""
    fit_part = f"{fit}, " if fit else ""
    return {f"order {order}, {fit_part}{name}, largest fifth by magnitude": shares[basis]
            for order, shares in sorted(by_order.items(), key=lambda kv: int(kv[0]))
            for basis, name in (("u", "u_i u_j"), ("x_at_zero", "x_i x_j at the black image"))}


def kernel_locality_readings(kernel: dict | None) -> dict[str, dict]:
    """:func:`locality_readings` of the max-margin polynomials (taylor_kernel_svm's augmented
    machines as Eq. (3))."""
    return locality_readings({d: eq3["locality"] for d, eq3 in kernel_as_eq3(kernel).items()}, "max-margin fit")


def favours_near_pairs(shares: dict) -> bool:
    """Does a reading of :func:`cgcore.taylor.locality_shares` put the large weights on near
    pixel pairs: more than their share of all pairs near, and less far?"""
    return shares["top_near"] > shares["all_near"] and shares["top_far"] < shares["all_far"]


# how the Taylor chapter names its fits in Fig. 3's readings (:func:`locality_readings`)
CHAPTER_FIT, FIRST_FIT, MARGIN_FIT = "the chapter's fit", "first fit", "max-margin fit"


def locality_verdict(readings: dict[str, dict], data: dict | None = None,
                     geometry_fits: tuple[str, ...] = (MARGIN_FIT, CHAPTER_FIT)) -> str:
    """Fig. 3's locality over every reading of the chapter (name -> locality shares, named by
    :func:`locality_readings`): which readings of the largest fifth by magnitude favour near
    pairs, and whether it is the fit that decides it (every reading of the fits in the kernel
    machines' geometry, ``geometry_fits``, local and no other); then the levels cut by signed
    value, as the caption cuts them. With ``data``, the shares of the training images' own
    class-against-rest products (taylor_kernel.data_locality): whether the max-margin fit
    inherits its locality from them."""
    by_magnitude = {name: shares for name, shares in readings.items() if "by signed value" not in name}
    by_value = {name: shares for name, shares in readings.items() if "by signed value" in name}
    local = [name for name, shares in by_magnitude.items() if favours_near_pairs(shares)]
    margin = [name for name in by_magnitude if any(f", {fit}," in name for fit in geometry_fits)]
    if not local:
        text = ("No reading of the largest fifth by magnitude puts the quadratic weights on near pairs: neither the "
                "order, nor the basis" + (", nor the fit" if margin else "") + " is what separates our Fig. 3 from "
                "the paper's.")
    else:
        favoured = "Near pairs are favoured (more than their share of all pairs near, less far)"
        decided = bool(margin) and set(local) == set(margin) and len(margin) < len(by_magnitude)
        if decided:
            others = sorted({name.split(", ")[1] for name in by_magnitude if name not in margin})
            present = [fit for fit in geometry_fits if any(f", {fit}," in name for name in margin)]
            described = {MARGIN_FIT: ("the machines", "fit to the maximum margin"),
                         CHAPTER_FIT: (f"{CHAPTER_FIT}, SGD in the machines' weighting",
                                       "fit by SGD in the machines' weighting")}
            text = (f"{favoured} in all {len(margin)} readings of the fits in the kernel machines' geometry ("
                    + " and ".join(described.get(fit, (fit,))[0] for fit in present) + ") and in none of the "
                    f"other {len(by_magnitude) - len(margin)} (those of the {' and the '.join(others)}).")
            text += (" So the fit decides it: the same polynomials, "
                     + " or ".join(described.get(fit, ("", f"fit as the {fit}"))[1] for fit in present)
                     + ", hold the paper's locality in every basis and order read.")
            if data is not None and favours_near_pairs(data):
                text += (f" The data hold it before any fit: each class's mean of $u_i u_j$ less the mean over all "
                         f"images puts {data['top_near']:.0%} of its largest fifth on near pairs. Those coefficients "
                         "are weighted sums of such products ($W_m$ above), while Adam on standardised terms moves "
                         "every term alike.")
            else:
                text += (" We think this is because those coefficients are weighted sums of the training images' "
                         "own products ($W_m$ above), while Adam on standardised terms moves every term alike.")
        else:
            text = f"{favoured}: " + "; ".join(f"*{name}*" for name in local) + "."
            if len(local) < len(by_magnitude):
                text += " The other readings by magnitude do not favour them."
    if by_value:
        level = {name: name.split(", ")[-1].split(" ")[0] for name in by_value}      # "... L5 by signed value" -> L5
        near = [level[name] for name, shares in by_value.items() if favours_near_pairs(shares)]
        levels = " and ".join(level.values())
        text += (" Cut by signed value, as the caption cuts its levels, "
                 + (f"{levels} of {CHAPTER_FIT} favour near pairs too." if len(near) == len(by_value) else
                    f"{levels} of {CHAPTER_FIT} do not all favour near pairs"
                    + (f" (only {' and '.join(near)} does)" if near else " (neither does)")
                    + ": the locality shows in the magnitudes, not in each sign's level."))
    return text


def same_fits(geometry: dict, expansion: dict, orders=("3", "4")) -> bool:
    """Whether taylor_kernel_geometry's final fits of ``orders`` are the chapter's (the same
    settings, seed and lengths give the same bits, so the same test accuracies)."""
    rows, ours = geometry.get("orders", {}), expansion["orders"]
    return all(o in rows and o in ours and rows[o]["test_acc"] == ours[o]["test_acc"] for o in orders)


def first_fit_verdict(expansion: dict, first: dict | None, chapter_lengths: dict, first_lengths: dict | None,
                      settings: dict, first_settings: dict) -> str:
    """Why the chapter fits Eq. (3) in the kernel machines' weighting by SGD (``settings``) and
    not as it first did (``first_settings``: standardised terms, Adam): order 4 of each at the
    length validation picks, on the same held-out images (``chapter_lengths``: taylor_kernel_geometry's
    order-4 lengths; ``first_lengths``: taylor_order4_epochs), weighed in standard errors of a
    difference; then both on all training images and the test set (``first``: taylor_first_fit),
    orders 3 and 4."""
    def best(lengths):
        return lengths["candidates"][lengths["chosen"]]

    ours = best(chapter_lengths)
    text = (f"**Why this fit?** Our first fit learned one weight per standardised term with "
            f"{first_settings['optimizer'].capitalize()} (peak learning rate {first_settings['lr']:g}); the chapter's "
            f"puts the machines' weights $\\sqrt{{c_m}}$ on centred terms and trains by "
            f"{settings['optimizer'].upper()} (peak learning rate {settings['lr']:g}, set by hand from short runs of "
            "order 4 judged on the held-out images). On the "
            f"{chapter_lengths['val_size']:,} held-out images, order 4 scores {ours['val_acc']:.2%} after "
            f"{trained_epochs(ours)} epochs")
    if first_lengths is not None and first_lengths["val_size"] == chapter_lengths["val_size"]:
        theirs = best(first_lengths)
        step = ours["val_acc"] - theirs["val_acc"]
        se = difference_standard_error(theirs["val_acc"], chapter_lengths["val_size"])
        text += (f" against the first fit's {theirs['val_acc']:.2%} after {trained_epochs(theirs)} (each at the "
                 f"length validation picks for it): {100 * step:+.2f} points, {step / se:.1f} standard errors of a "
                 "difference. Validation picks this fit" + (", by a margin a split of this size cannot resolve"
                                                            if abs(step) <= 2 * se else "") + ".")
    else:
        text += "."
    if first is not None and {"3", "4"} <= set(first["orders"]) and {"3", "4"} <= set(expansion["orders"]):
        o, f = expansion["orders"], first["orders"]
        step = o["4"]["test_acc"] - f["4"]["test_acc"]
        se = difference_standard_error(f["4"]["test_acc"], first["n_test"])
        text += (f" Trained on all {first['n_train']:,} images and tested once (experiment `taylor_first_fit`), the "
                 f"first fit scores {f['3']['test_acc']:.2%} at order 3 and {f['4']['test_acc']:.2%} at order 4, "
                 f"this fit {o['3']['test_acc']:.2%} and {o['4']['test_acc']:.2%}: at order 4 {100 * step:+.2f} "
                 f"points, {against_two_se(step, se)} two standard errors of a difference. The weighting and the "
                 "optimizer change together here; which of the two matters is not separated.")
    return text


def order_step_verdict(expansion: dict, geometry: dict | None, level: float = 0.05) -> str:
    """The chapter's step from order 3 to 4 image by image: taylor_kernel_geometry's final fits
    compared by McNemar's test, when they are the chapter's fits (:func:`same_fits`); "" otherwise."""
    paired = (geometry or {}).get("paired")
    if paired is None or [int(o) for o in paired["orders"]] != [3, 4] or not same_fits(geometry, expansion):
        return ""
    text = (f"Image by image, on the same test images (experiment `taylor_kernel_geometry`, whose final fits of "
            f"orders 3 and 4 are the chapter's, the same bits), {paired_step(paired, 3, 4).replace('degree', 'order')}: ")
    if paired["p_value"] < level:
        return text + ("order 4 is measurably above order 3." if paired["step"] > 0
                       else "order 3 is measurably above order 4.")
    return text + f"no measurable step (p ≥ {level})."


def order4_fit_choice(choice: dict) -> str:
    """The stored ``taylor_order4_choice``: every fit of Eq. (3) at order 4 the book makes
    (the gradient fits of taylor_order4_tuning, one per candidate; the one-vs-rest max-margin
    machines of taylor_kernel_svm, plain and with augmented copies, and of
    taylor_kernel_copies and taylor_kernel_copies3, each at its own setting chosen there),
    ranked on the same held-out training images. Which one validation picks, by how much, and
    its test accuracy."""
    fits, best, n = choice["fits"], choice["chosen"], choice["val_size"]
    gradient = {name: row for name, row in fits.items() if row["method"] == "gradient descent"}
    val, test = fits[best]["val_acc"], fits[best]["test_acc"]
    text = (f"Ranked on the same {n:,} held-out training images, the {len(fits)} fits of order {choice['order']} "
            f"stored here score {min(row['val_acc'] for row in fits.values()):.2%} to {val:.2%} on validation, and "
            f"validation picks *{candidate_label(best)}*")
    if gradient:
        best_gradient = max(gradient, key=lambda name: gradient[name]["val_acc"])
        margin = val - gradient[best_gradient]["val_acc"]
        if margin > 0:     # a machine is ahead of every gradient fit
            text += (f", {100 * margin:+.2f} points over the best gradient fit (*{candidate_label(best_gradient)}*; "
                     f"{margin / difference_standard_error(val, n):.1f} standard errors of a difference)")
    refit = ("the machines and the chapter's fit (in the kernel's weighting)"
             if any("kernel's weighting" in name for name in fits) else "the machines")
    text += (f". Its test accuracy is **{test:.2%}** (the paper: about {PAPER['taylor_order4_acc'].value:.0%}; "
             f"{refit} are refit on all training images before the test, the other gradient fits tested as trained; "
             "experiment `taylor_order4_choice`, the scorecard's row for the fit chosen on validation).")
    return text


def hierarchy_table(sizes) -> pd.DataFrame:
    """Fig. 7 for a partition ``sizes``: images per class at each level, and from what."""
    from .distill import images_per_class

    return pd.DataFrame([{"level": f"D{k}", "images per class": images_per_class(sizes, k),
                          "distilled from": "—" if k == 0 else f"{images_per_class(sizes, k)} subsets of "
                                                              f"{sizes[k - 1]} per class ({sizes[k - 1]}-to-1)"}
                         for k in range(len(sizes) + 1)]).set_index("level")


def layer_output_table(net, input_shape) -> pd.DataFrame:
    """The output shape after each layer of a sequential ``net`` for one input of
    ``input_shape`` (channels, height, width)."""
    import torch

    x, rows = torch.zeros(1, *input_shape), []
    with torch.no_grad():
        for layer in net:
            x = layer(x)
            rows.append({"layer": type(layer).__name__, "output": "x".join(map(str, x.shape[1:]))})
    return pd.DataFrame(rows)


def training_results_table(profile: str) -> pd.DataFrame:
    """Every stored TaylorNet and ResNet experiment of ``profile``: test accuracy and
    parameters beside the paper's, epochs, training time and device ("not computed yet"
    for those not stored with the current config)."""
    from .experiments.taylornet import CLAIM_PREFIX, RESNET, TAYLORNETS
    from .profiles import get_config
    from .results import load_result

    rows = []
    for name in TAYLORNETS + (RESNET,):
        found = load_result(name, profile, get_config(name, profile))
        if found is None:
            rows.append({"experiment": name, "model": "—", "test accuracy": "not computed yet"})
            continue
        manifest = found["manifest"]
        for variant, row in found["result"]["models"].items():
            prefix = f"{CLAIM_PREFIX[variant]}_{found['result']['dataset']}"
            acc_ref, params_ref = PAPER.get(f"{prefix}_acc"), PAPER.get(f"{prefix}_params")
            rows.append({"experiment": name, "model": variant, "test accuracy": f"{row['test_acc']:.2%}",
                         "paper": "—" if acc_ref is None or acc_ref.value is None else f"{acc_ref.value:.1%}",
                         "parameters": f"{row['params']:,}",
                         "paper's parameters": "—" if params_ref is None else f"{params_ref.value:,.0f}",
                         "epochs": trained_epochs(row),
                         "training time": f"{row['train_seconds'] / 60:.1f} min",
                         "device": device_text(manifest, with_name=False)})
    return pd.DataFrame(rows).astype(object).fillna("").set_index(["experiment", "model"])


# Beyond the paper: each data set's TaylorNet and its equal-size twins, and where they are stored
BASELINE_DATASETS = {"mnist": "MNIST", "mnist7": "7×7 MNIST", "cifar10": "CIFAR-10", "fashion": "Fashion-MNIST"}
BASELINE_MODELS = {"taylornet": "TaylorNet", "relu_cnn": "ReLU CNN", "pinet": "Π-net (CCP)"}


def baseline_source(dataset: str, model: str) -> str:
    """The experiment that trains ``model`` (a BASELINE_MODELS key) on ``dataset``."""
    if dataset == "fashion":
        return "taylornet_fashion"
    return f"taylornet_{dataset}" if model == "taylornet" else f"baselines_{dataset}"


def baselines_table(profile: str) -> pd.DataFrame:
    """For every (data set, model) of BASELINE_DATASETS x BASELINE_MODELS: test accuracy,
    parameters, epochs and the median seconds per epoch of the stored run (the median: an
    epoch slowed by other work on the machine does not move it; ``None`` where it is not
    computed yet), and the multiply-adds per image of each network as the profile builds it
    (:func:`cgcore.models.multiply_adds`). The TaylorNets and their twins share data,
    recipe, seed and budget."""
    import torch

    from .data import IMAGE_SHAPE
    from .experiments.taylornet import build_model
    from .models import multiply_adds
    from .profiles import get_config
    from .results import load_result

    cache, rows = {}, []
    for dataset, dataset_name in BASELINE_DATASETS.items():
        for model, model_name in BASELINE_MODELS.items():
            name = baseline_source(dataset, model)
            if name not in cache:
                config = get_config(name, profile)
                cache[name] = config, load_result(name, profile, config)
            config, found = cache[name]
            row = None if found is None else found["result"]["models"].get(model)
            seconds = None if row is None else row["history"]["seconds"]
            shape = IMAGE_SHAPE[dataset]
            with torch.device("meta"):
                net = build_model(config, model, ([0.0] * shape[0], [1.0] * shape[0]))
            rows.append({"data set": dataset_name, "model": model_name,
                         "multiply-adds per image": multiply_adds(net, shape),
                         "test accuracy": None if row is None else row["test_acc"],
                         "parameters": None if row is None else row["params"],
                         "epochs": None if row is None else len(seconds),
                         "seconds per epoch": None if row is None else float(np.median(seconds)),
                         "precision": config.get("precision", "float32"),
                         "test images": None if found is None else found["result"].get("n_test"),
                         "experiment": name,
                         "run on": None if row is None else found["manifest"].get("date", "")[:10]})
    return pd.DataFrame(rows).set_index(["data set", "model"])


def format_baselines(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`baselines_table` for reading, narrow enough for the book's column: accuracy,
    thousands of parameters, millions of multiply-adds per image (MACs), the training
    precision (bf16: bfloat16 autocast), "not run yet"."""
    stored = table["test accuracy"].notna()
    return pd.DataFrame({
        "accuracy": [dash_or(v, "{:.2%}") if ok else "not run yet"
                     for v, ok in zip(table["test accuracy"], stored)],
        "params": [dash_or(v, "{:.0f} k", 1e-3) for v in table["parameters"]],
        "MACs": [f"{v / 1e6:.1f} M" for v in table["multiply-adds per image"]],
        "epochs": [dash_or(v, "{:.0f}") for v in table["epochs"]],
        "s/epoch": [dash_or(v, "{:.0f}") for v in table["seconds per epoch"]],
        "precision": [{"bfloat16": "bf16", "float32": "fp32"}[v] for v in table["precision"]],
        "run on": [dash_or(v, "{}") for v in table["run on"]],
    }, index=table.index)


def baselines_verdict(table: pd.DataFrame) -> str:
    """One generated sentence per data set with all three models stored: the TaylorNet's
    accuracy and time per epoch against its ReLU and Π-net twins'."""
    sentences, missing = [], []
    for dataset_name in BASELINE_DATASETS.values():
        rows = table.loc[dataset_name]
        if rows["test accuracy"].isna().any():
            missing.append(dataset_name)
            continue
        acc, sec, macs = rows["test accuracy"], rows["seconds per epoch"], rows["multiply-adds per image"]
        tn, relu, pinet = (acc[BASELINE_MODELS[m]] for m in ("taylornet", "relu_cnn", "pinet"))
        best, (top, second) = acc.idxmax(), acc.sort_values(ascending=False).iloc[:2]
        ranking = f"{best} is best"
        n = rows["test images"].dropna()
        if len(n):
            noise = 2 * difference_standard_error(top, n.min())
            if top - second < noise:
                ranking = (f"{best} is ahead by {100 * (top - second):.2f} pp, less than two standard errors of a "
                           f"difference on {int(n.min()):,} test images ({100 * noise:.2f} pp): one seed each "
                           f"cannot rank them")
        sentences.append(
            f"On {dataset_name} the TaylorNet scores {tn:.2%}, {100 * (tn - relu):+.2f} pp against the ReLU CNN of "
            f"its size ({relu:.2%}) and {100 * (tn - pinet):+.2f} pp against the Π-net ({pinet:.2%}); "
            f"{ranking}. A TaylorNet epoch takes "
            f"{sec[BASELINE_MODELS['taylornet']] / sec[BASELINE_MODELS['relu_cnn']]:.1f}× the ReLU CNN's time, "
            f"for {macs[BASELINE_MODELS['taylornet']] / macs[BASELINE_MODELS['relu_cnn']]:.1f}× its multiply-adds"
            + (" (measured in runs on different days: machines of the same kind differ, so read the time ratio "
               "as approximate)." if rows["run on"].nunique() > 1 else "."))
    if missing:
        sentences.append(f"Not computed yet for this profile: {', '.join(missing)}.")
    return " ".join(sentences)


def thesis_verdict(table: pd.DataFrame, profile: str, heading: str = "Verdict on performance.") -> str:
    """The paper's "interpretability without degrading performance", weighed on performance
    against the ReLU CNN of the TaylorNet's size (:func:`baselines_table`): on each data set
    with both stored, ahead, level (within two standard errors of a difference on the test
    set) or behind; on 7x7 MNIST the seed repeats decide where they are stored (a 95 % t
    interval of the paired differences); and the time per epoch. Empty when no data set
    has both."""
    taylornet, relu = BASELINE_MODELS["taylornet"], BASELINE_MODELS["relu_cnn"]
    differences = seed_differences(profile, "seeds_taylornet_mnist7", "taylornet_mnist7_acc", "relu_cnn_mnist7_acc",
                                   against_experiment="seeds_baselines_mnist7")
    standing, ratios = {"ahead": [], "level": [], "behind": []}, []
    for dataset, dataset_name in BASELINE_DATASETS.items():
        rows = table.loc[dataset_name]
        if rows.loc[[taylornet, relu], "test accuracy"].isna().any():
            continue
        tn, cnn = rows.loc[taylornet, "test accuracy"], rows.loc[relu, "test accuracy"]
        ratios.append(rows.loc[taylornet, "seconds per epoch"] / rows.loc[relu, "seconds per epoch"])
        if dataset == "mnist7" and differences is not None:
            # the seed repeats resolve finer differences than one run's test set does
            gap, half = mean_t_interval(differences)
            how = f"the mean over {len(differences)} seeds"
        else:
            n = rows.loc[[taylornet, relu], "test images"].min()
            gap, half = tn - cnn, 0.0 if pd.isna(n) else 2 * difference_standard_error(max(tn, cnn), n)
            how = "one run" if half else "one run, test-set size not stored"
        where = "ahead" if gap > half else "behind" if gap < -half else "level"
        standing[where].append((dataset_name, gap, how))
    if not ratios:
        return ""
    words = {"ahead": "ahead on", "level": "level with it on", "behind": "behind on"}
    text = (f"**{heading}** Against the ReLU CNN of its size, trained the same way, the TaylorNet is "
            + "; ".join(f"{words[k]} " + ", ".join(f"{name} ({100 * gap:+.2f} pp, {how})" for name, gap, how in v)
                        for k, v in standing.items() if v)
            + ". Level means within two standard errors of a difference on the test set for one run, or a 95 % "
              "interval over seeds that holds zero. ")
    if differences is not None:
        text += seed_difference_note("Over seeds on 7×7 MNIST, TaylorNet minus ReLU CNN", differences) + " "
    text += (f"An epoch of the TaylorNet takes {min(ratios):.1f}× to {max(ratios):.1f}× the ReLU CNN's time on these "
             "cores (the ReLU CNN is widened to the TaylorNet's parameter count, which can cost it more "
             "multiply-adds). ")
    gaps = [abs(gap) for _, gap, _ in standing["behind"]]
    if not gaps:
        return text + ("On these numbers the thesis holds on performance: the TaylorNet does not fall behind an "
                       "ordinary network of its size on any data set.")
    return text + (f"On these numbers the thesis holds only in part: the TaylorNet falls behind an ordinary network "
                   f"of its size on {len(gaps)} of the {len(ratios)} data sets, by {100 * min(gaps):.2f} to "
                   f"{100 * max(gaps):.2f} pp.")


def restored_note(restored: dict) -> str:
    """A manifest's ``restored`` work in words: minutes read from how many checkpoints, "at
    least" where some of them recorded no time."""
    unknown = restored.get("without_seconds", 0)
    return (f" (and {'at least ' if unknown else ''}{restored['seconds'] / 60:.1f} min of work read from "
            f"{restored['checkpoints']} checkpoints" + (f", {unknown} of which recorded no time)" if unknown else ")"))


def manifest_summary(manifest: dict) -> pd.DataFrame:
    """What produced a stored result, as a two-column table."""
    git = manifest.get("git", {})
    versions = manifest.get("versions", {})
    rows = {
        "experiment": manifest["experiment"],
        "profile": manifest["profile"],
        "seed": manifest.get("seed"),
        "git commit": (git.get("commit") or "unknown")[:12] + (" (dirty)" if git.get("dirty") else ""),
        "device": device_text(manifest),
        "wall time": f"{manifest['wall_time_s'] / 60:.1f} min"
                     + (restored_note(manifest["restored"]) if manifest.get("restored", {}).get("checkpoints") else ""),
        "date": manifest.get("date"),
        "versions": ", ".join(f"{k} {v}" for k, v in versions.items() if v),
    }
    return pd.DataFrame({"": list(rows), "value": list(rows.values())}).set_index("")


def claims_table(profile: str, prefix: str | tuple[str, ...] = "", *, seed_spreads: bool = True,
                 stated: bool | None = None) -> pd.DataFrame:
    """Scorecard rows whose claim id starts with ``prefix`` (or any of a tuple of
    prefixes), with the paper's source and note; without the rows a seed repeat computed
    (its ``_mean`` and ``_std``) when ``seed_spreads`` is False (a page that shows
    :func:`seeds_table`). ``stated=True`` keeps only the numbers the paper states,
    ``False`` only ours without a paper value, None both."""
    from .experiments.seeds import SEEDED

    table = build_scorecard(profile)
    prefixes = (prefix,) if isinstance(prefix, str) else tuple(prefix)
    keep = [c.startswith(prefixes) and (seed_spreads or Path(f).stem not in SEEDED)
            for c, f in zip(table["claim"], table["result_file"])]
    if stated is not None:
        keep = [k and (pd.notna(paper) == stated) for k, paper in zip(keep, table["paper"])]
    # a boolean Series, not a list: an empty list would select no columns instead of no rows
    table = table.loc[pd.Series(keep, index=table.index, dtype=bool)].copy()
    table["source (paper)"] = [PAPER[c].source if c in PAPER else "" for c in table["claim"]]
    table["note"] = [PAPER[c].note if c in PAPER else "" for c in table["claim"]]
    return table.drop(columns=["result_file"]).set_index("claim")


def _format(value, unit: str, signed: bool) -> str:
    if value is None or pd.isna(value):
        return "—"
    sign = "+" if signed else ""
    if unit == "fraction":  # a difference of fractions reads best in percentage points
        return f"{100 * value:+.2f} pp" if signed else f"{value:.2%}"
    if unit == "count":
        return f"{value:{sign},.0f}"
    return f"{value:{sign}.3g}"


COMPACT_COLUMNS = ("label", "paper", "ours", "delta", "verdict")


def missing_claims_table(table: pd.DataFrame) -> pd.DataFrame:
    """The claims of ``cgcore.paper`` that a scorecard ``table`` has no row for: id, label and
    source ("(ours)" for a number the book adds)."""
    scored = set(table["claim"])
    rows = [{"claim": c, "what": claim_label(c), "source": ref.source} for c, ref in PAPER.items() if c not in scored]
    return pd.DataFrame(rows, columns=["claim", "what", "source"]).set_index("claim")


def format_claims(table: pd.DataFrame, compact: bool = False) -> pd.DataFrame:
    """Fractions as percentages, counts with separators, deltas signed. ``compact`` keeps
    only the two values, their difference and the verdict, indexed by the label (a chapter's
    own table; the scorecard page has the ids, the paper's wording and sources)."""
    shown = table.copy()
    for column in ("paper", "ours", "delta"):
        shown[column] = [_format(v, u, column == "delta") for v, u in zip(table[column], table["unit"])]
    if not compact:
        return shown
    # the label names the row (the ids are on the scorecard page): a narrower table
    return shown[list(COMPACT_COLUMNS)].set_index("label").rename_axis("claim")


# distill_budget's variant "cpu profile" holds the settings the cpu profile had before that
# run measured their cost (a pool of fixed networks); the pages name it, and the variants that
# keep its pool, for what they are.
FORMER_PROFILE_VARIANT = "cpu profile"


def budget_variant_label(variant: str, settings: dict, former: dict) -> str:
    """How a page names a ``distill_budget`` variant of ``settings``, given the former cpu
    profile's (``former``): a variant with its pool of fixed networks is "the cpu profile
    before", with its iteration count when that differs."""
    if settings.get("pool_size") is None or settings["pool_size"] != former.get("pool_size"):
        return variant
    more = "" if settings["iterations"] == former["iterations"] else f", {settings['iterations']} iterations"
    return f"the cpu profile before{more}"


def level0_groups_text(result: dict, level0: str) -> str:
    """How a stored distillation cut its classes into level 1's groups (``level0``, the
    config's mode): class sizes, group count and group sizes (:func:`distill.level0_group_sizes`)."""
    from .distill import images_per_class, level0_group_sizes

    sizes = result["level0_class_sizes"]
    n_groups = images_per_class(result["group_sizes"], 1)
    smallest, largest = level0_group_sizes(sizes, n_groups)
    held = (f"{min(sizes):,} training images each" if min(sizes) == max(sizes)
            else f"{min(sizes):,} to {max(sizes):,} training images")
    groups = f"{smallest}" if smallest == largest else f"{smallest} to {largest}"
    return f"its classes hold {held}, cut into {n_groups:,} groups each of {groups} images (`level0=\"{level0}\"`)."


def budget_table(stored: dict) -> pd.DataFrame:
    """A stored ``distill_budget`` run as a table: one row per variant (and "initial", the
    real images the references start from), with its settings and unseen-network scores."""
    config, rows = stored["manifest"]["config"], []
    former = {**config["distill"], **config["variants"].get(FORMER_PROFILE_VARIANT, {})}
    for variant, scores in stored["result"]["variants"].items():
        distilled = variant in config["variants"]
        settings = {**config["distill"], **config["variants"].get(variant, {})}
        networks = ("—" if not distilled else "fresh each iteration" if settings["pool_size"] is None
                    else f"pool of {settings['pool_size']}")
        rows.append({"variant": budget_variant_label(variant, settings, former) if distilled else variant,
                     "iterations": settings["iterations"] if distilled else 0,
                     "width": settings["width"] if distilled else "—",
                     "networks": networks,
                     "Eq. (5) in unseen networks": f"{scores['eq5_loss']:.4g}",
                     "gap to class mean (real image ≈ 1)": f"{scores['gap_to_class_mean']:.3f}",
                     "wall time": f"{scores['seconds']:.0f} s"})
    return pd.DataFrame(rows).set_index("variant")


def batched_step_verdict(bench: dict, profile_workload: str) -> str:
    """What a stored ``distill_step_bench`` measured: the batched step against the loop, on
    its claim workload and the others; ``profile_workload`` is the one the cpu profile's
    distillation runs (:func:`distill_workload`)."""
    claim, workloads = bench["claim_workload"], bench["workloads"]
    speedup = workloads[claim]["speedup"]
    others = "; ".join(f"`{name}`: {w['speedup']:.2f}×" for name, w in workloads.items() if name != claim)
    ours = " (the step the cpu profile runs)" if claim == profile_workload else ""
    return (f"{bench['n_references']:,} references, {bench['n_real']:,} real images, device {bench['device']}, "
            f"{bench['torch_threads']} thread(s), float32 eager mode: on the `{claim}` workload{ours}, the batched "
            f"step runs at **{speedup:.2f}×** the loop's speed ({'faster' if speedup >= 1 else 'slower'}"
            + (f"; {others}" if others else "") + "). Both do the same arithmetic per image; only how "
            "the images and subsets are batched differs.")


def distill_workload(profile: str) -> str:
    """The distill_step_bench workload that ``profile``'s MNIST distillation runs: "fresh"
    when it draws a new network every iteration, else "pooled"."""
    from .profiles import get_config

    return "fresh" if get_config("distillation_mnist", profile)["distill"]["pool_size"] is None else "pooled"


def budget_steps(stored: dict) -> dict | None:
    """The fall of the gap to the class mean in a stored ``distill_budget`` run, from the cpu
    profile's former setting ("cpu profile") to the fresh full-width networks, split into its
    steps: more iterations with the same pool of networks (where the run has that variant),
    a fresh network every iteration, the width. None when the run lacks the former setting
    or the two fresh-network variants."""
    config = stored["manifest"]["config"]
    gap = {variant: scores["gap_to_class_mean"] for variant, scores in stored["result"]["variants"].items()}
    settings = {v: {**config["distill"], **config["variants"][v]} for v in config["variants"] if v in gap}
    former = FORMER_PROFILE_VARIANT
    fresh = [v for v, s in settings.items() if s["pool_size"] is None]
    if former not in settings or len(fresh) != 2:
        return None
    narrow, wide = sorted(fresh, key=lambda v: settings[v]["width"])
    iterations = settings[narrow]["iterations"]
    pooled = [v for v, s in settings.items()
              if v != former and s["pool_size"] == settings[former]["pool_size"] and s["iterations"] == iterations]
    steps, start = {}, former
    if pooled:
        steps[f"{iterations} iterations with the same pool"], start = gap[former] - gap[pooled[0]], pooled[0]
    steps["a fresh network at every iteration" + ("" if pooled else f" and {iterations} iterations")] = \
        gap[start] - gap[narrow]
    steps[f"width {settings[wide]['width']} instead of {settings[narrow]['width']}"] = gap[narrow] - gap[wide]
    largest = max(steps, key=steps.get)
    return {"former": settings[former], "wide": wide, "from": gap[former], "to": gap[wide], "steps": steps,
            "largest": largest, "largest_share": steps[largest] / (gap[former] - gap[wide])}


def budget_verdict(stored: dict) -> str | None:
    """:func:`budget_steps` in words, with the measure defined (None where it is None)."""
    b = budget_steps(stored)
    if b is None:
        return None
    parts = ", ".join(f"{drop:.3f} from {step}" for step, drop in b["steps"].items())
    return (f"the gap to the class mean (the squared distance of a reference's embedding to its class's mean "
            f"embedding, over the real images' mean squared distance to it: 0 on the mean, about 1 for a random "
            f"real image) falls from {b['from']:.3f} with a pool of {b['former']['pool_size']} fixed networks and "
            f"{b['former']['iterations']} iterations (the cpu profile's setting before this measurement) to "
            f"{b['to']:.3f} ({b['wide']}): {parts}. The largest part, {b['largest_share']:.0%} of the fall, comes "
            f"from {b['largest']}.")


# --------------------------------------------------------------------------- Sec. IV

PAPER_BACKBONE = {"mnist": "ResNet18", "cifar10": "ResNet50"}


def backbone_caveat(profile: str) -> str:
    """What a verdict on CIFAR-10's references (``paper.BACKBONE_CLAIMS``) says about the
    backbone that judged them under ``profile``: empty when it is the paper's ResNet50."""
    from .profiles import get_config

    arch = get_config("distillation_cifar10", profile)["backbone"]["arch"]
    return "" if arch == "resnet50" else (f"judged in the `{profile}` profile's own backbone (`{arch}`), not the "
                                          f"paper's {PAPER_BACKBONE['cifar10']}")


def backbone_description(dataset: str, config: dict) -> str:
    """One line on the backbone of a distillation config, against the paper's."""
    b = config["backbone"]
    if b["arch"] == "fast_cifar":
        net = (f"a fast-training CIFAR-10 network (`cgcore.models.fast_cifar_net`, widths "
               f"{'/'.join(map(str, b['widths']))})")
    else:
        stem = ("torchvision's ImageNet stem (7×7 stride-2 convolution and max pooling)" if b["stem"] == "imagenet"
                else f"a 3×3 stride-{b['stem_stride']} stem")
        net = f"{b['arch']} with {stem}"
    val = f", {b['val_size']:,} training images held out for validation" if b.get("val_size") else ""
    if b.get("precision", "float32") != "float32":
        val += f", trained in {b['precision']} autocast" + (" with NHWC activations" if b.get("channels_last") else "")
    return (f"**{dataset}**: {net}, {b['epochs']} epochs{val} "
            f"(the paper: {PAPER_BACKBONE[dataset]}).")


def reference_table(result: dict) -> pd.Series:
    """Nearest-reference test accuracy of every level and of the references that need no
    distillation, as percentages."""
    rows = {"backbone's own classifier (no references)": result["backbone"]["test_acc"]}
    trivial = result["trivial_reference_acc"]
    if "centroid" in trivial:
        rows["class centroid in the embedding (the ceiling)"] = trivial["centroid"]
    for loss, accs in result["reference_acc"].items():
        rows.update({f"{level} ({loss})": acc for level, acc in accs.items()})
    rows["class-mean image"] = trivial["class_mean"]
    rows["one random real image per class"] = trivial["random_real"]
    return pd.Series(rows).map("{:.2%}".format)


def image_measures(result: dict, loss: str = "euclidean") -> pd.DataFrame:
    """High-frequency share and saturated pixels per level (L0: real training images)."""
    rows = [{"level": "L0 (real)", "high-frequency share": result["similarity_level0"].get("high_freq"),
             "saturated pixels": result["similarity_level0"].get("saturated")}]
    rows += [{"level": f"D{row['level']}", "high-frequency share": row.get("high_freq"),
              "saturated pixels": row.get("saturated")} for row in result["levels"][loss]]
    return pd.DataFrame(rows).set_index("level")


def distillation_verdict(dataset: str, result: dict, budget: dict | None = None) -> str:
    """The chapter's closing paragraph for one data set, read off its stored result."""
    from .scorecard import accuracy_verdict

    top = f"D{len(result['group_sizes'])}"
    refs, trivial = result["reference_acc"], result["trivial_reference_acc"]
    ours, paper = refs["euclidean"][top], PAPER[f"distill_ref_{dataset}_acc"].value
    parts = [f"**{dataset}, f read as Fig. 8's random ConvNets.** The paper's number, {paper:.1%} with the {top} "
             f"references, is **{accuracy_verdict(ours, paper)}**: we measure {ours:.2%}"]
    if "arcface" in refs:
        a_paper = PAPER[f"distill_arcface_{dataset}_acc"].value
        parts[-1] += (f" ({refs['arcface'][top]:.2%} with ArcFace, paper about {a_paper:.0%}: "
                      f"{accuracy_verdict(refs['arcface'][top], a_paper)})")
    parts[-1] += "."
    best = max(refs["euclidean"][top], refs.get("arcface", {}).get(top, 0.0))
    random_real, class_mean = trivial["random_real"], trivial["class_mean"]
    verdict = "beat" if best > max(random_real, class_mean) else "do not beat"
    parts.append(f"The best {top} references ({best:.2%}) {verdict} references that need no distillation: "
                 f"one random real image per class scores {random_real:.2%}, the class-mean image {class_mean:.2%}.")
    if "centroid" in trivial:
        parts.append(f"The ceiling of any one-reference-per-class classifier in this embedding (the class "
                     f"centroids) is {trivial['centroid']:.2%}, so the best references reach "
                     f"{best / trivial['centroid']:.0%} of it; the backbone's own head reaches "
                     f"{result['backbone']['test_acc']:.2%}.")
    aligned = result.get("centroid_alignment", {})
    if top in aligned.get("euclidean", {}) and "random_real" in aligned:
        a, r = aligned["euclidean"][top], aligned["random_real"]
        parts.append(f"In the backbone's embedding {a['nearest_centroid_is_own']:.0%} of the {top} references lie "
                     f"nearest their own class's centroid, with a mean margin of {a['margin']:+.3f} in cosine over "
                     f"the next class (one random real image: {r['nearest_centroid_is_own']:.0%}, {r['margin']:+.3f}).")
    convnet = result.get("convnet_acc", {}).get("euclidean", {})
    baselines = {b["references"]: float(np.mean(b["acc"])) for b in result.get("convnet_baselines", [])
                 if b["images_per_class"] == 1}
    if top in convnet and baselines:
        acc = float(np.mean(convnet[top]))
        rank = "above" if acc > max(baselines.values()) else "not above"
        parts.append(f"Trained on the {top} references alone, the ConvNet reaches {acc:.1%}, {rank} the same "
                     f"training on one random real image ({baselines.get('random real', float('nan')):.1%}) "
                     f"and on the class-mean image ({baselines.get('class mean', float('nan')):.1%}).")
    measures = image_measures(result)["high-frequency share"].dropna()
    if len(measures) > 2:
        real, d1, dtop = measures.iloc[0], measures.iloc[1], measures.iloc[-1]
        trend = "rises" if dtop > d1 else "falls"
        parts.append(f"The high-frequency share of the images {trend} from {d1:.3f} at D1 to {dtop:.3f} at {top} "
                     f"(real images: {real:.3f}): the references get "
                     f"{'noisier' if dtop > real else 'smoother'} than real images, where the paper sees them blur.")
    steps = budget_steps(budget) if budget is not None else None
    if steps:
        parts.append(f"Of what the cpu profile's former shortcuts cost the references (measured on a sample of "
                     f"level-1 subsets in the [benchmarks appendix](benchmarks.ipynb)), the largest part, "
                     f"{steps['largest_share']:.0%}, came from {steps['largest']}.")
    return " ".join(parts)


def distillation_gap_reason(dataset: str, result: dict, ablation: dict, scope: str = "a sample of the data") -> str:
    """Where our references fall short of the paper's, and what the ablation (run on
    ``scope``, :func:`ablation_scope`) measured of why."""
    top = f"D{len(result['group_sizes'])}"
    ours, paper = result["reference_acc"]["euclidean"][top], PAPER[f"distill_ref_{dataset}_acc"].value
    variants = ablation["variants"]
    upper = next((n for n in variants if "backbone" in n), None)
    trained = next((n for n in variants if "trained" in n and n != upper), None)
    random_variants = {n: v["top_acc"] for n, v in variants.items() if n not in (upper, trained)}
    best = max(random_variants, key=random_variants.get)
    text = f"**Where we differ ({dataset}).** Our {top} references reach {ours:.2%} against the paper's {paper:.1%}."
    if random_variants[best] >= ablation["random_real_acc"] - 0.005:
        # the reference test cannot tell the variants apart: say so, and let the ConvNet test speak
        low = min(random_variants.values())
        text += (f" On {scope} (the ablation below), every setting of the random embedding networks "
                 f"gives a top level between {low:.1%} and {random_variants[best]:.1%}, level with one random real "
                 f"image ({ablation['random_real_acc']:.1%}): this test cannot tell distillation from none. "
                 + ablation_convnet_verdict(ablation))
        return text.strip()
    text += (f" On {scope} (the ablation below), no setting of the random embedding "
             f"networks brings the top level near one random real image ({ablation['random_real_acc']:.1%}): the "
             f"best, *{best}*, reaches {random_variants[best]:.1%}.")
    if trained:
        v = variants[trained]
        text += (f" A Fig. 8 ConvNet trained as a classifier ({v.get('embedding_test_acc', float('nan')):.1%} "
                 f"test accuracy) as f gives {v['top_acc']:.1%}.")
    if upper:
        text += (f" Distilled in the backbone that judges them, the same hierarchy and loss give "
                 f"{variants[upper]['top_acc']:.1%} (ceiling {ablation['ceiling_acc']:.1%}). What we measure, then: "
                 f"references made by Eq. (5) in one embedding do not carry over to another, and the paper's number "
                 f"needs f and the judging network to share their features, which its text does not say.")
    return text


def in_backbone_table(result: dict, in_backbone: dict, loss: str = "euclidean") -> pd.DataFrame:
    """Each level's nearest-reference accuracy with Eq. (5)'s f read both ways: Fig. 8's
    random ConvNets (``result``, the distillation experiment) and the trained backbone
    that judges them (``in_backbone``, its distill_in_backbone experiment), with the
    high-frequency share of each."""
    random_f = result["reference_acc"][loss]
    rows = []
    for r in in_backbone["losses"][loss]["levels"]:
        level = f"D{r['level']}"
        rows.append({"references": level, "f: random Fig. 8 ConvNets": f"{random_f[level]:.2%}",
                     "f: the trained backbone": f"{r['acc']:.2%}",
                     "high-frequency share (backbone f)": f"{r['high_freq']:.3f}"})
    return pd.DataFrame(rows).set_index("references")


def in_backbone_verdict(dataset: str, result: dict, in_backbone: dict) -> str:
    """The two readings of Eq. (5)'s f side by side, against the paper and the baselines."""
    from .scorecard import accuracy_verdict

    top = f"D{len(result['group_sizes'])}"
    eq5 = in_backbone["losses"]["euclidean"]
    ours, random_f = eq5["levels"][-1]["acc"], result["reference_acc"]["euclidean"][top]
    paper = PAPER[f"distill_ref_in_backbone_{dataset}_acc"].value
    ceiling, random_real, class_mean = (in_backbone[k] for k in ("ceiling_acc", "random_real_acc", "class_mean_acc"))
    beaten = [name for name, acc in (("one random real image", random_real), ("the class-mean image", class_mean))
              if ours > acc]
    text = (f"**{dataset}, f read as the backbone.** Distilled in the embedding that judges them, the whole "
            f"hierarchy's {top} references reach **{ours:.2%}** (the paper: {paper:.1%}; verdict: "
            f"**{accuracy_verdict(ours, paper)}**), against {random_f:.2%} with Fig. 8's random ConvNets as f. That is "
            f"{ours / ceiling:.0%} of the ceiling ({ceiling:.2%}), "
            + (f"above {' and '.join(beaten)}" if beaten else "above neither one random real image nor the class mean")
            + f" ({random_real:.2%} and {class_mean:.2%}).")
    real_hf = result.get("similarity_level0", {}).get("high_freq")
    if real_hf is not None and len(eq5["levels"]) > 1:
        first, last = eq5["levels"][0]["high_freq"], eq5["levels"][-1]["high_freq"]
        text += (f" Their high-frequency share goes from {first:.3f} at D1 to {last:.3f} at {top} (real images: "
                 f"{real_hf:.3f}).")
    if eq5.get("convnet_acc"):
        others = {}
        if top in result.get("convnet_acc", {}).get("euclidean", {}):
            others[f"the random-f {top}"] = float(np.mean(result["convnet_acc"]["euclidean"][top]))
        names = {"random real": "one random real image", "class mean": "the class-mean image"}
        others.update({names.get(b["references"], b["references"]): float(np.mean(b["acc"]))
                       for b in result.get("convnet_baselines", []) if b["images_per_class"] == 1})
        acc = float(np.mean(eq5["convnet_acc"]))
        text += (f" Trained on these {top} images alone, the ConvNet reaches {acc:.1%}"
                 + (f" (on {'; on '.join(f'{k} {v:.1%}' for k, v in others.items())})." if others else "."))
        if others:
            best = max(others, key=others.get)
            text += (" What makes them classify in the backbone also makes them images a fresh network learns from "
                     "better than any of these." if acc > others[best] + 0.01 else
                     f" What makes them classify in the backbone does not make them better images to learn from: "
                     f"the ConvNet learns more from {best} ({others[best]:.1%}). They speak to the network they "
                     f"were made in.")
    return text


def dm_flat_verdict(result: dict, config: dict) -> str:
    """One sentence on Ref. 63's flat method as re-implemented here, against Ref. 63's paper."""
    ds = result["dataset"]
    acc, paper = result["convnet_acc"], PAPER[f"distill_dm_flat_1ipc_{ds}_acc"].value
    return (f"Ref. 63's own flat method, re-implemented and run for {config['dm']['iterations']:,} iterations "
            f"({result['distill_seconds'] / 60:.0f} min of distillation), gives references on which the ConvNet "
            f"reaches {np.mean(acc):.1%} ± {np.std(acc):.1%} ({len(acc)} seeds), against {paper:.1%} in Ref. 63 "
            f"after 20,000 iterations.")


def load_distillations(datasets, profile: str, recompute: str = "auto"):
    """The stored ``distillation_<dataset>`` results of ``datasets`` (computed when missing
    and ``recompute`` allows it): (``{dataset: stored}``, ``{dataset: arrays}``, notes on
    what is missing and how to compute it)."""
    from .experiments import run_or_load_each
    from .results import load_arrays

    stored, notes = run_or_load_each({name: f"distillation_{name}" for name in datasets}, profile, recompute,
                                     compute=datasets)
    return stored, {name: load_arrays(f"distillation_{name}", profile) for name in stored}, notes


def compute_budget(profile: str) -> pd.DataFrame:
    """Every stored result of ``profile`` with what it cost, read from the manifests: its
    wall time plus the work a resumed run read from checkpoints (``restored``, where the
    manifest records it), its share, and peak memory. Two totals: the profile without its
    seed repeats (cgcore.experiments.seeds, reported apart), and the seed repeats."""
    from .experiments import EXPERIMENTS
    from .experiments.seeds import SEEDED
    from .results import load_result

    rows = []
    for experiment in EXPERIMENTS:
        stored = load_result(experiment, profile)
        if stored is None:
            continue
        m = stored["manifest"]
        restored = m.get("restored")
        restored_min = restored["seconds"] / 60 if restored else None
        rows.append({"experiment": experiment, "minutes": m["wall_time_s"] / 60 + (restored_min or 0.0),
                     "restored from checkpoints (min)": restored_min,
                     "peak memory (MiB)": m.get("peak_rss_mib"), "device": m.get("device"),
                     "threads": m.get("threads"), "seed repeat": experiment in SEEDED})
    columns = ["experiment", "minutes", "restored from checkpoints (min)", "peak memory (MiB)", "device", "threads",
               "seed repeat"]
    table = pd.DataFrame(rows, columns=columns).astype({"seed repeat": bool})
    seeds = table["seed repeat"]
    total, seed_total = table.loc[~seeds, "minutes"].sum(), table.loc[seeds, "minutes"].sum()
    table["share"] = np.where(seeds, np.nan, table["minutes"] / total if total else 0.0)
    table = table.sort_values("minutes", ascending=False).set_index("experiment")
    empty = {"restored from checkpoints (min)": None, "peak memory (MiB)": None, "device": "", "threads": None}
    totals = pd.DataFrame([{"minutes": total, "share": 1.0 if total else 0.0, "seed repeat": False, **empty},
                           {"minutes": seed_total, "share": np.nan, "seed repeat": True, **empty}],
                          index=["total, without the seed repeats", "seed repeats (reported apart)"])
    return pd.concat([table[~table["seed repeat"]], totals.iloc[:1], table[table["seed repeat"]], totals.iloc[1:]])


def budget_summary(profile: str) -> str:
    """One sentence on what ``profile``'s stored results cost: the longest experiment and the
    total, seed repeats apart (from :func:`compute_budget`); "at least" when a manifest predates
    the record of work restored from checkpoints. Empty when nothing is stored."""
    budget = compute_budget(profile)
    totals = ["total, without the seed repeats", "seed repeats (reported apart)"]
    stored = budget.drop(index=totals)
    runs = stored[~stored["seed repeat"]]
    if runs.empty:
        return ""
    longest = runs["minutes"].idxmax()
    total, seeds = budget.loc[totals, "minutes"]
    bound = "at least " if stored["restored from checkpoints (min)"].isna().any() else ""
    return (f"The stored `{profile}` results took {bound}{total / 60:.1f} h on their machines, the longest experiment "
            f"(`{longest}`) {runs['minutes'].max():.0f} min" + (f", and the seed repeats another {seeds / 60:.1f} h"
                                                                 if seeds else "")
            + "; the [scorecard](scorecard.ipynb) lists each one's cost.")


def seeds_table(profile: str, experiments: Sequence[str] | None = None) -> pd.DataFrame:
    """Every stored seed repeat of ``profile`` (cgcore.experiments.seeds), or those of
    ``experiments``: each claim's value at every seed, and mean ± sample standard deviation,
    in percent."""
    from .experiments.seeds import SEEDED, spread, stored_repeat
    from .paper import claim_label

    rows = []
    for experiment in (list(SEEDED) if experiments is None else experiments):
        r = stored_repeat(experiment, profile)
        if r is None:
            continue
        for claim, values in r["claims"].items():
            if not claim.endswith("_acc"):
                continue
            mean, std = spread(values)
            rows.append({"claim": claim_label(claim),
                         **{f"seed {s}": f"{100 * v:.2f}" for s, v in zip(r["seeds"], values)},
                         "mean ± std (%)": f"{100 * mean:.2f} ± {100 * std:.2f}"})
    return pd.DataFrame(rows).set_index("claim") if rows else pd.DataFrame()


def seed_spread(profile: str, experiment: str, claim: str) -> tuple[float, float] | None:
    """Mean and sample standard deviation of ``claim`` over the seeds of the stored seed
    repeat ``experiment``, or None when it is not stored."""
    from .experiments.seeds import spread, stored_repeat

    r = stored_repeat(experiment, profile)
    return None if r is None or claim not in r["claims"] else spread(r["claims"][claim])


def seed_differences(profile: str, experiment: str, claim: str, against: str,
                     against_experiment: str | None = None) -> list[float] | None:
    """``claim`` minus ``against`` at each seed of the stored seed repeat ``experiment``
    (paired: both come from the same run), or of ``against_experiment``'s (paired by seed),
    or None when either is not stored."""
    from .experiments.seeds import stored_repeat

    r = stored_repeat(experiment, profile)
    other = r if against_experiment is None else stored_repeat(against_experiment, profile)
    if r is None or other is None:
        return None
    if r["seeds"] != other["seeds"]:
        raise ValueError(f"{experiment} and {against_experiment} are stored with different seeds "
                         f"({r['seeds']} and {other['seeds']}): a difference by seed needs the same ones")
    return [a - b for a, b in zip(r["claims"][claim], other["claims"][against], strict=True)]


def mean_t_interval(values: Sequence[float]) -> tuple[float, float]:
    """The mean of ``values`` and the half-width of its 95 % t interval."""
    from scipy.stats import t

    v = np.asarray(values, dtype=float)
    return float(v.mean()), float(t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / np.sqrt(len(v)))


def seed_difference_note(what: str, differences: Sequence[float]) -> str:
    """One sentence on a paired difference over seeds, in percentage points: each seed's, the
    mean ± sample std, and whether the 95 % t interval of the mean excludes zero."""
    d = 100 * np.asarray(differences)
    std = d.std(ddof=1)
    mean, half = (100 * v for v in mean_t_interval(differences))
    return (f"{what}, by seed: {', '.join(f'{v:+.2f}' for v in d)} pp (mean {mean:+.2f} ± {std:.2f}; 95 % t "
            f"interval {mean - half:+.2f} to {mean + half:+.2f} pp): "
            + ("the interval excludes zero." if abs(mean) > half else
               f"{len(d)} seeds cannot tell the two apart."))


def format_budget(budget: pd.DataFrame) -> pd.DataFrame:
    """:func:`compute_budget` as the book shows it: minutes to one decimal, shares in
    percent, and a dash where a manifest predates a measure."""
    restored = "restored from checkpoints (min)"
    return budget.drop(columns="seed repeat").assign(
        minutes=budget["minutes"].map("{:.1f}".format), share=budget["share"].map(lambda v: dash_or(v, "{:.0%}")),
        threads=budget["threads"].map(lambda v: dash_or(v, "{:.0f}")),
        **{restored: budget[restored].map(lambda v: dash_or(v, "{:.1f}"))},
        **{"peak memory (MiB)": budget["peak memory (MiB)"].map(lambda v: dash_or(v, "{:,.0f}"))})


# A claim of the paper, and other numbers of ours the verdict table quotes beside it: the
# same network trained with the recipe a tuning run chose on validation, or the same function
# class fit by another method.
BESIDE_CLAIMS = {
    "taylor_order4_acc": {"taylor_order4_first_fit_acc": "in our first fit (standardised terms, Adam)",
                          "taylor_order4_tuned_acc": "with the first fit's training recipe chosen on validation",
                          "taylor_order4_kernel_acc": "for polynomial-kernel SVMs of degree 4, one per class, on the same images",
                          "taylor_order4_kernel_augmented_acc": "for those SVMs fit with an augmented copy of each image",
                          "taylor_order3_kernel_augmented_acc": "for those SVMs at degree 3, fit the same way",
                          "taylor_order4_kernel_copies3_acc": "for the degree-4 SVMs fit with three augmented copies",
                          "taylor_order3_kernel_copies3_acc": "and at degree 3 with three"},
    "taylornet_mnist_acc": {"taylornet_tuned_mnist_acc": "with the training recipe chosen on validation"},
    **{f"taylor_prune{k}_acc": {f"taylor_prune{k}_kernel_acc": "for the augmented order-4 SVMs written as Eq. (3), "
                                                                "pruned the same way"} for k in (50, 30, 10)},
}


def verdict_table(profile: str) -> pd.DataFrame:
    """One row per claim of the paper that states a number (and per count our design was
    sized to): the section, the claim in words, the paper's value, ours, the verdict and a
    one-line reason. A claim with no stored result is "not testable on this profile"."""
    from .paper import BACKBONE_CLAIMS, CHOSEN_BY_COUNT, RELATIVE_TO, SIZED_TO_MATCH, claim_label

    card = build_scorecard(profile).set_index("claim")
    backbone = backbone_caveat(profile)
    rows = []
    for claim, ref in PAPER.items():
        if ref.value is None and claim not in SIZED_TO_MATCH:
            continue
        if claim not in card.index:
            rows.append({"section": ref.source, "claim": claim_label(claim),
                         "paper": _format(ref.value, ref.unit, False), "ours": "—",
                         "verdict": "not computed for this profile", "why": "no stored result for this profile"})
            continue
        row = card.loc[claim]
        ours, paper = row["ours"], ref.value
        if row["verdict"] == "sized to match":
            why = "our own network, built to have this many parameters: the match is by construction"
        elif ref.unit == "fraction":
            why = f"{100 * (ours - paper):+.1f} points"
            if claim in RELATIVE_TO:
                full, paper_full = card["ours"].get(RELATIVE_TO[claim]), PAPER[RELATIVE_TO[claim]].value
                if full is None:
                    why = "judged as a change from our full model, which is not stored for this profile"
                else:
                    why = (f"{100 * (ours - full):+.2f} points from our full model ({full:.2%}); the paper's "
                           f"{100 * (paper - paper_full):+.2f} from its {paper_full:.0%}")
            for other, phrase in BESIDE_CLAIMS.get(claim, {}).items():
                value = card["ours"].get(other)
                if value is not None and not pd.isna(value):
                    why += f"; {value:.2%} {phrase}"
            dataset = claim.rsplit("_", 2)[-2]
            baseline = card["ours"].get(f"distill_random_{dataset}_acc")
            if claim.startswith(("distill_ref_", "distill_arcface_")) and baseline is not None:
                ceiling = card["ours"].get(f"distill_ceiling_{dataset}_acc")
                why += f"; one random real image per class scores {baseline:.1%}"
                if ceiling is not None and not pd.isna(ceiling):
                    why += f", the best one-reference classifier {ceiling:.1%}"
            if claim in BACKBONE_CLAIMS and backbone:
                why += f"; {backbone}"
        else:
            why = f"{(ours - paper) / paper:+.0%}"
            if claim in CHOSEN_BY_COUNT:
                why += ("; the paper's network, with the CG form it leaves open chosen as the one closest to "
                        "this count, so the count is no independent check")
            if claim == "taylor_order4_params":
                why += (f"; half of ours, {ours / 2:,.0f}, is the paper's figure: N0 after the halving that "
                        "Sec. III says leaves the accuracy unchanged")
        rows.append({"section": ref.source, "claim": claim_label(claim),
                     "paper": _format(paper, ref.unit, False), "ours": _format(ours, ref.unit, False),
                     "verdict": row["verdict"], "why": why})
    return pd.DataFrame(rows)


def alignment_table(result: dict) -> pd.DataFrame:
    """Per level (and for the two references that need no distillation): how the references
    sit against the class centroids of the backbone's embedding, beside their accuracy."""
    aligned = result.get("centroid_alignment", {})
    rows = []
    for loss, accs in result["reference_acc"].items():
        for level, acc in accs.items():
            if level in aligned.get(loss, {}):
                rows.append({"references": f"{level} ({loss})", "accuracy": acc, **aligned[loss][level]})
    names = {"random_real": "one random real image", "class_mean": "class-mean image"}
    for key, name in names.items():
        if key in aligned:
            rows.append({"references": name, "accuracy": result["trivial_reference_acc"][key], **aligned[key]})
    columns = {"cos_to_own_centroid": "cosine to own centroid", "margin": "margin over the next class",
               "nearest_centroid_is_own": "share nearest own centroid"}
    return pd.DataFrame(rows).set_index("references").rename(columns=columns) if rows else pd.DataFrame()


def ablation_table(result: dict) -> pd.DataFrame:
    """A stored distillation ablation: one row per variant, the top level's accuracy and
    how it sits in the trained embedding, and the distillation's wall time."""
    rows = []
    for name, r in result["variants"].items():
        rows.append({"variant": name, "top level": f"{r['top_acc']:.2%}",
                     "vs one random real image": f"{100 * (r['top_acc'] - result['random_real_acc']):+.1f} pp",
                     "nearest centroid is own": f"{r['alignment']['nearest_centroid_is_own']:.0%}",
                     "margin": f"{r['alignment']['margin']:+.3f}", "high-frequency share": f"{r['high_freq']:.3f}",
                     "wall time": f"{r['seconds'] / 60:.1f} min"})
        if "convnet_acc" in r:
            rows[-1]["ConvNet trained on it"] = mean_std(r["convnet_acc"])
    return pd.DataFrame(rows).set_index("variant").fillna("—")      # not every variant takes the ConvNet test


def ablation_scope(stored: dict) -> str:
    """What a stored distillation ablation was run on: "a sample of 5,000 training images,
    a 10-5-5-2 hierarchy" (its config's sample and group sizes)."""
    config = stored["manifest"]["config"]
    return (f"a sample of {config['sample_size']:,} training images, a "
            f"{'-'.join(map(str, config['group_sizes']))} hierarchy")


def mean_std(values) -> str:
    """``values`` (accuracies of several models) as "mean ± std" in percent."""
    return f"{100 * np.mean(values):.1f} ± {100 * np.std(values):.1f} %"


def ablation_convnet_verdict(result: dict) -> str:
    """The ConvNet test of an ablation's top levels (Ref. 63's protocol) in a sentence or
    two: which variants train a network as well as the sample's class mean does. Empty
    when the ablation did not run the test."""
    scored = {name: float(np.mean(r["convnet_acc"])) for name, r in result["variants"].items() if "convnet_acc" in r}
    baselines = {k: float(np.mean(v)) for k, v in (result.get("convnet_baselines") or {}).items()}
    if not scored or "class_mean" not in baselines:
        return ""
    best = max(scored, key=scored.get)
    reached = [n for n, acc in scored.items() if acc >= baselines["class_mean"]]
    text = (f"Trained on the top level alone (Ref. 63's protocol), a ConvNet does best with *{best}* "
            f"({scored[best]:.1%}); the sample's class-mean image gives {baselines['class_mean']:.1%}"
            + (f" and one random real image {baselines['random_real']:.1%}" if "random_real" in baselines else "")
            + ". ")
    text += ("No variant reaches the class mean." if not reached else
             "At or above the class mean: " + ", ".join(f"*{n}* ({scored[n]:.1%})" for n in reached) + ".")
    base = next((n for n in scored if n.startswith("cpu profile")), None)
    lam = [n for n in scored if n.startswith(("λ", "mean matching"))]
    keep = [n for n in scored if n != base and n not in lam]
    if base and lam:
        text += (f" The chapter's settings on the sample (λ = 19, the paper's) give {scored[base]:.1%}; a larger λ gives "
                 + ", ".join(f"{scored[n]:.1%} (*{n}*)" for n in lam) + ".")
        if keep:
            low, high = min(scored[n] for n in keep), max(scored[n] for n in keep)
            text += f" The other variants, all at λ = 19, give {low:.1%} to {high:.1%}."
            if min(scored[n] for n in lam) > max(high, scored[base]):
                text += (" Every variant with a larger λ beats every variant at λ = 19: for this test the loss "
                         "decides, the pull of Eq. (5) away from the other classes' mean is what costs the "
                         "references their value as training data.")
    return text


def ablation_verdict(result: dict) -> str:
    """What a stored distillation ablation says, in a few generated sentences. The variant
    distilled in the trained backbone's own embedding is an upper bound, not an ingredient:
    it is kept out of the ranking and read against the ceiling."""
    variants = result["variants"]
    upper = next((n for n in variants if "backbone" in n), None)
    tops = {name: r["top_acc"] for name, r in variants.items() if name != upper}
    best = max(tops, key=tops.get)
    parts = [f"With random embedding networks, the best top level comes from *{best}* ({tops[best]:.2%})."]
    base = next((n for n in variants if n.startswith("cpu profile")), None)
    flat = next((n for n in variants if n.startswith("flat")), None)
    if base and flat:
        better = "beats" if tops[flat] > tops[base] else "does not beat"
        parts.append(f"Distilling the sample to one image per class in a single level ({tops[flat]:.2%}, "
                     f"high-frequency share {variants[flat]['high_freq']:.3f}) {better} the hierarchy's top level "
                     f"({tops[base]:.2%}, {variants[base]['high_freq']:.3f}) at about the same compute.")
    lam = [n for n in variants if n.startswith(("λ", "mean matching"))]
    if base and lam:
        spread = max(abs(tops[n] - tops[base]) for n in lam)
        parts.append(f"Changing λ (19, {', '.join(lam)}) moves the top level by at most {100 * spread:.1f} points.")
    if base:
        smoother = [n for n in tops if n != base and variants[n]["high_freq"] < variants[base]["high_freq"] - 0.02]
        if smoother:
            parts.append("Less high-frequency power than the cpu settings' top level "
                         f"({variants[base]['high_freq']:.3f}): "
                         + ", ".join(f"*{n}* ({variants[n]['high_freq']:.3f})" for n in smoother) + ".")
    reached = [n for n, acc in tops.items() if acc >= result["random_real_acc"]]
    parts.append(f"{'No variant reaches' if not reached else 'Only ' + ', '.join(reached) + ' reach'} one random "
                 f"real image per class ({result['random_real_acc']:.2%}); the class centroids reach "
                 f"{result['ceiling_acc']:.2%}.")
    if upper:
        acc = variants[upper]["top_acc"]
        parts.append(f"Distilled *{upper}*, the same hierarchy and Eq. (5) reach {acc:.2%}, "
                     f"{acc / result['ceiling_acc']:.0%} of the ceiling"
                     + (" and above one random real image: what the references lack is an embedding that "
                        "carries the judge's features, not the hierarchy or the loss."
                        if acc >= result["random_real_acc"] else
                        ", still below one random real image."))
    return " ".join(parts)

def train_precision_table(result: dict) -> pd.DataFrame:
    """train_precision_bench as a table: per network, its batch, the reference setting's
    time per step and every setting's speedup over it."""
    ref = result["reference_setting"]
    rows = []
    for label, n in result["networks"].items():
        row = {"network": label, "batch": n["batch_size"], "parameters": f"{n['params']:,}",
               f"{ref} per step": f"{1e3 * n['seconds'][ref]:.0f} ms"}
        row.update({k: f"{v:.2f}×" for k, v in n["speedup"].items() if k != ref})
        rows.append(row)
    return pd.DataFrame(rows).set_index("network")


def train_precision_verdict(result: dict, gain: float = 1.1) -> str:
    """Which networks train at least ``gain`` times faster in some setting than in the
    reference one, in a sentence."""
    ref = result["reference_setting"]
    faster = {}
    for label, n in result["networks"].items():
        best = max((k for k in n["speedup"] if k != ref), key=n["speedup"].get, default=None)
        if best is not None and n["speedup"][best] >= gain:
            faster[label] = (best, n["speedup"][best])
    if not faster:
        return (f"No network trains {gain:.1f}× faster than in {ref} with any of the settings: these "
                f"networks are small enough that the step is bound by memory traffic and per-layer "
                f"overheads, not by multiply-adds, so the profile trains everything in {ref}.")
    return ("Faster than " + ref + " by at least " + f"{gain:.1f}×: "
            + "; ".join(f"{label} ({best}, {s:.2f}×)" for label, (best, s) in faster.items())
            + f". Every other network gains less than {gain:.1f}× from any setting.")


def bf16_training_verdict(profile: str, tolerance: float = 0.002) -> str:
    """Whether Fig. 5's TaylorNet keeps its accuracy when trained in bfloat16 autocast with
    NHWC (``taylornet_mnist``, as the profile trains it) against the same run in float32
    (``taylornet_mnist_float32``), within ``tolerance`` (0.2 pp: twice the binomial standard
    error of an accuracy near 99 % on MNIST's 10,000 test images). Empty when either run is
    not stored."""
    from .profiles import get_config
    from .results import load_result

    runs = {name: load_result(name, profile, get_config(name, profile))
            for name in ("taylornet_mnist", "taylornet_mnist_float32")}
    if any(run is None for run in runs.values()):
        return ""
    bf16 = runs["taylornet_mnist"]["result"]["models"]["taylornet"]
    f32 = runs["taylornet_mnist_float32"]["result"]["models"]["taylornet_float32"]
    delta = bf16["test_acc"] - f32["test_acc"]
    holds = delta >= -tolerance
    return (f"Trained end to end in bfloat16 autocast with NHWC activations, Fig. 5's TaylorNet (a polynomial of "
            f"degree 16) reaches {bf16['test_acc']:.2%} on MNIST against {f32['test_acc']:.2%} in float32 "
            f"({100 * delta:+.2f} pp), at {np.median(bf16['history']['seconds']):.0f} s per epoch against "
            f"{np.median(f32['history']['seconds']):.0f} s (medians): the accuracy "
            + (f"holds within the {100 * tolerance:.1f} pp we allow, so the profile trains the TaylorNets of "
               "Figs. 5 and 12 and their twins in bfloat16." if holds else
               f"falls by more than the {100 * tolerance:.1f} pp we allow: the bfloat16 accuracies of the "
               "TaylorNets of Figs. 5 and 12 and their twins may be that much below what float32 would give.")
            + ("" if runs["taylornet_mnist"]["manifest"]["date"][:10] ==
               runs["taylornet_mnist_float32"]["manifest"]["date"][:10] else
               " (The two runs were made on different days, on machines of the same kind that differ in speed, "
               "so read the time ratio as approximate.)"))


def similarity_class_table(result: dict, class_names) -> pd.DataFrame:
    """Eq. (S3)'s s of every class at every level of a stored distillation, with whether
    it rises at every level and whether it ends above level 0 (the test of the
    ``similarity_s_rises_*`` claims)."""
    from .experiments.distillation import similarity_by_level

    levels, s, _ = similarity_by_level(result)
    return pd.DataFrame([{"class": class_names[c], **{f"s, L{k}": f"{v:.3f}" for k, v in zip(levels, s[:, c])},
                          "s rises at every level": bool(np.all(np.diff(s[:, c]) > 0)),
                          "s higher at the top than at L0": bool(s[-1, c] > s[0, c])}
                         for c in range(s.shape[1])]).set_index("class")


def similarity_trend_reason(dataset: str, result: dict, falls: int) -> str:
    """Why Eq. (S3)'s s falls for ``falls`` of 10 classes of ``dataset`` where the paper has
    it rise, as far as the stored result measures it: the high-frequency share of the images
    at level 0 and at the top level where s is measured, beside the mean s of all classes
    there. Empty when s falls for no class."""
    from .experiments.distillation import similarity_by_level

    if falls == 0:
        return ""
    levels, s, _ = similarity_by_level(result)
    measures = image_measures(result)["high-frequency share"]
    top = f"D{levels[-1]}"
    real, noisy = measures.iloc[0], measures.get(top)
    if real is None or noisy is None or pd.isna(real) or pd.isna(noisy):
        return ""
    s0, s_top = float(s[0].mean()), float(s[-1].mean())
    text = (f"On {dataset}, s ends below level 0 for {falls} of 10 classes, where the paper (Figs. S5 and S6) has "
            f"it rise as the images blur. Ours do not blur: the share of spectral power above half the Nyquist "
            f"frequency is {real:.3f} for the real images and {noisy:.3f} at {top}, the top level with pairs to "
            f"compare. ")
    if noisy <= real:
        return text + "The references are not noisier than the real images, so this measure does not explain the fall."
    if s_top >= s0:
        return text + (f"Yet over all classes the mean s rises with that noise ({s0:.3f} at level 0, {s_top:.3f} at "
                       f"{top}), so noise alone does not explain why these classes fall; what does is not measured "
                       "here.")
    return text + (f"The mean s over all classes falls too ({s0:.3f} at level 0, {s_top:.3f} at {top}). Eq. (S3) is a "
                   "cosine between images, and high-frequency patterns that differ from image to image are close to "
                   "orthogonal, so noise lowers it: the fall is consistent with the noise of Fig. 9(b), though this "
                   "does not show that the noise causes it.")


def taylor_roofline_table(result: dict) -> pd.DataFrame:
    """taylor_roofline_bench: the measured order-4 step and epoch beside the two rooflines."""
    rows = {"measured": (result["step_seconds"], result["epoch_seconds"])}
    if "factored_step_seconds" in result:
        rows["measured, top degree contracted (never written)"] = (result["factored_step_seconds"],
                                                                   result["factored_epoch_seconds"])
    for path, label in (("materialised", "roofline, features written and read twice"),
                        ("fused", "roofline, features never written")):
        rows[label] = (result["roofline_step_seconds"][path], result["roofline_epoch_seconds"][path])
    return pd.DataFrame({"per step (ms)": {k: f"{1e3 * v[0]:.1f}" for k, v in rows.items()},
                         "per epoch (s)": {k: f"{v[1]:.1f}" for k, v in rows.items()}})


def taylor_roofline_verdict(result: dict) -> str:
    """How far the order-4 step is from each roofline, in a few generated sentences."""
    step, roof = result["step_seconds"], result["roofline_step_seconds"]
    bound = "memory" if roof["materialised"] > result["flops"] / (result["matmul_gflops"] * 1e9) else "compute"
    return (f"At the measured {result['bandwidth_gbs']:.1f} GB/s and {result['matmul_gflops']:.0f} GFLOP/s, a step "
            f"that writes the {result['batch_size']} × {result['n_features']:,} feature matrix and reads it twice is "
            f"{bound}-bound and needs at least {1e3 * roof['materialised']:.1f} ms; ours takes {1e3 * step:.1f} ms, "
            f"{step / roof['materialised']:.1f}× that limit. Building the features alone takes "
            f"{1e3 * result['features_seconds']:.1f} ms against {1e3 * result['features_roofline_seconds']:.1f} ms to "
            f"write them once. A path that contracts blocks of features with the weights while they sit in cache "
            f"would move only the weights and could reach {1e3 * roof['fused']:.1f} ms, "
            f"{step / roof['fused']:.1f}× faster than now: that is the room a blocked kernel has."
            + (f" Contracting the top-degree terms with the weights as they are formed (each is a degree-3 term "
               f"times one pixel, so one matrix product of the degree-3 block does it, forward and backward) "
               f"takes {1e3 * result['factored_step_seconds']:.1f} ms against {1e3 * step:.1f} ms, a speedup of "
               f"{step / result['factored_step_seconds']:.2f}×. It trades the writing of the features for larger "
               f"matrix products (the weight blocks are padded with zeros); on these cores "
               + ("the two cost about the same." if 0.8 < step / result["factored_step_seconds"] < 1.25 else
                  "the trade pays." if step > result["factored_step_seconds"] else "the trade does not pay.")
               if "factored_step_seconds" in result else ""))


def scorecard_values(profile: str) -> dict[str, float]:
    """Our value of every claim stored for ``profile`` (claims not stored are absent)."""
    card = build_scorecard(profile)
    return {c: float(v) for c, v in zip(card["claim"], card["ours"]) if v is not None and not pd.isna(v)}


def claim_line(values: dict, claim: str, what: str) -> str:
    """'what: ours (paper y, ±z points)' for an accuracy claim, with the JPEG caveat on
    CIFAR-10, or 'not computed yet'."""
    from .paper import CIFAR10_CAVEAT, carries_cifar10_caveat

    if claim not in values:
        return f"{what}: not computed yet"
    value, paper = values[claim], PAPER[claim].value
    text = f"{what}: **{value:.2%}**"
    if paper is not None:
        whose = "Ref. 63" if from_ref63(claim) else "paper"
        text += f" ({whose} {paper:.1%}, {100 * (value - paper):+.1f} points)"
    return text + (f", {CIFAR10_CAVEAT}" if carries_cifar10_caveat(claim) else "")


def thesis_weighed(profile: str, values: dict | None = None) -> list[str]:
    """The closing chapter's weighing of "interpretability without degrading performance",
    one generated paragraph per piece of evidence stored for ``profile``; ``values`` is
    :func:`scorecard_values` of it, when the caller has it already."""
    from .results import load_result
    from .taylor import locality_shares

    values, weighed = scorecard_values(profile) if values is None else values, []
    cg, resnet = values.get("taylornet_mnist7_acc"), values.get("resnet_mnist7_acc")
    if cg is not None and resnet is not None:
        ratio = values["resnet_mnist7_params"] / values["taylornet_mnist7_params"]
        weighed.append(f"**Performance, at a fixed budget.** On 7×7 MNIST our TaylorNet ({cg:.2%}, "
                       f"{values['taylornet_mnist7_params']:,.0f} parameters) against our residual network, sized to "
                       f"the paper's {PAPER['resnet_mnist7_params'].value / 1e6:.1f} million ({resnet:.2%}, "
                       f"{values['resnet_mnist7_params']:,.0f} parameters): "
                       f"{100 * (cg - resnet):+.2f} points with {ratio:.1f}× fewer parameters.")
    at_equal_size = thesis_verdict(baselines_table(profile), profile,
                                   heading="Performance, at equal size (beyond the paper).")
    if at_equal_size:
        weighed.append(at_equal_size + " The [chapter on networks of its size](baselines.ipynb) has the Π-net "
                                       "twins too.")
    for ds, name in (("mnist", "MNIST"), ("cifar10", "CIFAR-10")):
        a, b = values.get(f"taylornet_{ds}_acc"), values.get(f"conv_ablation_{ds}_acc")
        if a is not None and b is not None:
            paper_drop = PAPER[f"taylornet_{ds}_acc"].value - PAPER[f"conv_ablation_{ds}_acc"].value
            weighed.append(f"**The CGs carry the nonlinearity** ({name}): {a:.2%} with them, {b:.2%} with every CG "
                           f"a convolution of the same shape ({100 * (a - b):+.1f} points; the paper: "
                           f"{100 * paper_drop:+.1f}).")
    taylor = load_result("taylor_expansion", profile)
    if taylor is not None and "upper_at_zero" in taylor["result"]["quadratic"]:
        q = taylor["result"]["quadratic"]
        shares = locality_shares(np.asarray(q["upper_at_zero"]), q["side"])
        holds_chapter = favours_near_pairs(shares)     # one test for every fit
        text = ("**Interpretability, Sec. III.** The premise that the dominant Taylor terms are products of "
                "nearby pixels (Fig. 3) " + ("holds" if holds_chapter else "does not hold")
                + f" in the paper's basis in our order-{q['order']} expansion (the chapter's fit, SGD in the kernel "
                f"machines' weighting of the terms; the largest fifth of the quadratic coefficients: "
                f"{shares['top_near']:.0%} on pairs at distance ≤ 1.5, against {shares['all_near']:.0%} of all pairs; "
                f"{shares['top_far']:.0%} at distance ≥ 5, against {shares['all_far']:.0%})")
        first, machines = load_result("taylor_first_fit", profile), load_result("taylor_kernel_svm", profile)
        others = {"our first fit (standardised terms, Adam)":
                  (first["result"].get("locality_by_order", {}) if first else {}).get(str(q["order"]), {}),
                  "the same polynomials fit to the maximum margin":
                  kernel_as_eq3(machines["result"] if machines else None).get(q["order"], {}).get("locality", {})}
        for fit, readings in others.items():
            if "x_at_zero" in readings:
                m = readings["x_at_zero"]
                holds = favours_near_pairs(m)
                text += (f"; in {fit} it {'holds' if holds else 'does not hold'} ({m['top_near']:.0%} near)"
                         + (": the fit decides it" if holds != holds_chapter else ""))
        weighed.append(text + ".")
    ablation = load_result("distill_ablation_cifar10", profile)
    if ablation is not None:
        r = ablation["result"]
        upper = next((v for n, v in r["variants"].items() if "backbone" in n), None)
        random_best = max(v["top_acc"] for n, v in r["variants"].items() if "backbone" not in n and "trained" not in n)
        text = (f"**Interpretability, Sec. IV.** With the random embedding networks of Ref. 63, the references of "
                f"a hierarchy classify CIFAR-10 at best at {random_best:.1%} (one random real image per class: "
                f"{r['random_real_acc']:.1%}) in the ablation ({ablation_scope(ablation)})")
        full, ceiling = values.get("distill_ref_in_backbone_cifar10_acc"), values.get("distill_ceiling_cifar10_acc")
        if full is not None and ceiling is not None:
            text += (f"; made in the embedding that judges them, the whole hierarchy's D5 reaches {full:.1%}, "
                     f"against the {ceiling:.1%} of the class centroids and the paper's "
                     f"{PAPER['distill_ref_cifar10_acc'].value:.1%}")
        elif upper is not None:
            text += (f"; made in the embedding that judges them, the same hierarchy reaches {upper['top_acc']:.1%}, "
                     f"near the {r['ceiling_acc']:.1%} of the class centroids")
        if full is not None or upper is not None:
            text += (". The references then hold what a trained network needs to tell the classes apart, which is "
                     "a statement about that network as much as about the data")
        weighed.append(text + ".")
    mnist_ablation = load_result("distill_ablation", profile)
    convnet = ablation_convnet_verdict(mnist_ablation["result"]) if mnist_ablation is not None else ""
    if convnet:
        weighed.append(f"**As training data (MNIST, Ref. 63's test, in the ablation: "
                       f"{ablation_scope(mnist_ablation)}).** " + convnet)
    polynomial = load_result("taylornet_polynomial", profile)
    if polynomial is not None and "quadratic" in polynomial["result"]:
        q = polynomial["result"]["quadratic"]
        weighed.append(f"**Beyond the paper.** The trained {q['network']} puts {q['locality']['top_near']:.0%} of its "
                       f"largest quadratic coefficients on pixel pairs at distance ≤ 1.5 "
                       f"({q['locality']['all_near']:.0%} of all pairs lie there); the [polynomial "
                       f"chapter](polynomial.ipynb) compares it with the direct expansion and reads the degrees it "
                       f"uses.")
    return weighed


def cifar10_caveat(shown) -> str:
    """The note a page showing CIFAR-10 numbers carries (empty when ``shown`` has no CIFAR-10)."""
    from .paper import CIFAR10_CAVEAT

    if "cifar10" not in shown:
        return ""
    return (f"*Every CIFAR-10 number on this page is measured {CIFAR10_CAVEAT} of CIFAR-10 described in the "
            f"introduction: the classes are exact, the pixels differ slightly from the original.*")
