"""Tables and verdicts the book builds from stored results (cgcore.report)."""

import pandas as pd
import pytest

from cgcore.report import budget_table, budget_verdict


def budget(gaps: dict) -> dict:
    """A stored distill_budget run with the given gap per variant."""
    variants = {"cpu profile": {"iterations": 40}, "cpu, 200 iterations": {"iterations": 200},
                "fresh narrow": {"iterations": 200, "pool_size": None},
                "fresh wide": {"iterations": 200, "width": 128, "pool_size": None}}
    config = {"distill": {"width": 32, "pool_size": 4}, "variants": variants}
    scores = {name: {"eq5_loss": -1.0, "gap_to_class_mean": gap, "seconds": 2.0} for name, gap in gaps.items()}
    return {"manifest": {"config": config}, "result": {"variants": scores}}


def test_budget_table_reads_each_variants_settings():
    table = budget_table(budget({"initial": 1.0, "cpu profile": 0.6, "cpu, 200 iterations": 0.55, "fresh narrow": 0.5,
                                 "fresh wide": 0.4}))
    former = "the cpu profile before"          # the variants keep their stored names, the page says what they are
    assert list(table.index) == ["initial", former, f"{former}, 200 iterations", "fresh narrow", "fresh wide"]
    assert table.loc["initial", "networks"] == "—" and table.loc["initial", "iterations"] == 0
    assert table.loc[former, "networks"] == "pool of 4" and table.loc[former, "width"] == 32
    assert table.loc["fresh wide", "networks"] == "fresh each iteration" and table.loc["fresh wide", "width"] == 128


def test_budget_verdict_splits_the_fall_into_its_steps():
    three = budget_verdict(budget({"cpu profile": 0.671, "cpu, 200 iterations": 0.559, "fresh narrow": 0.457,
                                   "fresh wide": 0.426}))
    assert "falls from 0.671 with a pool of 4 fixed networks and 40 iterations (the cpu profile's setting before" in three
    assert ("0.112 from 200 iterations with the same pool, 0.102 from a fresh network at every iteration, "
            "0.031 from width 128 instead of 32") in three
    assert three.endswith("The largest part, 46% of the fall, comes from 200 iterations with the same pool.")
    assert "about 1 for a random real image" in three          # the measure is defined where it is read
    freshness = budget_verdict(budget({"cpu profile": 0.65, "fresh narrow": 0.46, "fresh wide": 0.45}))
    assert freshness.endswith("95% of the fall, comes from a fresh network at every iteration and 200 iterations.")
    width = budget_verdict(budget({"cpu profile": 0.65, "fresh narrow": 0.60, "fresh wide": 0.40}))
    assert width.endswith("comes from width 128 instead of 32.")
    assert budget_verdict(budget({"cpu profile": 0.65, "fresh wide": 0.40})) is None   # a fresh variant missing
    assert budget_verdict(budget({"fresh narrow": 0.5, "fresh wide": 0.4})) is None


def test_batched_step_verdict_reads_the_profiles_workload():
    from cgcore.report import batched_step_verdict

    bench = {"n_references": 6000, "n_real": 60000, "device": "cpu", "torch_threads": 2, "claim_workload": "fresh",
             "workloads": {"pooled": {"speedup": 1.86}, "fresh": {"speedup": 0.83}}}
    text = batched_step_verdict(bench, "fresh")
    assert "on the `fresh` workload (the step the cpu profile runs), the batched step runs at **0.83×**" in text
    assert "the loop's speed (slower; `pooled`: 1.86×)" in text and "float32 eager mode" in text
    other = batched_step_verdict({**bench, "claim_workload": "pooled"}, "fresh")
    assert "on the `pooled` workload, the batched step runs at **1.86×** the loop's speed (faster; `fresh`: 0.83×)" in other


def test_level0_groups_text_reads_the_class_sizes():
    from cgcore.report import level0_groups_text

    uneven = {"level0_class_sizes": [5421, 6742, 5923], "group_sizes": [10, 6, 5, 5, 4]}
    assert level0_groups_text(uneven, "uneven") == ("its classes hold 5,421 to 6,742 training images, cut into 600 "
                                                    "groups each of 9 to 12 images (`level0=\"uneven\"`).")
    even = {"level0_class_sizes": [5000, 5000], "group_sizes": [10, 5, 5, 5, 4]}
    assert level0_groups_text(even, "exact").startswith("its classes hold 5,000 training images each, cut into 500 "
                                                        "groups each of 10 images")


def test_missing_claims_table_names_each_claim_without_a_row():
    from cgcore.paper import PAPER
    from cgcore.report import missing_claims_table

    claims = list(PAPER)
    missing = missing_claims_table(pd.DataFrame({"claim": claims[1:]}))
    assert list(missing.index) == [claims[0]] and missing.loc[claims[0], "source"] == PAPER[claims[0]].source
    assert missing.loc[claims[0], "what"] and len(missing_claims_table(pd.DataFrame({"claim": claims}))) == 0


def test_budget_summary_names_the_longest_run_and_the_total(results_store):
    import json

    from cgcore.report import budget_summary
    from cgcore.results import result_path

    assert budget_summary("smoke") == ""
    _store_training("taylornet_mnist7", {"taylornet": 0.98}, {"taylornet": 30}, wall_time_s=1800.0)
    _store_training("baselines_mnist7", {"relu_cnn": 0.99}, {"relu_cnn": 10}, wall_time_s=5400.0)
    text = budget_summary("smoke")
    assert text.startswith("The stored `smoke` results took 2.0 h on their machines, the longest experiment "
                           "(`baselines_mnist7`) 90 min;") and "seed repeats" not in text
    path = result_path("smoke", "taylornet_mnist7")               # a manifest from before the restored record
    stored = json.loads(path.read_text())
    del stored["manifest"]["restored"]
    path.write_text(json.dumps(stored))
    assert budget_summary("smoke").startswith("The stored `smoke` results took at least 2.0 h")


# --------------------------------------------------------------------------- verdicts


from cgcore.report import distillation_verdict, image_measures, reference_table  # noqa: E402
from cgcore.scorecard import VERDICTS, accuracy_verdict, verdict  # noqa: E402


@pytest.mark.parametrize("ours, expected", [(0.90, "reproduced"), (0.896, "reproduced"), (0.894, "partly"),
                                            (0.871, "partly"), (0.869, "not reproduced")])
def test_accuracy_verdict_thresholds(ours, expected):
    assert accuracy_verdict(ours, 0.90) == expected


def test_scorecard_verdicts_by_kind_of_claim():
    assert verdict("taylornet_mnist7_params", 248_000, 248_000) == "sized to match"
    assert verdict("taylornet_cifar10_params", 1_099_722, 1_200_000) == "partly"        # the paper's drawing: counted
    assert verdict("distill_convnet_1ipc_mnist_acc", 0.458, 0.897) == "below Ref. 63"     # a yardstick, not a claim
    assert verdict("distill_convnet_1ipc_mnist_acc", 0.90, 0.897) == "at Ref. 63 or above"
    assert verdict("distill_dm_flat_1ipc_mnist_acc", 0.458, 0.897) == "not reproduced"    # Ref. 63's own method
    assert verdict("taylor_order4_terms", 292_825, 293_000) == "reproduced"
    assert verdict("taylor_order4_params", 2_928_250, 1_460_000) == "not reproduced"
    assert verdict("conv_ablation_cifar10_acc", 0.417 + 0.05, 0.417) == "not reproduced"   # two-sided
    assert verdict("conv_ablation_mnist_acc", 0.922, 0.919) == "reproduced"
    assert verdict("taylor_order1_acc", 0.88, None) == "no number in the paper"
    assert verdict("distill_classmean_mnist_acc", 0.98, None) == "ours (no paper value)"
    assert verdict("distill_ref_cifar10_acc", 0.38, 0.869) == "not reproduced"
    assert {verdict("distill_ref_cifar10_acc", x, 0.869) for x in (0.2, 0.85, 0.9)} <= set(VERDICTS)
    # pruning: the paper's claims are changes from its full model (about 98 %), ours from ours
    assert verdict("taylor_prune50_acc", 0.9741, 0.98, our_reference=0.9730) == "reproduced"
    assert verdict("taylor_prune50_acc", 0.9641, 0.98, our_reference=0.9730) == "partly"       # lost 0.9 pp
    assert verdict("taylor_prune30_acc", 0.9744, 0.9717, our_reference=0.9730) == "reproduced"
    assert verdict("taylor_prune10_acc", 0.9607, 0.85, our_reference=0.9730) == "not reproduced"  # lost 1.2, not 13
    assert verdict("taylor_prune10_acc", 0.8450, 0.85, our_reference=0.9730) == "reproduced"
    assert verdict("taylor_prune50_acc", 0.9741, 0.98) == "not computed for this profile"
    assert {verdict("taylor_prune10_acc", x, 0.85, 0.97) for x in (0.5, 0.83, 0.96)} <= set(VERDICTS)


def distillation_result(top_acc=0.6, random_real=0.7, hf=(0.1, 0.2, 0.3)):
    levels = [{"level": k, "high_freq": h, "saturated": 0.01 * k} for k, h in enumerate(hf[1:], start=1)]
    return {"group_sizes": [5, 4], "reference_acc": {"euclidean": {"D1": 0.7, "D2": top_acc}},
            "trivial_reference_acc": {"class_mean": 0.3, "random_real": random_real, "centroid": 0.9},
            "backbone": {"test_acc": 0.92}, "similarity_level0": {"high_freq": hf[0], "saturated": 0.0},
            "levels": {"euclidean": levels},
            "convnet_acc": {"euclidean": {"D2": [0.3, 0.32]}},
            "convnet_baselines": [{"references": "random real", "images_per_class": 1, "acc": [0.2]},
                                  {"references": "class mean", "images_per_class": 1, "acc": [0.25]}]}


def test_distillation_verdict_reads_the_result():
    result = distillation_result()
    result["centroid_alignment"] = {"euclidean": {"D2": {"nearest_centroid_is_own": 0.7, "margin": -0.012,
                                                         "cos_to_own_centroid": 0.5}},
                                    "random_real": {"nearest_centroid_is_own": 0.9, "margin": 0.2,
                                                    "cos_to_own_centroid": 0.8}}
    text = distillation_verdict("cifar10", result)
    assert "70% of the D2 references lie nearest their own class's centroid, with a mean margin of -0.012" in text
    assert "86.9%" in text and "**not reproduced**" in text and "60.00%" in text
    assert "do not beat" in text and "67% of it" in text
    assert "31.0%, above the same training" in text
    assert "rises from 0.200 at D1 to 0.300 at D2" in text and "noisier" in text
    costed = distillation_verdict("cifar10", distillation_result(), budget(
        {"cpu profile": 0.671, "cpu, 200 iterations": 0.559, "fresh narrow": 0.457, "fresh wide": 0.426}))
    assert costed.endswith("the largest part, 46%, came from 200 iterations with the same pool.")
    assert "On a sample" not in text and "benchmarks appendix" not in text         # no budget run, no sentence
    better = distillation_verdict("cifar10", distillation_result(top_acc=0.88, random_real=0.7, hf=(0.3, 0.2, 0.1)))
    assert "**reproduced**" in better and " beat " in better and "smoother" in better


def test_reference_and_image_tables():
    result = distillation_result()
    table = reference_table(result)
    assert table["class centroid in the embedding (the ceiling)"] == "90.00%"
    assert table["D2 (euclidean)"] == "60.00%"
    measures = image_measures(result)
    assert list(measures.index) == ["L0 (real)", "D1", "D2"]
    assert measures.loc["D2", "high-frequency share"] == 0.3


def test_verdict_table_covers_every_stated_number(results_store):
    from cgcore.paper import PAPER, SIZED_TO_MATCH
    from cgcore.report import verdict_table

    table = verdict_table("smoke")
    stated = [c for c, ref in PAPER.items() if ref.value is not None or c in SIZED_TO_MATCH]
    assert len(table) == len(stated)
    assert set(table["verdict"]) <= set(VERDICTS) - {"ours (no paper value)", "no number in the paper"}


def test_ablation_verdict_reads_the_variants():
    from cgcore.report import ablation_table, ablation_verdict

    def variant(acc, hf):
        return {"top_acc": acc, "high_freq": hf, "seconds": 60.0, "reference_acc": {"D1": acc},
                "alignment": {"nearest_centroid_is_own": 0.1, "margin": -0.2, "cos_to_own_centroid": 0.3}}

    result = {"random_real_acc": 0.75, "ceiling_acc": 0.83,
              "variants": {"cpu profile (fresh)": variant(0.06, 0.28), "λ = 100": variant(0.08, 0.3),
                           "mean matching (λ → ∞)": variant(0.05, 0.31), "flat: one level": variant(0.35, 0.13),
                           "in the trained backbone's embedding": variant(0.80, 0.2)}}
    text = ablation_verdict(result)
    assert "the best top level comes from *flat: one level* (35.00%)" in text        # the upper bound is apart
    assert "Less high-frequency power than the cpu settings' top level (0.280): *flat: one level* (0.130)." in text
    assert ("Distilled *in the trained backbone's embedding*, the same hierarchy and Eq. (5) reach 80.00%, "
            "96% of the ceiling and above one random real image") in text
    assert "beats the hierarchy's top level (6.00%, 0.280)" in text
    assert "moves the top level by at most 2.0 points" in text
    assert "No variant reaches one random real image per class (75.00%)" in text
    assert list(ablation_table(result).index) == list(result["variants"])


def test_dm_flat_verdict_reads_the_stored_numbers():
    from cgcore.report import dm_flat_verdict

    text = dm_flat_verdict({"dataset": "mnist", "convnet_acc": [0.80, 0.90], "distill_seconds": 600.0},
                           {"dm": {"iterations": 1000}})
    assert ("run for 1,000 iterations (10 min of distillation), gives references on which the ConvNet reaches "
            "85.0% ± 5.0% (2 seeds), against 89.7% in Ref. 63") in text


def test_distillation_gap_reason_names_what_the_ablation_measured():
    from cgcore.report import distillation_gap_reason

    def variant(acc, **extra):
        return {"top_acc": acc, **extra}

    result = {"group_sizes": [10, 5, 5, 5, 4], "reference_acc": {"euclidean": {"D5": 0.098}}}
    ablation = {"random_real_acc": 0.754, "ceiling_acc": 0.83,
                "variants": {"cpu profile": variant(0.057), "flat: one level": variant(0.348),
                             "a trained Fig. 8 ConvNet as f": variant(0.134, embedding_test_acc=0.721),
                             "in the trained backbone's embedding": variant(0.821)}}
    text = distillation_gap_reason("cifar10", result, ablation, "a sample of 5,000 training images, a 10-5 hierarchy")
    assert "Our D5 references reach 9.80% against the paper's 86.9%" in text
    assert "On a sample of 5,000 training images, a 10-5 hierarchy (the ablation below), no setting" in text
    assert "the best, *flat: one level*, reaches 34.8%" in text                # neither upper bound nor trained
    assert "(72.1% test accuracy) as f gives 13.4%" in text
    assert "give 82.1% (ceiling 83.0%)" in text
    # where every variant is level with a random real image (MNIST), the reason is the ConvNet test's
    mnist = {"random_real_acc": 0.992, "ceiling_acc": 0.993,
             "variants": {"cpu profile": variant(0.991, convnet_acc=[0.45]), "flat": variant(0.988, convnet_acc=[0.8]),
                          "in the trained backbone's embedding": variant(0.993)},
             "convnet_baselines": {"class_mean": [0.75], "random_real": [0.5]}}
    text = distillation_gap_reason("mnist", {**result, "reference_acc": {"euclidean": {"D5": 0.990}}}, mnist)
    assert "between 98.8% and 99.1%, level with one random real image (99.2%)" in text
    assert "cannot tell distillation from none" in text and "At or above the class mean: *flat* (80.0%)" in text
    assert "no setting" not in text


def in_backbone_result(top_acc=0.85):
    levels = [{"level": 1, "acc": 0.86, "high_freq": 0.2, "alignment": {}},
              {"level": 2, "acc": top_acc, "high_freq": 0.25, "alignment": {}}]
    return {"dataset": "cifar10", "losses": {"euclidean": {"levels": levels, "convnet_acc": [0.33, 0.35]}},
            "ceiling_acc": 0.9, "random_real_acc": 0.7, "class_mean_acc": 0.3}


def test_in_backbone_table_sets_both_readings_of_f_side_by_side():
    from cgcore.report import in_backbone_table

    table = in_backbone_table(distillation_result(), in_backbone_result())
    assert list(table.index[:2]) == ["D1", "D2"]
    assert table.loc["D2", "f: random Fig. 8 ConvNets"] == "60.00%"
    assert table.loc["D2", "f: the trained backbone"] == "85.00%"
    assert list(table.index) == ["D1", "D2"]


def test_in_backbone_verdict_weighs_the_other_reading_against_the_paper():
    from cgcore.report import in_backbone_verdict

    text = in_backbone_verdict("cifar10", distillation_result(), in_backbone_result())
    assert "D2 references reach **85.00%** (the paper: 86.9%; verdict: **partly**), against 60.00% with Fig. 8's" in text
    assert "94% of the ceiling (90.00%)" in text
    assert "above one random real image and the class-mean image (70.00% and 30.00%)" in text
    assert ("the ConvNet reaches 34.0% (on the random-f D2 31.0%; on one random real image 20.0%; "
            "on the class-mean image 25.0%)") in text
    assert "high-frequency share goes from 0.200 at D1 to 0.250 at D2 (real images: 0.100)" in text
    assert "also makes them images a fresh network learns from better than any of these" in text
    worse = in_backbone_result()
    worse["losses"]["euclidean"]["convnet_acc"] = [0.30]               # within a point of the random-f D2
    text = in_backbone_verdict("cifar10", distillation_result(), worse)
    assert "the ConvNet learns more from the random-f D2 (31.0%). They speak to the network" in text
    low = in_backbone_verdict("cifar10", distillation_result(), in_backbone_result(top_acc=0.2))
    assert "**not reproduced**" in low and "above neither one random real image nor the class mean" in low


def test_compact_claims_keep_label_values_and_verdict():
    from cgcore.report import format_claims

    table = pd.DataFrame({"label": ["order 4"], "paper": [0.98], "ours": [0.973], "unit": ["fraction"],
                          "delta": [-0.007], "section": ["Sec. III"], "verdict": ["partly"], "note": ["..."]})
    compact = format_claims(table, compact=True)
    assert list(compact.columns) == ["paper", "ours", "delta", "verdict"] and compact.index.name == "claim"
    assert compact.loc["order 4", "ours"] == "97.30%" and compact.loc["order 4", "delta"].startswith("-0.7")


def test_ablation_convnet_verdict_names_the_variants_at_or_above_the_class_mean():
    from cgcore.report import ablation_convnet_verdict, ablation_table
    variants = {"cpu profile": {"convnet_acc": [0.40, 0.50]}, "DSA": {"convnet_acc": [0.80, 0.82]},
                "flat": {"convnet_acc": [0.70, 0.72]}}
    for v in variants.values():
        v.update(top_acc=0.9, alignment={"nearest_centroid_is_own": 1.0, "margin": 0.1}, high_freq=0.1, seconds=60)
    result = {"variants": variants, "random_real_acc": 0.9,
              "convnet_baselines": {"class_mean": [0.75, 0.75], "random_real": [0.5, 0.52]}}
    text = ablation_convnet_verdict(result)
    assert "*DSA* (81.0%)" in text and "class-mean image gives 75.0%" in text and "51.0%" in text
    assert "*flat*" not in text.split("At or above")[1]
    assert ablation_table(result)["ConvNet trained on it"]["DSA"] == "81.0 ± 1.0 %"
    result["convnet_baselines"]["class_mean"] = [0.9]
    assert "No variant reaches the class mean" in ablation_convnet_verdict(result)
    assert ablation_convnet_verdict({"variants": {"a": {"top_acc": 0.5}}}) == ""


def test_ablation_convnet_verdict_says_when_the_loss_decides():
    from cgcore.report import ablation_convnet_verdict
    scores = {"cpu profile (λ = 19)": 0.55, "λ = 100": 0.86, "mean matching": 0.88, "flat": 0.76}
    result = {"variants": {n: {"convnet_acc": [a]} for n, a in scores.items()},
              "convnet_baselines": {"class_mean": [0.74]}}
    text = ablation_convnet_verdict(result)
    assert "(λ = 19, the paper's) give 55.0%" in text and "86.0% (*λ = 100*)" in text
    assert "all at λ = 19, give 76.0% to 76.0%" in text and "the loss decides" in text
    result["variants"]["flat"]["convnet_acc"] = [0.87]   # a λ = 19 variant above λ = 100
    assert "the loss decides" not in ablation_convnet_verdict(result)


def test_page_helpers_that_left_the_notebooks():
    from cgcore.models import distill_convnet
    from cgcore.paper import paper_value
    from cgcore.report import accuracy_cell, hierarchy_table, layer_output_table, on_this_page

    assert on_this_page({"mnist": "a", "cifar10": "b"}, ("cifar10",)) == {"cifar10": "b"}
    assert accuracy_cell([0.5, 0.7]) == "60.00% ± 10.00% (2 seeds)"
    table = hierarchy_table([10, 6, 5, 5, 4])
    assert list(table["images per class"]) == [600 * 10, 600, 100, 20, 4, 1]
    assert table.loc["D2", "distilled from"] == "100 subsets of 6 per class (6-to-1)"
    shapes = layer_output_table(distill_convnet(1, 28, width=8), (1, 28, 28))["output"]
    assert shapes.iloc[-1] == "128" and "8x4x4" in list(shapes)     # 8 channels x 16 positions, flattened
    assert paper_value("nosuch", required=False) is None
    with pytest.raises(KeyError, match="unknown claim 'nosuch'"):
        paper_value("nosuch")


def test_training_results_table_says_what_is_not_computed(results_store):
    from cgcore.report import training_results_table

    table = training_results_table("smoke")
    assert set(table["test accuracy"]) == {"not computed yet"}
    assert len(table) == 4


def test_training_results_table_reads_a_stored_run(results_store):
    from cgcore.report import device_text, training_results_table
    from cgcore.results import load_result

    _store_training("taylornet_mnist7", {"taylornet": 0.9712}, {"taylornet": 60}, params=1234)
    table = training_results_table("smoke").loc["taylornet_mnist7"]
    row = table.iloc[0]
    assert (row["test accuracy"], row["parameters"], row["training time"]) == ("97.12%", "1,234", "3.0 min")
    manifest = load_result("taylornet_mnist7", "smoke")["manifest"]
    assert row["device"] == device_text(manifest, with_name=False) and "threads" in row["device"]
    assert manifest["device_name"] not in row["device"]


def test_every_measured_cifar10_label_carries_the_jpeg_caveat():
    from cgcore.paper import CIFAR10_CAVEAT, PAPER, claim_label

    for claim in PAPER:
        if "cifar10" in claim:
            assert (CIFAR10_CAVEAT in claim_label(claim)) == (not claim.endswith("_params")), claim
        else:
            assert CIFAR10_CAVEAT not in claim_label(claim)


def test_cifar10_reference_verdicts_name_the_backbone_when_it_is_not_the_papers():
    from cgcore.report import backbone_caveat

    assert backbone_caveat("cpu") == "judged in the `cpu` profile's own backbone (`fast_cifar`), not the paper's ResNet50"
    assert backbone_caveat("paper") == ""                     # the paper profile trains the ResNet50


def _store_training(name: str, accs: dict, seconds: dict, params: int = 1000, n_test: int | None = None,
                    wall_time_s: float = 1.0):
    from cgcore.profiles import get_config
    from cgcore.results import save_result

    models = {variant: {"test_acc": acc, "params": params, "train_seconds": 3 * seconds[variant],
                        "history": {"epoch": [1, 2, 3], "seconds": [seconds[variant]] * 3}}
              for variant, acc in accs.items()}
    config = get_config(name, "smoke")
    save_result(name, "smoke", config, {"models": models, "dataset": config["dataset"],
                                        **({"n_test": n_test} if n_test else {})}, device="cpu",
                wall_time_s=wall_time_s)


def test_baselines_table_pairs_each_taylornet_with_its_twins(results_store):
    from cgcore.report import baselines_table, baselines_verdict, format_baselines

    _store_training("taylornet_mnist7", {"taylornet": 0.98, "cg_as_conv": 0.90}, {"taylornet": 30, "cg_as_conv": 10})
    _store_training("baselines_mnist7", {"relu_cnn": 0.99, "pinet": 0.97}, {"relu_cnn": 10, "pinet": 20})
    table = baselines_table("smoke")
    assert table.loc[("7×7 MNIST", "TaylorNet"), "test accuracy"] == 0.98
    assert table.loc[("7×7 MNIST", "ReLU CNN"), "seconds per epoch"] == 10
    assert table.loc[("7×7 MNIST", "Π-net (CCP)"), "experiment"] == "baselines_mnist7"
    assert table.loc[("Fashion-MNIST", "ReLU CNN"), "experiment"] == "taylornet_fashion"
    assert pd.isna(table.loc[("MNIST", "TaylorNet"), "test accuracy"])
    shown = format_baselines(table)
    assert shown.loc[("7×7 MNIST", "TaylorNet"), "accuracy"] == "98.00%"
    assert shown.loc[("7×7 MNIST", "TaylorNet"), "params"] == "1 k"
    assert shown.loc[("CIFAR-10", "ReLU CNN"), "accuracy"] == "not run yet"
    assert shown.loc[("7×7 MNIST", "TaylorNet"), "precision"] == "fp32"
    assert shown.loc[("CIFAR-10", "ReLU CNN"), "precision"] == "bf16"      # the TaylorNet's recipe, twins included
    verdict = baselines_verdict(table)
    assert "On 7×7 MNIST the TaylorNet scores 98.00%, -1.00 pp against the ReLU CNN" in verdict
    assert "+1.00 pp against the Π-net" in verdict and "ReLU CNN is best" in verdict
    assert "3.0× the ReLU CNN's time, for " in verdict and "multiply-adds." in verdict  # same day: no caveat
    macs = table["multiply-adds per image"]
    assert macs[("MNIST", "ReLU CNN")] > macs[("MNIST", "TaylorNet")] > macs[("MNIST", "Π-net (CCP)")] > 0
    assert verdict.endswith("Not computed yet for this profile: MNIST, CIFAR-10, Fashion-MNIST.")


def test_baselines_verdict_does_not_rank_models_closer_than_the_test_sets_noise(results_store):
    from cgcore.report import baselines_table, baselines_verdict

    _store_training("taylornet_mnist7", {"taylornet": 0.9941, "cg_as_conv": 0.90}, {"taylornet": 30, "cg_as_conv": 10},
                    n_test=10_000)
    _store_training("baselines_mnist7", {"relu_cnn": 0.9935, "pinet": 0.9800}, {"relu_cnn": 10, "pinet": 20},
                    n_test=10_000)
    verdict = baselines_verdict(baselines_table("smoke"))
    # 2 * sqrt(2 * 0.9941 * 0.0059 / 10,000) = 0.22 pp > 0.06 pp
    assert "TaylorNet is ahead by 0.06 pp, less than two standard errors of a difference on 10,000 test images " \
           "(0.22 pp): one seed each cannot rank them" in verdict
    _store_training("baselines_mnist7", {"relu_cnn": 0.9835, "pinet": 0.9800}, {"relu_cnn": 10, "pinet": 20},
                    n_test=10_000)
    assert "TaylorNet is best." in baselines_verdict(baselines_table("smoke"))


@pytest.mark.parametrize("bf16_acc, holds", [(0.9930, True), (0.9900, False)])
def test_bf16_training_verdict_applies_its_tolerance(results_store, bf16_acc, holds):
    from cgcore.report import bf16_training_verdict

    assert bf16_training_verdict("smoke") == ""
    _store_training("taylornet_mnist_float32", {"taylornet_float32": 0.9942}, {"taylornet_float32": 200})
    assert bf16_training_verdict("smoke") == ""  # the bf16 run is not stored yet
    _store_training("taylornet_mnist", {"taylornet": bf16_acc}, {"taylornet": 80})
    verdict = bf16_training_verdict("smoke")
    assert f"reaches {bf16_acc:.2%} on MNIST against 99.42% in float32" in verdict
    assert "at 80 s per epoch against 200 s" in verdict
    assert ("holds within the 0.2 pp" in verdict) == holds and ("falls by more" in verdict) == (not holds)


def test_similarity_trend_reason_reads_the_high_frequency_share():
    from cgcore.report import similarity_trend_reason

    def result(real, top, s_top):
        """Level 0, level 1 (the top level with pairs: s measured) and level 2 (one image per
        class: no s, noisier still, which the reason must not read)."""
        return {"similarity_level0": {"high_freq": real, "saturated": 0.0, "s": [0.5] * 10, "d": [1.0] * 10},
                "levels": {"euclidean": [{"level": 1, "high_freq": top, "s": [s_top] * 10, "d": [1.0] * 10},
                                         {"level": 2, "high_freq": 0.9}]}}

    assert similarity_trend_reason("cifar10", result(0.1, 0.3, 0.4), falls=0) == ""
    noisy = similarity_trend_reason("cifar10", result(0.1, 0.3, 0.4), falls=7)
    assert "7 of 10 classes" in noisy and "0.100 for the real images and 0.300 at D1, the top level with pairs" in noisy
    assert "consistent with the noise of Fig. 9(b)" in noisy and "0.500 at level 0, 0.400 at D1" in noisy
    rising = similarity_trend_reason("cifar10", result(0.1, 0.3, 0.6), falls=3)
    assert "noise alone does not explain" in rising and "Fig. 9(b)" not in rising
    assert "does not explain the fall" in similarity_trend_reason("cifar10", result(0.3, 0.1, 0.4), falls=7)


def test_claim_line_and_the_thesis_read_the_store(results_store):
    from cgcore.report import claim_line, scorecard_values, thesis_weighed

    assert scorecard_values("smoke") == {} and thesis_weighed("smoke") == []
    assert claim_line({}, "taylornet_mnist7_acc", "TaylorNet") == "TaylorNet: not computed yet"
    line = claim_line({"taylornet_cifar10_acc": 0.78}, "taylornet_cifar10_acc", "Fig. 12")
    assert line.startswith("Fig. 12: **78.00%** (paper 71.7%, +6.3 points)") and line.endswith("(q75) copy")
    from cgcore.paper import from_ref63

    assert from_ref63("distill_dm_flat_1ipc_mnist_acc") and not from_ref63("taylornet_cifar10_acc")
    assert claim_line({"distill_dm_flat_1ipc_mnist_acc": 0.895}, "distill_dm_flat_1ipc_mnist_acc", "DM").startswith(
        "DM: **89.50%** (Ref. 63 89.7%, -0.2 points)")
    _store_training("taylornet_mnist7", {"taylornet": 0.98, "cg_as_conv": 0.90}, {"taylornet": 30, "cg_as_conv": 10},
                    params=237_770)
    _store_training("baselines_mnist7", {"relu_cnn": 0.99, "pinet": 0.97}, {"relu_cnn": 10, "pinet": 20})
    assert scorecard_values("smoke")["relu_cnn_mnist7_acc"] == 0.99
    weighed = thesis_weighed("smoke")
    assert len(weighed) == 1 and weighed[0].startswith("**Performance, at equal size (beyond the paper).**")
    assert "behind on 7×7 MNIST (-1.00 pp, one run, test-set size not stored)" in weighed[0]


def test_the_thesis_weighs_sec_iv_by_the_full_in_backbone_run_when_stored(results_store):
    from cgcore.profiles import get_config
    from cgcore.report import thesis_weighed
    from cgcore.results import save_result

    def variant(acc):
        return {"top_acc": acc}

    ablation = {"random_real_acc": 0.75, "ceiling_acc": 0.83,
                "variants": {"cpu profile": variant(0.05), "flat": variant(0.30),
                             "in the trained backbone's embedding": variant(0.82)}}
    save_result("distill_ablation_cifar10", "smoke", get_config("distill_ablation_cifar10", "smoke"), ablation,
                device="cpu", wall_time_s=1.0)
    sample_only = next(t for t in thesis_weighed("smoke", {}) if t.startswith("**Interpretability, Sec. IV"))
    scope = "(one random real image per class: 75.0%) in the ablation (a sample of 200 training images, a 5-4 hierarchy)"
    assert f"at best at 30.0% {scope}" in sample_only
    assert "reaches 82.0%, near the 83.0% of the class centroids" in sample_only
    full = next(t for t in thesis_weighed("smoke", {"distill_ref_in_backbone_cifar10_acc": 0.85,
                                                    "distill_ceiling_cifar10_acc": 0.88})
                if t.startswith("**Interpretability, Sec. IV"))
    assert "the whole hierarchy's D5 reaches 85.0%, against the 88.0% of the class centroids and the paper's 86.9%" in full
    assert scope in full          # the sample's numbers are named as the sample's on either branch


def test_claims_table_of_an_empty_store_keeps_its_columns(results_store):
    from cgcore.report import claims_table, format_claims

    table = format_claims(claims_table("smoke", prefix=("relu_cnn_",)), compact=True)
    assert table.empty and list(table.columns) == ["paper", "ours", "delta", "verdict"]


def test_claims_table_leaves_out_the_seed_spreads_when_asked(results_store):
    from cgcore.profiles import get_config
    from cgcore.report import claims_table
    from cgcore.results import save_result

    result = {"seeds": [0, 1], "claims": {"distill_ref_mnist_acc": [0.99, 0.98]}}
    save_result("seeds_distillation_mnist", "smoke", get_config("seeds_distillation_mnist", "smoke"), result,
                device="cpu", wall_time_s=1.0)
    assert set(claims_table("smoke", prefix="distill_").index) == {"distill_ref_mnist_acc_mean",
                                                                  "distill_ref_mnist_acc_std"}
    assert claims_table("smoke", prefix="distill_", seed_spreads=False).empty



def test_claims_table_splits_the_papers_numbers_from_ours(results_store):
    from cgcore.profiles import get_config
    from cgcore.report import claims_table
    from cgcore.results import save_result

    kernel = {"schemes": {"one_vs_rest": {"degrees": {"4": {"test_acc": 0.9784}}}}}
    save_result("taylor_kernel_svm", "smoke", get_config("taylor_kernel_svm", "smoke"), kernel,
                device="cpu", wall_time_s=1.0)
    tuned = {"order": 4, "epochs": 2, "val_size": 50, "chosen": "a",
             "candidates": {"a": {"changes": {}, "val_acc": 0.9, "test_acc": 0.97}}}
    save_result("taylor_order4_tuning", "smoke", get_config("taylor_order4_tuning", "smoke"), tuned,
                device="cpu", wall_time_s=1.0)
    expansion = {"orders": {"4": {"test_acc": 0.973, "terms": 292_825, "params": 2_928_250}}}
    save_result("taylor_expansion", "smoke", get_config("taylor_expansion", "smoke"), expansion,
                device="cpu", wall_time_s=1.0)
    ours = {"taylor_order4_kernel_acc", "taylor_order4_tuned_acc"}
    stated = {"taylor_order4_acc", "taylor_order4_terms", "taylor_order4_params"}
    assert set(claims_table("smoke", prefix="taylor_").index) == ours | stated
    assert set(claims_table("smoke", prefix="taylor_", stated=True).index) == stated
    assert set(claims_table("smoke", prefix="taylor_", stated=False).index) == ours


def test_every_claim_has_a_scorecard_block():
    from cgcore.paper import PAPER
    from cgcore.scorecard import scorecard_block

    assert scorecard_block("relu_cnn_fashion_acc").startswith("Beyond the paper")
    assert all(scorecard_block(c).startswith("Beyond the paper") for c in PAPER if c.startswith(
        ("taylornet_tuned_", "taylornet_longer_", "taylornet_averaged_", "taylornet_tta_")))
    assert scorecard_block("taylor_order4_epoch_seconds") == "Benchmarks of the book's code"
    assert scorecard_block("distill_dm_flat_1ipc_mnist_acc").startswith("Ref. 63")
    assert scorecard_block("distill_ref_cifar10_acc").startswith("Sec. IV")
    assert scorecard_block("taylornet_mnist_acc").startswith("Sec. III")
    assert scorecard_block("similarity_s_rises_cifar10").startswith("Supplement E")
    assert {scorecard_block(c) for c in PAPER} >= {"Benchmarks of the book's code"}


def test_baselines_bars_draw_one_legible_panel_per_stored_data_set(results_store):
    from cgcore import plots
    from cgcore.report import baselines_table

    assert plots.baselines_bars(baselines_table("smoke")) is None
    _store_training("taylornet_mnist7", {"taylornet": 0.98, "cg_as_conv": 0.90}, {"taylornet": 30, "cg_as_conv": 10})
    _store_training("baselines_mnist7", {"relu_cnn": 0.99, "pinet": 0.97}, {"relu_cnn": 10, "pinet": 20})
    _store_training("taylornet_fashion", {"taylornet": 0.90, "relu_cnn": 0.91, "pinet": 0.89}, {m: 9 for m in (
        "taylornet", "relu_cnn", "pinet")})
    _store_training("taylornet_cifar10", {"taylornet": 0.78, "cg_as_conv": 0.38}, {"taylornet": 9, "cg_as_conv": 9})
    fig = plots.baselines_bars(baselines_table("smoke"))
    assert [ax.get_title() for ax in fig.axes] == ["7×7 MNIST", "CIFAR-10", "Fashion-MNIST"]
    assert len(fig.axes[1].patches) == 1 and len(fig.axes[2].patches) == 3
    low, high = fig.axes[0].get_ylim()
    assert low < 97 and high > 99  # each panel spans its own accuracies


def test_cifar10_caveat_only_where_cifar10_is_shown():
    from cgcore.paper import CIFAR10_CAVEAT
    from cgcore.report import cifar10_caveat

    assert cifar10_caveat(("mnist",)) == ""
    assert CIFAR10_CAVEAT in cifar10_caveat(("mnist", "cifar10"))


def test_format_baselines_of_an_empty_store_says_not_run_yet(results_store):
    from cgcore.report import baselines_table, format_baselines

    shown = format_baselines(baselines_table("smoke"))
    assert set(shown["accuracy"]) == {"not run yet"} and set(shown["params"]) == {"—"}


def test_fig5_readings_table_builds_every_reading():
    from cgcore.report import fig5_readings_table

    table = fig5_readings_table()
    book = table.loc["between CG1 and CG2, caption's (7, 3) (the book's Fig. 5)"]
    assert book["map sizes"] == "28 → 14 → 7 → 4 → 2" and book["rows seen by the diCGs"] == "all"
    assert table.loc["after CG2, caption's (7, 3)", "map sizes"].startswith("impossible")
    assert table.loc["after CG2, (4, 1)", "rows seen by the diCGs"].startswith("missing row(s)")


def _trained(acc, params=1000, epochs=3):
    return {"test_acc": acc, "params": params, "train_seconds": 120.0, "history": {"epoch": list(range(epochs))}}


def test_taylornet_runs_table_and_verdict_read_the_runs():
    from cgcore.report import taylornet_runs_table, taylornet_verdict

    runs = {"TaylorNet": _trained(0.98, 237_770), "CG as conv": _trained(0.90), "ResNet": _trained(0.99, 1_300_426)}
    manifest = {"device": "cpu", "device_name": "x", "threads": 2}
    table = taylornet_runs_table(runs, dict.fromkeys(runs, manifest),
                                 {"TaylorNet": ("taylornet_mnist7_acc", "taylornet_mnist7_params"),
                                  "CG as conv": ("conv_ablation_mnist7_acc", None),
                                  "ResNet": ("resnet_mnist7_acc", "resnet_mnist7_params")})
    assert table.loc["TaylorNet", "paper"] == "97.9%" and table.loc["CG as conv", "paper"] == "—"
    assert table.loc["TaylorNet", "paper params"] == "248,000 (ours sized to match)"
    assert table.loc["ResNet", "training time"] == "2.0 min"
    text = taylornet_verdict("mnist7", runs, "cpu", 10_000)
    assert "reaches **98.00%** on mnist7 (+0.10 points from the paper's 97.9%) after 3 epochs" in text
    assert "a drop of 8.0 points" in text and "MNIST and CIFAR-10 only" in text
    assert "The residual network reaches **99.00%** with 1,300,426 parameters" in text
    cifar = taylornet_verdict("cifar10", {"TaylorNet": _trained(0.78), "CG as conv": _trained(0.80)}, "cpu", 10_000)
    assert "on the JPEG (q75) copy" in cifar and "no drop but a gain of 2.0 points" in cifar
    assert "two readings" in cifar and "MLP-Mixer, not tested" in cifar and "MLP-Mixer" not in text
    table = taylornet_runs_table({"TaylorNet": _trained(0.78, 1_099_722)}, {"TaylorNet": manifest},
                                 {"TaylorNet": ("taylornet_cifar10_acc", "taylornet_cifar10_params")})
    assert table.loc["TaylorNet", "paper params"] == "1,200,000 (our CG form chosen by it)"


def test_device_text_says_whether_the_cpu_had_bfloat16_instructions():
    from cgcore.report import device_text

    m = {"device": "cpu", "device_name": "x", "threads": 2}
    assert device_text({**m, "cpu_bf16": []}) == "cpu (x, 2 threads; no bfloat16 instructions)"
    assert device_text({**m, "cpu_bf16": ["amx_bf16"]}) == "cpu (x, 2 threads; bfloat16 instructions: amx_bf16)"
    assert device_text(m) == "cpu (x, 2 threads)"                      # results stored before the record
    assert device_text({**m, "cpu_bf16": []}, with_name=False) == "cpu (2 threads; no bfloat16 instructions)"


def test_fig5_readings_are_judged_against_the_noise_of_their_difference():
    from cgcore.report import difference_standard_error, taylornet_verdict

    noise = 2 * difference_standard_error(0.99, 10_000)           # about 0.28 points
    near = {"TaylorNet": _trained(0.99), "CG as conv": _trained(0.92), "TaylorNet, diCGs after CG2": _trained(0.989)}
    text = taylornet_verdict("mnist", near, "cpu", 10_000)
    assert "-0.10 points from the caption's reading, within two standard errors" in text
    assert f"({100 * noise:.2f} points)" in text and "no evidence for either reading" in text
    far = {**near, "TaylorNet, diCGs after CG2": _trained(0.98)}
    text = taylornet_verdict("mnist", far, "cpu", 10_000)
    assert "beyond two standard errors" in text and "no evidence" not in text
    text = taylornet_verdict("mnist", far, "cpu", 500)                  # the same step on fewer test images
    assert "within two standard errors of a difference on 500 test images" in text


def test_scorecard_blocks_and_budget_format():
    from cgcore.report import format_budget
    from cgcore.scorecard import scorecard_blocks

    shown = pd.DataFrame({"label": ["a", "b"], "paper": ["1", "2"], "ours": ["1", "2"], "delta": ["0", "0"],
                          "verdict": ["reproduced", "partly"], "the paper's wording": ["x", "y"]},
                         index=pd.Index(["taylornet_mnist_acc", "distill_ref_mnist_acc"], name="claim"))
    blocks = scorecard_blocks(shown)
    assert [t.split(":")[0] for t, _ in blocks] == ["Sec. III", "Sec. IV"]
    assert "taylornet_mnist_acc" in blocks[0][1] and "white-space: normal" in blocks[0][1]
    budget = pd.DataFrame({"minutes": [30.0, 30.0], "restored from checkpoints (min)": [None, None], "share": [0.5, 0.5],
                           "peak memory (MiB)": [1234.0, None], "device": ["cpu", ""], "threads": [2, None],
                           "seed repeat": [False, False]}, index=["a", "total"])
    shown_budget = format_budget(budget)
    assert list(shown_budget["peak memory (MiB)"]) == ["1,234", "—"] and shown_budget.loc["a", "share"] == "50%"


def test_similarity_table_and_claims_read_the_same_levels():
    from cgcore.experiments.distillation import claims, similarity_by_level
    from cgcore.report import similarity_class_table

    result = {**distillation_result(), "dataset": "mnist",
              "similarity_level0": {"s": [0.5, 0.6], "d": [1.0, 0.8]},
              "levels": {"euclidean": [{"level": 1, "s": [0.7, 0.55], "d": [0.6, 0.9]},
                                       {"level": 2}]}}        # one image per class: no Eq. (S3)
    levels, s, d = similarity_by_level(result)
    assert levels == [0, 1] and s.shape == d.shape == (2, 2)
    table = similarity_class_table(result, ["zero", "one"])
    assert list(table["s higher at the top than at L0"]) == [True, False]
    assert table.loc["zero", "s, L1"] == "0.700"
    out = claims(result)
    assert out["similarity_s_rises_mnist"] == 0.5 and out["similarity_d_falls_mnist"] == 0.5


def test_tuned_table_and_verdict_mark_the_recipe_chosen_on_validation():
    from cgcore.report import tuned_table, tuned_verdict

    def candidate(val, test):
        return {"val_acc": val, "test_acc": test, "history": {"epoch": list(range(15)), "seconds": [48.0] * 15}}

    result = {"candidates": {"no augmentation": candidate(0.993, 0.9951), "small affine": candidate(0.995, 0.9948)},
              "chosen": "small affine", "val_size": 5000}
    table = tuned_table(result)
    assert list(table.index) == ["no augmentation", "small affine (chosen)"]
    assert table.loc["small affine (chosen)", "test accuracy"] == "99.48%"
    text = tuned_verdict(result, 0.9942)
    assert "*small affine* (15 epochs) reaches **99.48%** on the test set (+0.28 points from the paper's 99.2%" in text
    assert "the first recipe above: 99.42%" in text and "One seed each" in text
    assert "for the record: *no augmentation* 99.51%" in text
    # refit on every training image: the refit is the reported number, the step is judged
    refit = {**result, "n_train": 55000, "n_test": 10000,
             "refit": {"candidate": "small affine", "n_train": 60000, "test_acc": 0.9952,
                       "history": {"epoch": list(range(15)), "seconds": [52.0] * 15}}}
    table = tuned_table(refit)
    assert table.loc["small affine, refit on all 60,000 training images", "test accuracy"] == "99.52%"
    assert table.loc["small affine, refit on all 60,000 training images", "validation accuracy"] == "—"
    text = tuned_verdict(refit, 0.9942)
    assert "scores 99.48% on the test set when trained on the other 55,000" in text
    assert "on all 60,000 training images, it reaches **99.52%** (+0.32 points from the paper's 99.2%" in text
    assert "moves the test accuracy by +0.04 points, within 2 standard errors" in text


def test_backbone_description_says_how_the_backbone_was_trained():
    from cgcore.profiles import get_config
    from cgcore.report import backbone_description

    config = get_config("distillation_cifar10", "cpu")
    cifar = backbone_description("cifar10", config)
    assert "fast-training CIFAR-10 network" in cifar
    assert f"{config['backbone']['epochs']} epochs, 5,000 training images held out" in cifar
    assert "trained in bfloat16 autocast with NHWC activations" in cifar and "ResNet50" in cifar
    assert "autocast" not in backbone_description("mnist", get_config("distillation_mnist", "cpu"))


def test_seeds_table_gives_every_seed_and_the_spread(results_store):
    from cgcore.profiles import get_config
    from cgcore.report import seeds_table
    from cgcore.results import save_result

    assert seeds_table("smoke").empty
    result = {"seeds": [0, 1, 2], "claims": {"taylornet_mnist7_acc": [0.98, 0.99, 0.985],
                                             "taylornet_mnist7_params": [1, 1, 1]}}
    save_result("seeds_taylornet_mnist7", "smoke", get_config("seeds_taylornet_mnist7", "smoke"), result,
                device="cpu", wall_time_s=1.0)
    table = seeds_table("smoke")
    assert list(table.index) == ["TaylorNet, 7×7 MNIST"]                   # accuracies only
    assert table.loc["TaylorNet, 7×7 MNIST", "seed 2"] == "98.50"
    assert table.loc["TaylorNet, 7×7 MNIST", "mean ± std (%)"] == "98.50 ± 0.50"
    assert seeds_table("smoke", ["seeds_taylor_expansion"]).empty          # only the experiments asked for
    assert list(seeds_table("smoke", ["seeds_taylornet_mnist7"]).index) == ["TaylorNet, 7×7 MNIST"]
    with pytest.raises(ValueError, match="seed-repeat experiment"):
        seeds_table("smoke", ["taylornet_mnist7"])
    stale = {**get_config("seeds_taylornet_mnist7", "smoke"), "seeds": [0, 1, 2, 3]}    # another config
    save_result("seeds_taylornet_mnist7", "smoke", stale, result, device="cpu", wall_time_s=1.0)
    assert seeds_table("smoke").empty                                      # not what the code now computes


def test_show_markdown_shows_nothing_for_empty_text(monkeypatch):
    import IPython.display

    from cgcore.report import show_markdown

    shown = []
    monkeypatch.setattr(IPython.display, "display", shown.append)
    show_markdown("")
    show_markdown("  \n")
    assert shown == []
    show_markdown("**a verdict**")
    assert len(shown) == 1 and shown[0].data == "**a verdict**"


def test_seed_differences_are_paired_and_judged_against_their_spread(results_store):
    from cgcore.profiles import get_config
    from cgcore.report import seed_difference_note, seed_differences, seed_spread, seeds_table
    from cgcore.results import save_result

    assert seed_differences("smoke", "seeds_distillation_mnist", "distill_ref_mnist_acc",
                            "distill_classmean_mnist_acc") is None
    result = {"seeds": [0, 1, 2], "claims": {"distill_ref_mnist_acc": [0.990, 0.985, 0.992],
                                             "distill_classmean_mnist_acc": [0.989, 0.986, 0.990]}}
    save_result("seeds_distillation_mnist", "smoke", get_config("seeds_distillation_mnist", "smoke"), result,
                device="cpu", wall_time_s=1.0)
    diffs = seed_differences("smoke", "seeds_distillation_mnist", "distill_ref_mnist_acc", "distill_classmean_mnist_acc")
    assert diffs == pytest.approx([0.001, -0.001, 0.002])
    note = seed_difference_note("D5 minus the class mean", diffs)
    assert "+0.10, -0.10, +0.20 pp (mean +0.07 ± 0.15;" in note and "cannot tell the two apart" in note
    assert "-0.31 to +0.45 pp" in note                           # t(0.975, 2 df) = 4.30
    assert "the interval excludes zero" in seed_difference_note("x", [0.010, 0.011, 0.012])
    assert seeds_table("smoke", []).empty                        # none asked for: none shown
    mean, std = seed_spread("smoke", "seeds_distillation_mnist", "distill_ref_mnist_acc")
    assert mean == pytest.approx(0.989) and std == pytest.approx(0.0036055, rel=1e-4)
    assert seed_spread("smoke", "seeds_distillation_mnist", "taylor_order3_acc") is None


def test_order4_tuning_verdict_weighs_the_choice_and_says_whether_it_is_adopted():
    from cgcore.report import order4_tuning_verdict

    def row(val, changes):
        return {"val_acc": val, "test_acc": val, "changes": changes, "history": {"epoch": [1], "seconds": [1.0]}}

    result = {"order": 4, "epochs": 12, "val_size": 5000, "chosen": "wd",
              "candidates": {"as is": row(0.970, {}), "wd": row(0.978, {"optimizer": "adamw", "weight_decay": 0.1})}}
    text = order4_tuning_verdict(result, {"optimizer": "adam", "weight_decay": 0.0})
    assert "*wd*, at 97.80% on validation, +0.80 points over *as is* (2.3 standard errors" in text
    assert text.endswith("(2.3 standard errors of a difference on 5,000 images); trained with it for 12 epochs, "
                         "order 4 scores 97.80% on the test set (the paper: about 98%).")
    assert order4_tuning_verdict(result, {"optimizer": "adamw", "weight_decay": 0.1}).endswith("trains with it.")
    result["candidates"]["wd"]["val_acc"] = 0.9702             # one image in 5,000: noise, said so
    assert order4_tuning_verdict(result, {}).endswith("none of the changes tried is clearly better than the "
                                                      "first fit's own setting.")
    result["chosen"] = "as is"
    assert order4_tuning_verdict(result, {}).endswith("No change tried here beats the first fit's own setting.")


def test_restored_note_says_at_least_where_a_checkpoint_recorded_no_time():
    from cgcore.report import restored_note

    assert restored_note({"checkpoints": 3, "seconds": 600.0, "without_seconds": 0}) == \
        " (and 10.0 min of work read from 3 checkpoints)"
    assert restored_note({"checkpoints": 3, "seconds": 600.0, "without_seconds": 1}) == \
        " (and at least 10.0 min of work read from 3 checkpoints, 1 of which recorded no time)"


def test_verdict_table_says_fig12s_cg_form_was_chosen_by_its_count(results_store):
    from cgcore.paper import claim_label
    from cgcore.report import verdict_table

    _store_training("taylornet_cifar10", {"taylornet": 0.72, "cg_as_conv": 0.42}, {"taylornet": 60, "cg_as_conv": 30},
                    params=1_099_722)
    row = verdict_table("smoke").set_index("claim").loc[claim_label("taylornet_cifar10_params")]
    assert row["verdict"] == "partly" and row["why"].startswith("-8%")
    assert "chosen as the one closest to this count, so the count is no independent check" in row["why"]


def test_verdict_table_reads_the_papers_parameter_count_as_half_of_ours(results_store):
    from cgcore.profiles import get_config
    from cgcore.report import verdict_table
    from cgcore.results import save_result

    result = {"orders": {"4": {"test_acc": 0.97, "terms": 292_825, "params": 2_928_250}}, "pruning": None}
    save_result("taylor_expansion", "smoke", get_config("taylor_expansion", "smoke"), result, device="cpu",
                wall_time_s=1.0)
    table = verdict_table("smoke").set_index("claim")
    why = table.loc["parameters of the order-4 expansion", "why"]
    assert why.startswith("+101%") and "half of ours, 1,464,125, is the paper's figure" in why


def test_verdict_table_sets_the_recipe_chosen_on_validation_beside_the_papers_claim(results_store):
    from cgcore.profiles import get_config
    from cgcore.report import verdict_table
    from cgcore.results import save_result

    save_result("taylor_expansion", "smoke", get_config("taylor_expansion", "smoke"),
                {"orders": {"4": {"test_acc": 0.97, "terms": 292_825, "params": 2_928_250}}, "pruning": None},
                device="cpu", wall_time_s=1.0)
    why = verdict_table("smoke").set_index("claim").loc["direct Taylor expansion, order 4, 7×7 MNIST, SGD in the kernel's weighting", "why"]
    assert why == "-1.0 points"                       # no tuning run stored: nothing beside it
    tuned = {"order": 4, "epochs": 2, "val_size": 50, "chosen": "b",
             "candidates": {"a": {"changes": {}, "val_acc": 0.9, "test_acc": 0.96},
                            "b": {"changes": {"lr": 3e-4}, "val_acc": 0.95, "test_acc": 0.9812}}}
    save_result("taylor_order4_tuning", "smoke", get_config("taylor_order4_tuning", "smoke"), tuned,
                device="cpu", wall_time_s=1.0)
    why = verdict_table("smoke").set_index("claim").loc["direct Taylor expansion, order 4, 7×7 MNIST, SGD in the kernel's weighting", "why"]
    assert why == "-1.0 points; 98.12% with the first fit's training recipe chosen on validation"
    kernel = {"schemes": {"one_vs_rest": {"degrees": {"2": {"test_acc": 0.95}, "4": {"test_acc": 0.9769}}}}}
    save_result("taylor_kernel_svm", "smoke", get_config("taylor_kernel_svm", "smoke"), kernel,
                device="cpu", wall_time_s=1.0)
    why = verdict_table("smoke").set_index("claim").loc["direct Taylor expansion, order 4, 7×7 MNIST, SGD in the kernel's weighting", "why"]
    assert why.endswith("; 97.69% for polynomial-kernel SVMs of degree 4, one per class, on the same images")


def test_thesis_verdict_ranks_against_the_relu_twin_and_lets_the_seed_repeats_decide(results_store):
    from cgcore.profiles import get_config
    from cgcore.report import baselines_table, thesis_verdict
    from cgcore.results import save_result

    assert thesis_verdict(baselines_table("smoke"), "smoke") == ""
    _store_training("taylornet_mnist7", {"taylornet": 0.9891, "cg_as_conv": 0.90}, {"taylornet": 26, "cg_as_conv": 10},
                    n_test=10_000)
    _store_training("baselines_mnist7", {"relu_cnn": 0.9902, "pinet": 0.9884}, {"relu_cnn": 13, "pinet": 20},
                    n_test=10_000)
    _store_training("taylornet_fashion", {"taylornet": 0.9135, "relu_cnn": 0.9221, "pinet": 0.9142},
                    {"taylornet": 50, "relu_cnn": 100, "pinet": 70}, n_test=10_000)
    text = thesis_verdict(baselines_table("smoke"), "smoke")
    # one run: 0.11 pp is within two standard errors (0.28 pp); 0.86 pp on Fashion-MNIST is not
    assert "level with it on 7×7 MNIST (-0.11 pp, one run); behind on Fashion-MNIST (-0.86 pp, one run)" in text
    assert "takes 0.5× to 2.0× the ReLU CNN's time" in text
    assert text.endswith("falls behind an ordinary network of its size on 1 of the 2 data sets, by 0.86 to 0.86 pp.")
    for name, claims in (("seeds_taylornet_mnist7", {"taylornet_mnist7_acc": [0.9891, 0.9887, 0.9896]}),
                         ("seeds_baselines_mnist7", {"relu_cnn_mnist7_acc": [0.9902, 0.9893, 0.9905],
                                                     "pinet_mnist7_acc": [0.9884, 0.9878, 0.9874]})):
        save_result(name, "smoke", get_config(name, "smoke"), {"seeds": [0, 1, 2], "claims": claims},
                    device="cpu", wall_time_s=1.0)
    text = thesis_verdict(baselines_table("smoke"), "smoke")
    # over three seeds the same gap is resolved: every seed has the TaylorNet behind
    assert "behind on 7×7 MNIST (-0.09 pp, the mean over 3 seeds), Fashion-MNIST (-0.86 pp, one run)" in text
    assert "95 % t interval -0.15 to -0.02 pp): the interval excludes zero" in text
    assert text.endswith("on 2 of the 2 data sets, by 0.09 to 0.86 pp.")


def test_low_orders_epochs_verdict_weighs_each_order_and_sets_order4_beside_order3():
    from cgcore.report import low_orders_epochs_verdict

    def row(val_acc, test_acc, epochs, changes=None):
        return {"val_acc": val_acc, "test_acc": test_acc, "changes": changes or {},
                "history": {"epoch": list(range(1, epochs + 1))}}

    def run(first, longer, epochs):
        rows = {"the first length": row(*first, epochs), "2 times as long": row(*longer, 2 * epochs,
                                                                                {"epochs": 2 * epochs})}
        return {"candidates": rows, "chosen": max(rows, key=lambda k: rows[k]["val_acc"])}

    # as a JSON store holds them: orders as strings
    lengths = {"val_size": 5000, "longer_factor": 2, "n_test": 10000,
               "orders": {"3": run((0.9730, 0.9744), (0.9760, 0.9755), 12),
                          "1": run((0.8800, 0.8869), (0.8810, 0.8870), 10)}}
    order4 = {"val_size": 5000, "chosen": "longer",
              "candidates": {"first": row(0.9726, 0.9719, 24), "longer": row(0.9758, 0.9747, 36, {"epochs": 36})}}
    text = low_orders_epochs_verdict(lengths, order4, {1: 20, 2: 20, 3: 24, 4: 36})
    assert ("and twice as long, on the same held-out images (experiment `taylor_low_orders_epochs`): "
            "order 1 88.00% → 88.10% (10 → 20 epochs), order 3 97.30% → 97.60% (12 → 24 epochs).") in text
    assert "Every order gains, each by less than two standard errors" in text
    assert "The chapter trains each for the length validation picks (order 1 20 epochs, order 3 24 epochs)." in text
    assert ("order 4 (36 epochs) tests 97.47% and order 3 (24) 97.55%: -0.08 points, within two standard "
            "errors.") in text
    # a chapter that trains an order for another length than the one picked says so
    assert "are not all those validation picks" in low_orders_epochs_verdict(lengths, order4, {1: 10, 3: 24})
    assert "The chapter" not in low_orders_epochs_verdict(lengths, order4)
    lengths_flat = {**lengths, "orders": {**lengths["orders"], "1": run((0.8800, 0.8869), (0.8790, 0.8870), 10)}}
    assert "No lower order gains beyond two standard errors" in low_orders_epochs_verdict(lengths_flat)
    lengths["orders"]["3"] = run((0.9700, 0.9744), (0.9790, 0.9780), 12)
    text = low_orders_epochs_verdict(lengths)
    assert "97.00% → 97.90% (12 → 24 epochs, beyond two standard errors of a difference)" in text
    assert "Order 3 gains beyond two standard errors of a difference from the longer run." in text
    assert "order 4" not in text
    assert "validation picks, order 4" not in low_orders_epochs_verdict(lengths, {**order4, "val_size": 4000})


def test_order4_epochs_verdict_weighs_longer_runs_against_the_first_length():
    from cgcore.report import order4_epochs_verdict

    def row(val_acc, epochs, changes=None):
        return {"val_acc": val_acc, "test_acc": val_acc + 0.001, "changes": changes or {},
                "history": {"epoch": list(range(1, epochs + 1))}}

    def lengths(first, longer):
        rows = {"the first length": row(first, 24), "half as long again": row(longer, 36, {"epochs": 36})}
        return {"order": 4, "val_size": 5000, "candidates": rows, "chosen": max(rows, key=lambda k: rows[k]["val_acc"])}

    tuning = {"order": 4, "val_size": 5000, "candidates": {"as taylor_expansion": row(0.9710, 12),
                                                           "AdamW": row(0.9750, 12, {"optimizer": "adamw"})}}
    text = order4_epochs_verdict(lengths(0.9720, 0.9725), tuning, 36)
    assert "Its first length, 24 epochs, was set by hand. On the same 5,000 held-out images" in text
    assert "97.10% after 12 epochs, 97.20% after 24 epochs, 97.25% after 36 epochs." in text
    assert "Validation picks 36 epochs, +0.05 points over the first length, within two standard errors" in text
    assert "on the test set 97.35% against 97.30%" in text and "still rises with the length" in text
    assert text.endswith("The chapter trains order 4 for these 36 epochs.")
    flat = order4_epochs_verdict(lengths(0.9720, 0.9725), {**tuning, "candidates": {"as taylor_expansion": row(0.9730, 12)}})
    assert "still rises" not in flat and "Validation picks 36 epochs" in flat             # 12 > 24 < 36
    text = order4_epochs_verdict(lengths(0.9720, 0.9790), chapter_epochs=24)
    assert "12 epochs" not in text and "+0.70 points over the first length, beyond two standard errors" in text
    assert text.endswith("The chapter trains order 4 for 24 epochs, not the length validation picks.")
    first = order4_epochs_verdict(lengths(0.9730, 0.9700), tuning, 24)
    assert first.endswith("Validation picks the first length. The chapter trains order 4 for these 24 epochs.")
    stored = lengths(0.9720, 0.9725)
    stored["candidates"] = dict(sorted(stored["candidates"].items()))      # as a JSON store may order them
    assert "97.20% after 24 epochs, 97.25% after 36 epochs" in order4_epochs_verdict(stored)
    del stored["candidates"]["the first length"]
    with pytest.raises(ValueError, match="no candidate at the first length"):
        order4_epochs_verdict(stored)


def _gamma_fits(d, val_accs, test_acc, gammas=(0.3, 1.0, 3.0), grid=(1.0, 3.0, 10.0)):
    rows = [{"gamma": g, "C_times_gamma": c, "C": c / g, "val_acc": a}
            for (g, c), a in zip([(g, c) for g in gammas for c in grid], val_accs)]
    return {"grid": rows, "chosen": max(rows, key=lambda row: row["val_acc"]), "test_acc": test_acc}


def test_kernel_gamma_table_and_verdict_read_the_grid_and_the_step_from_degree_3_to_4():
    from cgcore.report import kernel_gamma_table, kernel_gamma_verdict

    inside = [0.1, 0.2, 0.1, 0.1, 0.9, 0.1, 0.1, 0.2, 0.1]    # every gamma best in the middle; gamma 1 chosen
    result = {"n_test": 10_000, "augmented_copies": 1,
              "degrees": {"3": _gamma_fits("3", inside, 0.9825, grid=(10.0, 30.0, 100.0)),
                                            "4": _gamma_fits("4", inside, 0.9818)}}
    table = kernel_gamma_table(result)
    assert list(table.columns) == ["C·γ = 1", "C·γ = 3", "C·γ = 10", "C·γ = 30", "C·γ = 100"]
    assert table.loc[(3, "1"), "C·γ = 30"] == "90.00% (chosen)" and table.loc[(3, "1"), "C·γ = 1"] == "—"
    assert table.loc[(4, "0.3"), "C·γ = 3"] == "20.00%"
    text = kernel_gamma_verdict(result)
    assert "degree 4 picks γ = 1 and C = 3 " in text and "**98.18%**" in text
    assert "-0.07 points, no measurable step" in text and "does not lift order 4 above order 3" in text
    assert "grid's edge" not in text and "not fully searched" not in text
    rising = [0.1, 0.2, 0.3] + inside[3:]                       # gamma 0.3 best at its largest C x gamma
    assert "At γ = 0.3 the best C lies on the grid's edge (not fully searched)." in kernel_gamma_verdict(
        {**result, "degrees": {**result["degrees"], "4": _gamma_fits("4", rising, 0.9818)}})
    assert "with 1 augmented copy;" in text
    assert "no augmentation;" in kernel_gamma_verdict({**result, "augmented_copies": 0})
    edge = [0.1] * 9
    edge[8] = 0.9                                               # gamma 3, the largest C x gamma
    up = {**result, "degrees": {**result["degrees"], "4": _gamma_fits("4", edge, 0.9900)}}
    text = kernel_gamma_verdict(up)
    assert "The choice of degree 4 lies on the grid's edge" in text
    assert "a step up, beyond two standard errors" in text and "does not lift" not in text
    assert "C = 3.33 " in text                                  # 10 / 3


def _svm_row(val_acc, test_acc, n_fit, C=3.0):
    return {"val_acc": {"1.0": 0.5, str(C): val_acc}, "chosen_C": C, "test_acc": test_acc, "n_fit": n_fit}


# taylor_kernel_svm's one-vs-rest machines, plain and with one augmented copy, as the copies verdict reads them
_KERNEL_WITH_ONE_COPY = {"augmented_copies": 1, "schemes": {"one_vs_rest": {
    "degrees": {"2": _svm_row(0.97, 0.97, 60_000), "3": _svm_row(0.9788, 0.9798, 60_000),
                "4": _svm_row(0.9782, 0.9784, 60_000)},
    "augmented": {"3": _svm_row(0.9812, 0.9825, 120_000), "4": _svm_row(0.9802, 0.9818, 120_000)}}}}


def _copies_run(n_copies, val3, test3, val4, test4, grid):
    """A taylor_kernel_copies-style result: degrees 3 and 4 fit on 60,000 images and n_copies copies."""
    n_fit = 60_000 * (n_copies + 1)
    return {"augmented_copies": n_copies, "n_test": 10_000, "degrees": {
        "3": {"grid": grid, "chosen": {"val_acc": val3}, "test_acc": test3, "n_fit": n_fit},
        "4": {"grid": grid, "chosen": {"val_acc": val4}, "test_acc": test4, "n_fit": n_fit}}}


@pytest.mark.parametrize("degree4_test, reading", [
    (0.9830, "still not above degree 3 (-0.10 points; 2 SE 0.37); the step on test moves both ways, on validation "
             "it moves both ways: no amount of data tried puts order 4 measurably above order 3."),
    (0.9840, "level with degree 3 on test (98.40% each); the step on test rises with each copy"),
    (0.9850, "above degree 3 by 0.10 points (2 SE 0.34); the step on test rises with each copy, on validation "
             "it moves both ways: no amount of data tried"),
    (0.9900, "moves both ways: order 4 needs more than the 60,000 images to pull ahead of order 3."),
])
def test_kernel_copies_table_and_verdict_read_the_step_from_degree_3_to_4_by_copies(degree4_test, reading):
    from cgcore.report import kernel_copies_table, kernel_copies_verdict

    kernel = _KERNEL_WITH_ONE_COPY
    copies = _copies_run(2, 0.9820, 0.9840, 0.9830, degree4_test, [{"C": 3.0}, {"C": 10.0}])   # C chosen on a grid
    more = {"taylor_kernel_copies": copies}
    table = kernel_copies_table(kernel, more)
    assert list(table.index) == [0, 1, 2]
    assert list(table["images fit"]) == ["60,000", "120,000", "180,000"]
    assert table.loc[1, "degree 3, validation"] == "98.12%" and table.loc[0, "degree 4, test"] == "97.84%"
    assert table.loc[0, "degree 3 → 4, test"] == "-0.14 points"
    smoke = {"taylor_kernel_copies": {**copies, "degrees": {"2": copies["degrees"]["3"], "4": copies["degrees"]["4"]}}}
    assert kernel_copies_verdict(kernel, smoke) == ""                # no degree 3 with two copies: nothing to say
    assert list(kernel_copies_table(kernel, smoke).index) == [0, 1]
    plain_smoke = {"augmented_copies": 1, "schemes": {"one_vs_rest": {
        "degrees": {d: kernel["schemes"]["one_vs_rest"]["degrees"][d] for d in ("2", "4")}, "augmented": {}}}}
    assert kernel_copies_table(plain_smoke, smoke).empty            # the smoke profile's degrees 2 and 4
    text = kernel_copies_verdict(kernel, more)
    assert "with 0, 1, 2 augmented copies, -0.14, -0.07, " in text and "(-0.06, -0.10, +0.10 on validation)" in text
    assert text.startswith("More data (`taylor_kernel_copies`; up to 180,000 images)")
    assert "C chosen with fewer" not in text
    assert reading in text


def _paired_run(tests, reproduced=True):
    """A taylor_kernel_paired-style result: by copies, (only degree 3 right, only 4 right, p)."""
    out = {"degrees": [3, 4], "n_test": 10_000, "fits": {}, "paired": {}}
    for k, (only_3, only_4, p) in tests.items():
        step = (only_4 - only_3) / 10_000
        out["fits"][k] = {"3": {"test_acc": 0.98, "reproduced": True},
                          "4": {"test_acc": 0.98 + step, "reproduced": reproduced}}
        out["paired"][k] = {"only_a": only_3, "only_b": only_4, "step": step, "paired_se": 0.0009, "p_value": p}
    return out


@pytest.mark.parametrize("tests, reproduced, reading", [
    ({"0": (60, 46, 0.21), "3": (50, 51, 1.0)}, True,
     "With no number of copies is degree 4 measurably above degree 3 (p < 0.05). Each refit reproduced its run's "
     "test accuracy."),
    ({"0": (70, 40, 0.005), "3": (50, 51, 1.0)}, True,
     "With no number of copies is degree 4 measurably above degree 3 (p < 0.05); it is measurably below it with 0 "
     "copies. Each refit reproduced its run's test accuracy."),
    ({"0": (60, 46, 0.21), "3": (30, 60, 0.002)}, False,
     "Degree 4 is measurably above degree 3 (p < 0.05) with 3 copies. These refits did not give their run's stored "
     "test accuracy, so they are not quite the machines above: 0 copies, degree 4, 3 copies, degree 4."),
])
def test_kernel_paired_verdict_reads_each_number_of_copies_image_by_image(tests, reproduced, reading):
    from cgcore.report import kernel_paired_table, kernel_paired_verdict

    paired = _paired_run(tests, reproduced)
    text = kernel_paired_verdict(paired)
    discordant = sorted(a + b for a, b, _ in tests.values())
    assert text.startswith(f"**Image by image** (`taylor_kernel_paired`): refit at the C their runs chose, degrees "
                           f"3 and 4 disagree on only {discordant[0]} to {discordant[-1]} of the same 10,000 test "
                           "images, so the step's paired 2 SE is 0.18 points, not the 0.40 of independent "
                           "accuracies.")
    only_3, only_4, p = tests["3"]                     # the most copies read in the text, all in the table
    assert (f"With 3 augmented copies, {only_4} images only degree 4 gets right and {only_3} only degree 3 "
            f"({(only_4 - only_3) / 100:+.2f} points, McNemar p = {p:.2f}): degree 4 gains at most "
            f"{(only_4 - only_3) / 100 + 0.18:.2f} points there (step + 2 SE). ") in text
    assert text.endswith(reading)
    table = kernel_paired_table(paired)
    assert list(table.index) == [int(k) for k in tests]
    assert list(table["only degree 3 right"]) == [a for a, _, _ in tests.values()]
    assert list(table["McNemar p"]) == [f"{p:.2f}" for _, _, p in tests.values()]
    assert table.loc[3, "degree 3 → 4"] == f"{(only_4 - only_3) / 100:+.2f} points"


def test_kernel_paired_line_reads_the_most_copies_or_says_it_is_not_computed():
    from cgcore.report import kernel_paired_line

    stored = {"result": _paired_run({"0": (60, 46, 0.21), "3": (45, 46, 1.0)})}
    assert kernel_paired_line(stored, "... the two") == (
        "... the two, with 3 augmented copies: 46 images only degree 4 gets right and 45 only degree 3 "
        "(+0.01 points, McNemar p = 1.00)")
    assert kernel_paired_line(None, "... the two") == "... the two: not computed yet"


def test_kernel_copies_verdict_reads_every_run_and_says_which_took_the_c_chosen_with_fewer_copies():
    from cgcore.report import kernel_copies_table, kernel_copies_verdict

    kernel = _KERNEL_WITH_ONE_COPY
    more = {"taylor_kernel_copies": _copies_run(2, 0.9832, 0.9837, 0.9818, 0.9837, [{"C": 3.0}, {"C": 10.0}]),
            "taylor_kernel_copies3": _copies_run(3, 0.9830, 0.9840, 0.9826, 0.9852, [{"C": 3.0}])}
    assert list(kernel_copies_table(kernel, more)["images fit"]) == ["60,000", "120,000", "180,000", "240,000"]
    text = kernel_copies_verdict(kernel, more)
    assert text.startswith("More data (`taylor_kernel_copies`, `taylor_kernel_copies3`; up to 240,000 images): "
                           "from degree 3 to 4 with 0, 1, 2, 3 augmented copies, -0.14, -0.07, +0.00, +0.12 test "
                           "points (-0.06, -0.10, -0.14, -0.04 on validation; with 3, each degree at the C chosen "
                           "with fewer). Degree 4 is above degree 3 by 0.12 points")
    assert "the step on test rises with each copy, on validation it moves both ways" in text
    # with the paired test below to conclude, the steps alone
    assert kernel_copies_verdict(kernel, more, conclude=False) == text.split(" Degree 4 is above")[0]


def test_kernel_table_and_verdict_weigh_the_svm_against_the_paper_and_our_fit():
    from cgcore.report import kernel_table, kernel_verdict

    expansion = {"orders": {"3": {"test_acc": 0.9744}, "4": {"test_acc": 0.9730}}}
    ovr = {"degrees": {
        "3": {"val_acc": {"1.0": 0.977}, "chosen_C": 1.0, "test_acc": 0.9767, "support_vectors": 7271},
        "4": {"val_acc": {"0.3": 0.975, "1.0": 0.978}, "chosen_C": 1.0, "test_acc": 0.9769, "support_vectors": 6966}}}
    ovo = {"degrees": {"4": {**ovr["degrees"]["4"], "test_acc": 0.9760}}}
    kernel = {"n_test": 10_000, "schemes": {"one_vs_rest": ovr, "one_vs_one": ovo}}
    table = kernel_table(kernel, expansion)
    rest = (4, "one vs rest (Eq. (3)'s form)", "plain")
    assert table.loc[rest, "SVM, validation"] == "97.80%"
    assert table.loc[rest, "Eq. (3) by Adam, test"] == "97.30%"
    assert table.loc[rest, "C (chosen on validation)"] == "1 (grid's edge)"   # 1 is the grid's top
    assert table.loc[(3, "one vs rest (Eq. (3)'s form)", "plain"), "C (chosen on validation)"] == "1 (grid's edge)"
    assert table.loc[(4, "one vs one (45 pairs voting)", "plain"), "SVM, test"] == "97.60%"
    assert list(table.index.get_level_values(0)) == [3, 4, 4]       # by degree, both splits together
    text = kernel_verdict(kernel, expansion)
    assert "**97.69%**" in text and "-0.31 points from the paper's" in text
    assert "(one standard error: 0." in text and "(degree 2)" not in text
    assert "points at the 7×7 images" in text                  # 0.31 points is over two standard errors
    assert "so our missing step from order 3 to 4 belongs to these" in text   # +0.02: no step
    ours_steps = {"orders": {"3": {"test_acc": 0.9700}, "4": {"test_acc": 0.9760}}}      # ours gains 0.6 points
    assert "where our fit gains over order 3" in kernel_verdict(kernel, ours_steps)
    assert "belongs to these polynomials" not in kernel_verdict(kernel, ours_steps)
    assert "is within its reach" not in text          # degree 4 is the best fit itself
    assert "97.60%" not in text                                  # the one-vs-one machines: in the table only
    reached = {**kernel, "schemes": {"one_vs_rest": {"degrees": {"4": {**ovr["degrees"]["4"], "test_acc": 0.9805}}}}}
    assert "order 4's level (the step from order 3 aside) lies in how we train it" in kernel_verdict(reached, expansion)
    augmented = {**kernel, "augmented_copies": 1, "schemes": {
        **kernel["schemes"], "one_vs_rest": {**ovr, "augmented": {"4": {**ovr["degrees"]["4"], "test_acc": 0.9812}}}}}
    assert len(kernel_table(augmented, expansion)) == 4
    text = kernel_verdict(augmented, expansion)
    assert "1 augmented copy of each, they score 98.12%." in text and "lies in how we train it" in text
    def with_augmented(acc3):          # degrees 3 and 4 fit again on the same augmented images
        return {**augmented, "schemes": {"one_vs_rest": {**ovr, "augmented": {
            "3": {**ovr["degrees"]["3"], "test_acc": acc3}, "4": {**ovr["degrees"]["4"], "test_acc": 0.9818}}}}}
    text = kernel_verdict(with_augmented(0.9825), expansion)
    assert ("they score 98.18%, against 98.25% at degree 3 fit the same way: again no measurable step from degree 3 "
            "to 4 (-0.07 points). Augmented or not, order 4 does not improve on order 3: the paper's "
            "\"systematically improved\" holds here up to order 3.") in text    # the plain step, +0.02, is flat too
    assert "the best of these fits, 98.25% (degree 3 with augmented copies), is within its reach" in text
    assert "here degree 4 does improve on degree 3 (+1.18 points" in kernel_verdict(with_augmented(0.9700), expansion)
    assert "degree 3 scores higher, by 0.82 points" in kernel_verdict(with_augmented(0.9900), expansion)
    close = {**augmented, "schemes": {"one_vs_rest": {**ovr, "augmented": {"4": {**ovr["degrees"]["4"],
                                                                               "test_acc": 0.9779}}}}}
    text = kernel_verdict(close, expansion)                    # 0.21 points short: within two standard errors
    assert ("the best of these fits, 97.79% (degree 4 with augmented copies), is within its reach. That "
            "best, 97.79%, is within two standard errors of the paper's figure without reaching it, and +0.49 points "
            "from our order 4: part of our shortfall lies in how we fit the polynomials.") in text
    lower = {**kernel, "schemes": {"one_vs_rest": {"degrees": {**ovr["degrees"], "3": {**ovr["degrees"]["3"],
                                                                                        "test_acc": 0.9798}}}}}
    text = kernel_verdict(lower, expansion)                     # degree 3 is a fit order 4 holds
    assert "the best of these fits, 97.98% (degree 3), is within its reach." in text
    assert "within two standard errors of the paper's figure" in text and "points at the 7×7 images" not in text
    stepped = {**kernel, "schemes": {"one_vs_rest": {"degrees": {**ovr["degrees"], "3": {**ovr["degrees"]["3"],
                                                                                          "test_acc": 0.9700}}}}}
    text = kernel_verdict(stepped, expansion)                   # +0.69 points: degree 4 does improve
    assert "belongs to these polynomials" not in text
    assert "does improve on degree 3 (+0.69 points" in text and "the flat step of ours lies in how we train" in text
    assert kernel_verdict({**kernel, "schemes": {"one_vs_rest": {"degrees": {"3": ovr["degrees"]["3"]}}}},
                          expansion) == ""
    assert kernel_verdict({**kernel, "schemes": {"one_vs_one": ovo}}, expansion) == ""


def test_order4_fit_choice_ranks_every_fit_of_order_4_on_the_same_held_out_images():
    from cgcore.experiments.taylor_fit_choice import claims, order_fits
    from cgcore.report import order4_fit_choice

    tuning = {"order": 4, "val_size": 5000, "candidates": {
        "as taylor_expansion": {"val_acc": 0.9710, "test_acc": 0.9722},
        "degree scale 0.5": {"val_acc": 0.9728, "test_acc": 0.9722}}}
    machine = {"val_acc": {"1.0": 0.9770, "3.0": 0.9782}, "chosen_C": 3.0, "test_acc": 0.9784}
    kernel = {"n_val": 5000, "augmented_copies": 1,
              "schemes": {"one_vs_rest": {"degrees": {"4": machine, "3": {**machine, "test_acc": 0.99}},
                                                         "augmented": {"4": {**machine, "val_acc": {"3.0": 0.9802},
                                                                             "test_acc": 0.9818}}},
                                         "one_vs_one": {"degrees": {"4": {**machine, "val_acc": {"3.0": 0.999}}}}}}

    def chosen(tuning, kernel):
        fits = order_fits(tuning, kernel)
        return {"order": tuning["order"], "val_size": tuning["val_size"], "fits": fits,
                "chosen": max(fits, key=lambda name: fits[name]["val_acc"])}

    choice = chosen(tuning, kernel)
    assert len(choice["fits"]) == 4          # two gradient fits, two one-vs-rest machines of order 4 (not 3, not 1-vs-1)
    text = order4_fit_choice(choice)
    assert text.startswith("Ranked on the same 5,000 held-out training images, the 4 fits of order 4 stored here "
                           "score 97.10% to 98.02% on validation, and validation picks *the max-margin machines, "
                           "with 1 augmented copy*, +0.74 points over the best gradient fit (*gradient descent, degree scale 0.5*; 2.7 "
                           "standard errors of a difference). Its test accuracy is **98.18%**")
    assert claims(choice) == {"taylor_order4_chosen_acc": 0.9818}
    # a gradient fit on top: no margin over itself
    ahead = {**tuning, "candidates": {**tuning["candidates"], "b": {"val_acc": 0.9900, "test_acc": 0.985}}}
    assert "validation picks *gradient descent, b*. Its test accuracy is **98.50%**" in order4_fit_choice(
        chosen(ahead, kernel))
    # the first fit's unchanged candidate is shown by what it is, not by the experiment it copied
    first_ahead = {**tuning, "candidates": {**tuning["candidates"], "as taylor_expansion": {"val_acc": 0.99,
                                                                                            "test_acc": 0.985}}}
    assert "validation picks *gradient descent, the first fit unchanged*." in order4_fit_choice(
        chosen(first_ahead, kernel))
    assert claims(chosen({**tuning, "order": 2}, kernel)) == {}             # the paper gives order 4 alone a number
    with pytest.raises(ValueError, match="different numbers of images \\(100 and 5000\\)"):
        order_fits({**tuning, "val_size": 100}, kernel)
    more = {"n_val": 5000, "augmented_copies": 2,
            "degrees": {"4": {"chosen": {"val_acc": 0.9818}, "test_acc": 0.9837}, "3": {"chosen": {"val_acc": 0.999}}}}
    fits = order_fits(tuning, kernel, more)
    assert len(fits) == 5 and fits["the max-margin machines, with 2 augmented copies"] == {
        "method": "max-margin", "val_acc": 0.9818, "test_acc": 0.9837}                 # its order 4, not its order 3
    with pytest.raises(ValueError, match="different numbers of images \\(5000 and 100\\)"):
        order_fits(tuning, kernel, {**more, "n_val": 100})
    with pytest.raises(ValueError, match="different numbers of images \\(5000 and 100\\)"):
        order_fits(tuning, kernel, more, geometry={"lengths": {"val_size": 100, "orders": {}}, "orders": {}})


def test_order4_choice_reads_both_stored_runs_and_says_when_one_is_stored_again(store, run_smoke):
    from cgcore.experiments import run_experiment
    from cgcore.experiments.taylor_fit_choice import stale_sources

    with pytest.raises(FileNotFoundError, match="python -m cgcore run taylor_order4_tuning --profile smoke"):
        run_experiment("taylor_order4_choice", "smoke", progress=False)
    tuning = run_smoke("taylor_order4_tuning")["result"]                 # order 2 at the smoke profile
    kernel = run_smoke("taylor_kernel_svm")["result"]
    with pytest.raises(FileNotFoundError, match="python -m cgcore run taylor_kernel_copies --profile smoke"):
        run_experiment("taylor_order4_choice", "smoke", progress=False)
    more = run_smoke("taylor_kernel_copies")["result"]
    with pytest.raises(FileNotFoundError, match="python -m cgcore run taylor_kernel_copies3 --profile smoke"):
        run_experiment("taylor_order4_choice", "smoke", progress=False)
    most = run_smoke("taylor_kernel_copies3")["result"]
    with pytest.raises(FileNotFoundError, match="python -m cgcore run taylor_kernel_geometry --profile smoke"):
        run_experiment("taylor_order4_choice", "smoke", progress=False)
    geometry = run_smoke("taylor_kernel_geometry")["result"]
    result = run_smoke("taylor_order4_choice")["result"]
    machines = kernel["schemes"]["one_vs_rest"]
    # the geometry's fit: validated at the length chosen, tested after training on all images
    lengths = geometry["lengths"]["orders"]["2"]
    assert result["fits"]["gradient descent in the kernel's weighting"] == {
        "method": "gradient descent", "val_acc": lengths["candidates"][lengths["chosen"]]["val_acc"],
        "test_acc": geometry["orders"]["2"]["test_acc"]}
    assert result["order"] == 2 and set(result["fits"]) == (
        {f"gradient descent, {name}" for name in tuning["candidates"]} | {"gradient descent in the kernel's weighting"}
        | {"the max-margin machines", "the max-margin machines, with 1 augmented copy",
           "the max-margin machines, with 2 augmented copies", "the max-margin machines, with 3 augmented copies"})
    assert result["fits"]["the max-margin machines, with 3 augmented copies"]["test_acc"] == (
        most["degrees"]["2"]["test_acc"])
    assert result["fits"]["the max-margin machines"]["test_acc"] == machines["degrees"]["2"]["test_acc"]
    assert result["fits"]["the max-margin machines, with 2 augmented copies"] == {
        "method": "max-margin", "val_acc": more["degrees"]["2"]["chosen"]["val_acc"],
        "test_acc": more["degrees"]["2"]["test_acc"]}
    best = max(row["val_acc"] for row in result["fits"].values())
    assert result["fits"][result["chosen"]]["val_acc"] == best
    assert stale_sources(result, "smoke") == []
    with pytest.raises(ValueError, match="drawn from seed 1; the runs read were made with seeds"):
        run_experiment("taylor_order4_choice", "smoke", progress=False, seed=1)
    run_smoke("taylor_kernel_svm")                                        # stored again, after the choice
    assert stale_sources(result, "smoke") == ["taylor_kernel_svm"]


def test_longer_verdict_weighs_the_step_on_validation_against_two_standard_errors():
    from cgcore.report import longer_verdict

    def run(val_acc, epochs):
        return {"val_acc": val_acc, "test_acc": 0.9945, "history": {"epoch": list(range(1, epochs + 1))}}

    tuned = {"val_size": 5000, "n_train": 55000, "chosen": "long", "candidates": {"long": run(0.9950, 30)}}

    def longer(val_acc):
        return {"val_size": 5000, "n_train": 55000, "chosen": "longer", "candidates": {"longer": run(val_acc, 60)}}

    # two standard errors of a difference at 99.5 % on 5,000 images: 0.28 points
    text = longer_verdict(longer(0.9960), tuned)
    assert "for 60 epochs instead of 30" in text and "99.60% on the held-out images against 99.50%, +0.10 points" in text
    assert "no measurable gain" in text
    assert "would have been chosen" in longer_verdict(longer(0.9980), tuned)
    hurts = longer(0.9920)
    assert "longer training hurts" in longer_verdict(hurts, tuned) and "batches to" not in longer_verdict(hurts, tuned)
    hurts["candidates"]["longer"]["train_acc"], tuned["candidates"]["long"]["train_acc"] = 0.9985, 0.9978
    assert "fits its augmented training batches to 99.85%, against 99.78% in 30 epochs" in longer_verdict(hurts, tuned)


def test_averaged_verdict_sets_the_averaged_network_beside_the_weights_it_trained():
    from cgcore.report import averaged_verdict

    def history(epochs):
        return {"epoch": list(range(1, epochs + 1))}

    tuned = {"val_size": 5000, "n_train": 55000, "chosen": "long",
             "candidates": {"long": {"val_acc": 0.9946, "history": history(30)}}, "refit": {"test_acc": 0.9941}}

    def averaged(val_acc, raw_val_acc=0.9946, test_acc=0.9950, raw_test_acc=0.9941):
        row = {"val_acc": val_acc, "raw_val_acc": raw_val_acc, "changes": {"ema_decay": 0.9995}, "history": history(30)}
        return {"val_size": 5000, "n_train": 55000, "n_test": 10000, "chosen": "avg", "candidates": {"avg": row},
                "refit": {"n_train": 60000, "test_acc": test_acc, "raw_test_acc": raw_test_acc}}

    text = averaged_verdict(averaged(0.9950), tuned, batch_size=128)
    # 1 / (1 - 0.9995) = 2,000 steps; 55,000 images in batches of 128: 430 steps an epoch
    assert "a memory of about 2,000 steps, the last 4.7 of 30 epochs" in text
    assert "scores 99.50%, the weights it trained 99.46% (the tuning run's chosen candidate again" in text
    assert "+0.04 points, within 2 standard errors" in text
    assert ("**99.50%** on the test set and the weights it trained 99.41% (the reported network above, to the last "
            "digit): +0.09 points, within 2 standard errors of a difference (0.22 points;") in text
    assert text.endswith("prefers the averaged network, by less than the split can tell.")
    assert averaged_verdict(averaged(0.9990), tuned, batch_size=128).endswith("prefers the averaged network.")
    worse = averaged_verdict(averaged(0.9940, raw_val_acc=0.9947, raw_test_acc=0.9944), tuned, batch_size=128)
    assert "chosen candidate measured 99.46%" in worse and "the reported network above" not in worse
    assert "99.44%: +0.06 points, within" in worse
    assert "+0.59 points, beyond 2 standard errors" in averaged_verdict(averaged(0.9950, test_acc=1.0), tuned, 128)
    assert worse.endswith("averaging is not what the recipe lacks.")
    other_split = averaged(0.9950)
    other_split["val_size"] = 4000
    assert averaged_verdict(other_split, tuned, batch_size=128) == ""


def test_a_step_is_within_at_or_beyond_two_standard_errors():
    from cgcore.report import against_two_se

    assert against_two_se(0.0010, 0.001) == "within" and against_two_se(-0.0030, 0.001) == "beyond"
    assert against_two_se(0.0022, 0.00108) == "at"        # +0.22 points against 2 SE of 0.22 points


def test_tta_verdict_lists_every_reading_and_weighs_the_chosen_one_against_the_same_network():
    from cgcore.report import tta_verdict

    def reading(weights, draws, val_acc, test_acc):
        return {"weights": weights, "draws": draws, "val_acc": val_acc, "test_acc": test_acc}

    readings = {f"{w} weights, {d} draws": reading(w, d, v, t)
                for w, d, v, t in [("trained", 0, 0.9946, 0.9941), ("trained", 8, 0.9954, 0.9952),
                                   ("averaged", 0, 0.9940, 0.9938), ("averaged", 8, 0.9950, 0.9947)]}
    tta = {"readings": readings, "chosen": "trained weights, 8 draws", "val_size": 5000, "n_test": 10000}
    text = tta_verdict(tta)
    assert "over it and 0 or 8 copies" in text
    assert "trained weights 99.46%, 99.54%; averaged weights 99.40%, 99.50%." in text
    assert ("with 8 draws: **99.52%** on the test set, against 99.41% for the same network without test-time copies "
            "(+0.11 points, within 2 standard errors") in text
    assert text.endswith("on the test set, for the record: trained weights 99.41%, 99.52%; averaged weights 99.38%, "
                         "99.47%.")
    text = tta_verdict({**tta, "chosen": "averaged weights, 0 draws"})
    assert text.endswith("averaged weights without test-time copies (test 99.38%): test-time augmentation is not what "
                         "the recipe lacks.")


def test_averaged_seed_verdict_says_whether_averaging_moves_every_seed_the_same_way(results_store):
    from cgcore.profiles import get_config
    from cgcore.report import averaged_seed_verdict
    from cgcore.results import save_result

    assert averaged_seed_verdict("smoke") == ""
    config = get_config("seeds_taylornet_mnist_averaged", "smoke")

    def store(averaged, trained):
        save_result("seeds_taylornet_mnist_averaged", "smoke", config,
                    {"seeds": [0, 1, 2], "claims": {"taylornet_averaged_before_refit_mnist_acc": averaged,
                                                    "taylornet_averaged_raw_before_refit_mnist_acc": trained}},
                    wall_time_s=1.0, device="cpu")

    store([0.9950, 0.9948, 0.9952], [0.9945, 0.9944, 0.9950])
    text = averaged_seed_verdict("smoke")
    assert "seed 0 99.50% against 99.45%; seed 1 99.48% against 99.44%; seed 2 99.52% against 99.50%" in text
    assert "+0.05, +0.04, +0.02 points (mean +0.04 ± 0.02), up at every seed." in text
    assert "Equal scores" not in text
    store([0.9950, 0.9950, 0.9952], [0.9945, 0.9944, 0.9950])
    assert "Equal scores here are equal counts of correct test images, not equal networks" in averaged_seed_verdict("smoke")
    store([0.9950, 0.9940, 0.9952], [0.9945, 0.9944, 0.9950])
    assert averaged_seed_verdict("smoke").endswith("not the same way at every seed: its effect is within what the "
                                                   "seed moves.")


def test_tuned_seed_verdict_places_the_papers_figure_against_the_seed_spread(results_store):
    from cgcore.profiles import get_config
    from cgcore.report import tuned_seed_verdict
    from cgcore.results import save_result

    assert tuned_seed_verdict("smoke") == ""                   # nothing stored: nothing said
    config = get_config("seeds_taylornet_mnist_tuned", "smoke")

    def store(values):
        save_result("seeds_taylornet_mnist_tuned", "smoke", config,
                    {"seeds": [0, 1, 2], "claims": {"taylornet_tuned_mnist_acc": values}}, device="cpu", wall_time_s=1.0)
        return tuned_seed_verdict("smoke")

    text = store([0.9925, 0.9930, 0.9920])                     # mean 99.25, sd 0.05: the paper's 99.2 at -1 sd
    assert "**99.25% ± 0.05** points" in text and "-0.05 points from the mean, -1.0 standard deviations" in text
    assert text.endswith("may land on either side of the paper's figure.")
    assert store([0.9945, 0.9946, 0.9944]).endswith("above the paper's figure by more than the seed spread: the seed "
                                                    "does not decide it.")
    assert store([0.9900, 0.9901, 0.9899]).endswith("the seed does not explain it.")
    assert "refit" not in text              # a repeat stored without the before-refit claim is not called a refit
    # the same seeds before the refit: each step, and whether they agree in sign
    save_result("seeds_taylornet_mnist_tuned", "smoke", config,
                {"seeds": [0, 1, 2], "claims": {"taylornet_tuned_mnist_acc": [0.9941, 0.9946, 0.9946],
                                                "taylornet_tuned_before_refit_mnist_acc": [0.9945, 0.9951, 0.9951]}},
                device="cpu", wall_time_s=1.0)
    text = tuned_seed_verdict("smoke")
    assert "The chosen recipe, refit on all training images, at seeds 0, 1, 2" in text
    assert "the same seeds scored 99.45%, 99.51%, 99.51% (mean 99.49%)" in text
    assert text.endswith("the refit moves each by -0.04, -0.05, -0.05 points, always the same way.")


def test_pruning_table_and_verdict_set_the_max_margin_polynomial_beside_the_chapters_fit():
    from cgcore.report import kernel_locality_readings, pruning_table, pruning_verdict

    result = {"orders": {"4": {"test_acc": 0.973}},
              "pruning": {"order": 4, "keep": [0.5, 0.3, 0.1], "test_acc": [0.974, 0.974, 0.96],
                          "test_acc_centred": [0.973, 0.963, 0.877]}}
    shares = {"top_near": 0.1, "all_near": 0.2, "top_far": 0.4, "all_far": 0.3}
    machine = {"test_acc": 0.9818, "locality": {"u": shares, "x_at_zero": shares},
               "pruning": {"keep": [0.5, 0.3, 0.1], "test_acc": [0.98, 0.97, 0.70], "test_acc_centred": [0.98, 0.97, 0.8]}}
    kernel = {"schemes": {"one_vs_rest": {"augmented": {"3": {"as_eq3": {k: v for k, v in machine.items()
                                                                          if k != "pruning"}},
                                                        "4": {"as_eq3": machine}}}}}
    alone = pruning_table(result)
    assert list(alone.columns) == ["the chapter's fit", "the chapter's fit, re-centred"]
    assert alone.loc["100%", "the chapter's fit"] == "97.30% (+0.00)"
    assert alone.loc["10%", "the chapter's fit, re-centred"] == "87.70% (-9.60)"
    both = pruning_table(result, kernel)
    assert list(both.columns) == ["the chapter's fit", "the chapter's fit, re-centred", "max-margin fit"]
    assert both.loc["10%", "max-margin fit"] == "70.00% (-28.18)"
    assert pruning_verdict(result) == "" and pruning_verdict(result, {"schemes": {}}) == ""
    text = pruning_verdict(result, kernel)
    assert "own full model with 50 %, 30 %, 10 % kept: the paper's +0.00 / -0.83 / -13.00; " in text
    assert "the chapter's fit's +0.10 / +0.10 / -1.30; the max-margin fit's -0.18 / -1.18 / -28.18 points." in text
    # changes: -0.18 is further from 0 than +0.10; -1.18 nearer -0.83 than +0.10; -28.18 further from -13 than -1.30
    assert "The chapter's fit is the nearest to the paper's at 50 %, 10 %. The max-margin fit is the nearest to the " \
           "paper's at 30 %." in text
    assert "Neither loses" not in text                       # the max-margin fit loses more than the paper's
    first = {"orders": {"4": {"test_acc": 0.974}}, "pruning": {"order": 4, "keep": [0.5, 0.3, 0.1],
                                                              "test_acc": [0.974, 0.966, 0.85]}}
    three = pruning_table(result, kernel, first)
    assert list(three.columns)[-1] == "first fit" and three.loc["10%", "first fit"] == "85.00% (-12.40)"
    text = pruning_verdict(result, None, first)              # the first fit alone beside the chapter's
    assert text.endswith("the first fit's +0.00 / -0.80 / -12.40 points. The first fit is the nearest to the "
                         "paper's at every level.")
    assert "first fit" not in pruning_table(result, None, {**first, "pruning": {**first["pruning"], "order": 3}})
    flat = {**result, "pruning": {**result["pruning"], "test_acc": [0.973, 0.973, 0.9731]}}   # loses nothing
    assert "We think this is its weighting" in pruning_verdict(flat, None, first, weighting="kernel")
    assert "We think" not in pruning_verdict(flat, None, first, weighting="standardised")
    assert "We think" not in pruning_verdict(result, None, first, weighting="kernel")   # -1.30 at 10 %
    # pruned at other fractions than the chapter's fit: not set beside it
    other = {"schemes": {"one_vs_rest": {"augmented": {"4": {"as_eq3": {**machine, "pruning": {
        **machine["pruning"], "keep": [0.5, 0.2, 0.1]}}}}}}}
    assert "max-margin fit" not in pruning_table(result, other) and pruning_verdict(result, other) == ""
    machine["pruning"]["test_acc"] = [0.9818, 0.9818, 0.9815]
    assert "at every level" not in pruning_verdict(result, kernel)
    assert pruning_verdict(result, kernel).endswith("Neither loses at 10 % what the paper's fit loses.")
    readings = kernel_locality_readings(kernel)
    assert list(readings) == [f"order {d}, max-margin fit, {b}, largest fifth by magnitude" for d in (3, 4)
                              for b in ("u_i u_j", "x_i x_j at the black image")]
    assert kernel_locality_readings(None) == {}


def test_fig2_draws_the_max_margin_fits_and_the_first_fit_beside_the_chapters():
    from cgcore import plots

    result = {"orders": {str(o): {"test_acc": acc} for o, acc in zip(range(1, 5), (0.88, 0.96, 0.97, 0.973))}}
    alone = plots.order_sweep(result).axes[0]
    assert [t.get_text() for t in alone.get_legend().get_texts()] == ["ours (SGD, kernel weighting)",
                                                                      "paper (stated in text)"]
    first = {"orders": {"4": {"test_acc": 0.974}, "2": {"test_acc": 0.96}}}
    lines = {line.get_label(): line for line in plots.order_sweep(result, first_fit=first).axes[0].get_lines()}
    assert list(lines["ours (Adam, standardised), first fit"].get_xdata()) == [2, 4]   # sorted by order
    with pytest.raises(ValueError, match="weighting"):
        plots.order_sweep(result, weighting="raw")
    kernel = {"schemes": {"one_vs_rest": {"degrees": {"2": {"test_acc": 0.975}, "4": {"test_acc": 0.978}},
                                          "augmented": {"4": {"test_acc": 0.9818}, "3": {"test_acc": 0.9825}}}}}
    ax = plots.order_sweep(result, kernel=kernel).axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines["ours (max-margin, augmented copy)"].get_xdata()) == [3, 4]      # sorted by degree
    assert list(lines["ours (max-margin)"].get_ydata()) == [0.975, 0.978]


def test_locality_verdict_says_which_readings_are_local_and_whether_the_fit_decides_it():
    from cgcore.report import CHAPTER_FIT, FIRST_FIT, MARGIN_FIT, locality_verdict

    local = {"top_near": 0.32, "all_near": 0.17, "top_far": 0.08, "all_far": 0.28}
    spread = {"top_near": 0.07, "all_near": 0.17, "top_far": 0.38, "all_far": 0.28}

    def named(fit, shares):
        return {f"order 4, {fit}, {basis}, largest fifth by magnitude": shares for basis in ("u_i u_j", "x_i x_j")}

    first, chapter, margin = named(FIRST_FIT, spread), named(CHAPTER_FIT, local), named(MARGIN_FIT, local)
    assert locality_verdict(first).endswith("nor the basis is what separates our Fig. 3 from the paper's.")
    assert ", nor the fit is what" in locality_verdict({**first, **named(MARGIN_FIT, spread)})
    text = locality_verdict({**first, **chapter, **margin})
    assert ("in all 4 readings of the fits in the kernel machines' geometry (the machines and the chapter's fit, SGD "
            "in the machines' weighting) and in none of the other 2 (those of the first fit). So the fit decides it: the "
            "same polynomials, fit to the maximum margin or fit by SGD in the machines' weighting, hold") in text
    assert "We think" in text
    assert "The data hold it before any fit" in locality_verdict({**first, **chapter, **margin}, local)
    # a reading of the chapter's fit that is not local: the fit no longer decides it
    mixed = locality_verdict({**first, **margin, **named(CHAPTER_FIT, spread)})
    assert mixed.startswith("Near pairs are favoured (more than their share of all pairs near, less far): "
                            "*order 4, max-margin fit, u_i u_j, largest fifth by magnitude*; ")
    assert "The other readings by magnitude do not favour them." in mixed
    # the caption's levels by signed value are read apart from the magnitudes
    levels = {f"order 4, {CHAPTER_FIT}, u_i u_j, L{k} by signed value": shares for k, shares in ((5, spread), (1, local))}
    text = locality_verdict({**first, **chapter, **margin, **levels})
    assert "in all 4 readings" in text
    assert text.endswith("Cut by signed value, as the caption cuts its levels, L5 and L1 of the chapter's fit do not "
                         "all favour near pairs (only L1 does): the locality shows in the magnitudes, not in each "
                         "sign's level.")
    only_machines = locality_verdict({**first, **margin}, geometry_fits=(MARGIN_FIT,))
    assert "readings of the fits in the kernel machines' geometry (the machines) and in none" in only_machines
    assert "the same polynomials, fit to the maximum margin, hold" in only_machines
    levels = {name: local for name in levels}
    assert locality_verdict({**chapter, **levels}).endswith("L5 and L1 of the chapter's fit favour near pairs too.")


def test_locality_readings_name_each_order_and_basis_with_the_fit():
    from cgcore.report import CHAPTER_FIT, FIRST_FIT, locality_readings, locality_verdict

    shares = {"top_near": 0.35, "all_near": 0.17, "top_far": 0.05, "all_far": 0.28}
    by_order = {"4": {"u": shares, "x_at_zero": shares}, "3": {"u": shares, "x_at_zero": shares}}
    readings = locality_readings(by_order, CHAPTER_FIT)
    assert list(readings) == [f"order {d}, the chapter's fit, {b}, largest fifth by magnitude"
                              for d in (3, 4) for b in ("u_i u_j", "x_i x_j at the black image")]
    assert locality_readings({}, FIRST_FIT) == {}
    # the names are what locality_verdict groups the fits by
    assert "in all 4 readings of the fits in the kernel machines' geometry (the chapter's fit, SGD in the machines' " \
           "weighting) and in none" in locality_verdict({**readings, **locality_readings(
        {"4": {"u": {**shares, "top_near": 0.05}, "x_at_zero": {**shares, "top_near": 0.05}}}, FIRST_FIT)})


def test_the_thesis_weighs_fig3s_locality_in_every_fit(results_store):
    import numpy as np

    from cgcore.profiles import get_config
    from cgcore.report import thesis_weighed
    from cgcore.results import save_result

    rng = np.random.default_rng(0)
    quadratic = {"order": 4, "side": 7, "upper": rng.normal(size=(10, 1225)).tolist(),
                 "upper_at_zero": rng.normal(size=(10, 1225)).tolist()}     # no preference for near pairs
    save_result("taylor_expansion", "smoke", get_config("taylor_expansion", "smoke"), {"quadratic": quadratic},
                device="cpu", wall_time_s=1.0)
    alone = next(t for t in thesis_weighed("smoke", {}) if t.startswith("**Interpretability, Sec. III"))
    assert "(the chapter's fit, SGD in the kernel machines' weighting" in alone and "maximum margin" not in alone
    assert "first fit" not in alone
    local = {"top_near": 0.31, "all_near": 0.17, "top_far": 0.08, "all_far": 0.28}
    save_result("taylor_first_fit", "smoke", get_config("taylor_first_fit", "smoke"),
                {"locality_by_order": {"4": {"x_at_zero": {**local, "top_near": 0.05}}}}, device="cpu", wall_time_s=1.0)
    first = next(t for t in thesis_weighed("smoke", {}) if t.startswith("**Interpretability, Sec. III"))
    assert first.endswith("in our first fit (standardised terms, Adam) it does not hold (5% near).")
    kernel = {"schemes": {"one_vs_rest": {"augmented": {"4": {"as_eq3": {"locality": {"x_at_zero": local}}}}}}}
    save_result("taylor_kernel_svm", "smoke", get_config("taylor_kernel_svm", "smoke"), kernel,
                device="cpu", wall_time_s=1.0)
    both = next(t for t in thesis_weighed("smoke", {}) if t.startswith("**Interpretability, Sec. III"))
    assert both.endswith("it does not hold (5% near); in the same polynomials fit to the maximum margin it holds "
                         "(31% near): the fit decides it.")
    # large weights on near pairs and on far ones alike: near pairs are not favoured, by the
    # same test (favours_near_pairs) the max-margin fit is read with
    i, j = np.triu_indices(49)
    distance = np.hypot(i // 7 - j // 7, i % 7 - j % 7)
    both_ends = 1 + 10 * ((distance <= 1.5) | (distance >= 5)) + 0.01 * rng.random(len(i))
    save_result("taylor_expansion", "smoke", get_config("taylor_expansion", "smoke"),
                {"quadratic": {**quadratic, "upper_at_zero": np.tile(both_ends, (10, 1)).tolist()}},
                device="cpu", wall_time_s=1.0)
    text = next(t for t in thesis_weighed("smoke", {}) if t.startswith("**Interpretability, Sec. III"))
    assert "(Fig. 3) does not hold in the paper's basis" in text and "the fit decides it." in text


def test_first_fit_verdict_sets_the_chapters_fit_beside_the_first_on_validation_and_test():
    from cgcore.report import first_fit_verdict

    def lengths(val_short, val_long, short, long):
        return {"val_size": 5000, "chosen": "long" if val_long > val_short else "short",
                "candidates": {"short": {"val_acc": val_short, "history": {"epoch": list(range(short))}},
                               "long": {"val_acc": val_long, "history": {"epoch": list(range(long))}}}}

    chapter = {"orders": {"3": {"test_acc": 0.9785}, "4": {"test_acc": 0.9802}}}
    first = {"orders": {"3": {"test_acc": 0.9758}, "4": {"test_acc": 0.9741}}, "n_train": 60000, "n_test": 10000}
    settings, first_settings = {"optimizer": "sgd", "lr": 3.0}, {"optimizer": "adam", "lr": 1e-3}
    text = first_fit_verdict(chapter, first, lengths(0.9774, 0.9790, 12, 24), lengths(0.9726, 0.9758, 24, 36),
                             settings, first_settings)
    assert text.startswith("**Why this fit?** Our first fit learned one weight per standardised term with Adam (peak "
                           "learning rate 0.001); the chapter's puts the machines' weights")
    assert "trains by SGD (peak learning rate 3, set by hand from short runs of order 4" in text
    # 2 SE of a difference on 5,000 images near 97.6 %: 0.61 points
    assert ("order 4 scores 97.90% after 24 epochs against the first fit's 97.58% after 36 (each at the length "
            "validation picks for it): +0.32 points, 1.0 standard errors of a difference. Validation picks this fit, "
            "by a margin a split of this size cannot resolve.") in text
    assert ("the first fit scores 97.58% at order 3 and 97.41% at order 4, this fit 97.85% and 98.02%: at order 4 "
            "+0.61 points, beyond two standard errors of a difference.") in text
    assert text.endswith("which of the two matters is not separated.")
    wide = first_fit_verdict(chapter, None, lengths(0.9774, 0.9890, 12, 24), lengths(0.9726, 0.9758, 24, 36),
                             settings, first_settings)
    assert wide.endswith("Validation picks this fit.") and "taylor_first_fit" not in wide
    assert first_fit_verdict(chapter, first, lengths(0.97, 0.98, 12, 24), None, settings, first_settings).endswith(
        "which of the two matters is not separated.")


def test_order_step_verdict_reads_the_geometry_image_by_image_only_when_its_fits_are_the_chapters():
    from cgcore.report import order_step_verdict, same_fits

    chapter = {"orders": {"3": {"test_acc": 0.9785}, "4": {"test_acc": 0.9802}}}
    paired = {"orders": [3, 4], "only_a": 28, "only_b": 45, "step": 0.0017, "p_value": 0.06}
    geometry = {"orders": {"3": {"test_acc": 0.9785}, "4": {"test_acc": 0.9802}}, "paired": paired}
    assert same_fits(geometry, chapter)
    assert order_step_verdict(chapter, geometry).endswith(
        "45 images only order 4 gets right and 28 only order 3 (+0.17 points, McNemar p = 0.06): no measurable "
        "step (p ≥ 0.05).")
    assert order_step_verdict(chapter, {**geometry, "paired": {**paired, "p_value": 0.01}}).endswith(
        "order 4 is measurably above order 3.")
    other = {**geometry, "orders": {**geometry["orders"], "4": {"test_acc": 0.98}}}    # not the chapter's fits
    assert not same_fits(other, chapter) and order_step_verdict(chapter, other) == ""
    assert order_step_verdict(chapter, None) == ""
