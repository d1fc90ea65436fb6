"""The TaylorNet chapter's experiments (cgcore.experiments.taylornet, cgcore.bench.run_cg_conv):
each runs under the smoke profile and yields the fixed claim ids of the scorecard."""


from functools import partial

import numpy as np
import pandas as pd
import pytest
import torch

from cgcore.bench import full_cg_mib
from cgcore.data import random_affine, random_crop_flip
from cgcore.experiments import EXPERIMENTS
from cgcore.experiments.taylornet import NAMES, build_model
from cgcore.models import count_parameters
from cgcore.paper import FIG_S1_BOXED, FIG_S1_PATTERN, PAPER
from cgcore.profiles import PROFILES, get_config
from cgcore.results import trained_epochs
from cgcore.symbolic import two_level_cg
from cgcore.taylor import TaylorExpansion

EXPECTED_CLAIMS = {
    "taylornet_mnist": {"taylornet_mnist_acc", "conv_ablation_mnist_acc", "taylornet_after_cg2_mnist_acc"},
    "taylornet_mnist7": {"taylornet_mnist7_acc", "taylornet_mnist7_params", "conv_ablation_mnist7_acc"},
    "taylornet_cifar10": {"taylornet_cifar10_acc", "taylornet_cifar10_params", "conv_ablation_cifar10_acc"},
    "resnet_mnist7": {"resnet_mnist7_acc", "resnet_mnist7_params"},
    "taylornet_fashion": {"taylornet_fashion_acc", "relu_cnn_fashion_acc", "pinet_fashion_acc"},
    "taylornet_mnist_float32": {"taylornet_float32_mnist_acc"},
    "cg_conv_bench": {"cg_vs_conv_time_ratio"},
}




@pytest.mark.parametrize("name", NAMES)
def test_training_experiment_runs_under_smoke(store, name, run_smoke):
    stored = run_smoke(name)
    result, config = stored["result"], get_config(name, "smoke")
    assert (store / "results" / "smoke" / f"{name}.json").exists()
    assert set(EXPERIMENTS[name][1](result)) == EXPECTED_CLAIMS[name]
    assert set(result["models"]) == set(config["variants"])
    assert result["n_train"] == config["train_size"] and result["n_test"] == config["test_size"]
    for variant, row in result["models"].items():
        assert 0 <= row["test_acc"] <= 1 and row["train_seconds"] > 0
        assert row["history"]["epoch"] == list(range(1, config["epochs"] + 1))
        assert len(row["history"]["test_acc"]) == config["epochs"]
        with torch.device("meta"):
            assert row["params"] == count_parameters(build_model(config, variant, ([0.0] * 3, [1.0] * 3)))
    if "cg_as_conv" in result["models"]:
        # the ablation replaces every CG by a conv: same network minus the quadratic factors
        assert result["models"]["cg_as_conv"]["params"] < result["models"]["taylornet"]["params"]
    for twin in {"relu_cnn", "pinet"} & set(result["models"]):  # sized to the TaylorNet's count
        assert abs(result["models"][twin]["params"] / result["models"]["taylornet"]["params"] - 1) <= 0.05
    # every checkpoint was written, so a rerun resumes instead of retraining
    assert len(list((store / "checkpoints" / "smoke").glob(f"{name}-*/*.pt"))) == len(config["variants"])


def test_the_tuned_recipe_is_chosen_on_validation_and_reported_on_test(shared_smoke):
    result = shared_smoke("taylornet_mnist_tuned")["result"]
    config = get_config("taylornet_mnist_tuned", "smoke")
    assert set(result["candidates"]) == set(config["candidates"])
    assert result["chosen"] == max(result["candidates"], key=lambda n: result["candidates"][n]["val_acc"])
    # the chosen recipe is refit on every training image, and that network is the claim
    refit = result["refit"]
    assert refit["candidate"] == result["chosen"] and refit["n_train"] == config["train_size"]
    assert len(refit["history"]["test_acc"]) == config["candidates"][result["chosen"]].get("epochs", config["epochs"])
    assert EXPERIMENTS["taylornet_mnist_tuned"][1](result) == {
        "taylornet_tuned_mnist_acc": refit["test_acc"],
        "taylornet_tuned_before_refit_mnist_acc": result["candidates"][result["chosen"]]["test_acc"]}
    # the candidates trained on the training set less the validation split, and the split is recorded
    assert result["n_train"] == config["train_size"] - config["val_size"] and result["val_size"] == config["val_size"]
    # each candidate trains for its own epochs (the third twice as long in the cpu profile)
    assert all(len(r["history"]["test_acc"]) == r["changes"].get("epochs", config["epochs"])
               for r in result["candidates"].values())
    assert len({len(r["history"]["test_acc"]) for r in result["candidates"].values()}) == 2


def test_the_tuned_recipe_rejects_a_candidate_with_an_unknown_setting(store):
    from cgcore.experiments import run_experiment

    with pytest.raises(ValueError, match=r"candidates change unknown setting\(s\) \['epoch'\]"):
        run_experiment("taylornet_mnist_tuned", "smoke", progress=False, candidates={"x": {"epoch": 3}})


def test_seed_repeats_read_the_stored_seed_and_train_the_others(store, run_smoke):
    base = run_smoke("taylornet_mnist7")["result"]
    result = run_smoke("seeds_taylornet_mnist7")["result"]
    assert result["seeds"] == [0, 1] and set(result["claims"]) == {"taylornet_mnist7_acc", "taylornet_mnist7_params"}
    accs = result["claims"]["taylornet_mnist7_acc"]
    assert accs[0] == base["models"]["taylornet"]["test_acc"]              # seed 0: the stored run, read
    # one checkpoint folder for the stored run and one for seed 1: seed 0 was not trained again
    assert len(list((store / "checkpoints" / "smoke").glob("taylornet_mnist7-*"))) == 2
    claims = EXPERIMENTS["seeds_taylornet_mnist7"][1](result)
    assert set(claims) == {"taylornet_mnist7_acc_mean", "taylornet_mnist7_acc_std"}
    assert claims["taylornet_mnist7_acc_mean"] == pytest.approx(np.mean(accs))
    assert claims["taylornet_mnist7_acc_std"] == pytest.approx(np.std(accs, ddof=1))


def test_taylor_seed_repeats_keep_the_orders_every_seed_trains(store, run_smoke):
    base = run_smoke("taylor_expansion")["result"]                         # orders 1-3 at seed 0
    result = run_smoke("seeds_taylor_expansion")["result"]                 # orders 1-2 at seed 1
    assert set(result["claims"]) == {"taylor_order1_acc", "taylor_order2_acc"}
    assert [acc[0] for acc in result["claims"].values()] == [base["orders"][o]["test_acc"] for o in ("1", "2")]
    claims = EXPERIMENTS["seeds_taylor_expansion"][1](result)
    assert set(claims) == {f"taylor_order{o}_acc_{stat}" for o in (1, 2) for stat in ("mean", "std")}


def test_seed_repeats_refuse_an_override_the_base_does_not_have(store):
    from cgcore.experiments import run_experiment

    with pytest.raises(ValueError, match=r"overrides name settings taylor_expansion does not have: \['order'\]"):
        run_experiment("seeds_taylor_expansion", "smoke", progress=False, overrides={"order": 3})
    # leaving work out is allowed, changing it is not: epochs [1, 1] are not a prefix of [2, 2, 1]
    with pytest.raises(ValueError, match=r"overrides.epochs = \[1, 1\] must be a prefix of taylor_expansion's"):
        run_experiment("seeds_taylor_expansion", "smoke", progress=False, overrides={"epochs": [1, 1]})


def test_tuned_seed_repeats_train_the_chosen_candidate_alone(store, run_smoke, shared_smoke):
    from cgcore.experiments import run_experiment
    from cgcore.profiles import MNIST_LONG_RECIPE

    base = shared_smoke("taylornet_mnist_tuned")["result"]
    result = run_smoke("seeds_taylornet_mnist_tuned")["result"]
    assert result["claims"]["taylornet_tuned_mnist_acc"][0] == base["refit"]["test_acc"]
    # seed 1 trained the one candidate kept: one more checkpoint folder than the stored run's
    # candidates, and one more refit than the stored run's
    checkpoints = store / "checkpoints" / "smoke"
    refits = list(checkpoints.glob("taylornet_mnist_tuned-refit-*"))
    assert len(list(checkpoints.glob("taylornet_mnist_tuned-*"))) - len(refits) == len(base["candidates"]) + 1
    assert len(refits) == 2
    with pytest.raises(ValueError, match=r"overrides.candidates keeps \['typo'\], which taylornet_mnist_tuned's "
                                         r"candidates does not have"):
        run_experiment("seeds_taylornet_mnist_tuned", "smoke", progress=False,
                       overrides={"candidates": [MNIST_LONG_RECIPE, "typo"]})


@pytest.mark.parametrize("profile", ["smoke", "cpu", "paper"])
def test_every_profiles_seed_repeats_only_leave_work_out(profile):
    from cgcore.experiments.seeds import SEEDED, base_config

    for experiment in SEEDED:
        config = get_config(experiment, profile)
        base_config(config, 1)                   # raises where an override changes the base's work


def test_seed_repeats_need_two_seeds(store):
    from cgcore.experiments import run_experiment

    with pytest.raises(ValueError, match=r"seeds must hold at least two different seeds, got \[0, 0\]"):
        run_experiment("seeds_taylornet_mnist7", "smoke", progress=False, seeds=[0, 0])


@pytest.mark.parametrize("name", ["baselines_mnist7"])
def test_the_equal_size_twins_train_under_smoke(store, name, run_smoke):
    from cgcore.experiments.taylornet import BASELINES

    assert name in BASELINES
    stored = run_smoke(name)
    result, config = stored["result"], get_config(name, "smoke")
    assert set(result["models"]) == {"relu_cnn", "pinet"}
    assert set(EXPERIMENTS[name][1](result)) == {"relu_cnn_mnist7_acc", "pinet_mnist7_acc"}
    taylornet = count_parameters(build_model(get_config("taylornet_mnist7", "smoke"), "taylornet", ([0.0], [1.0])))
    for row in result["models"].values():
        assert abs(row["params"] - taylornet) <= 0.05 * taylornet and 0 <= row["test_acc"] <= 1
    with pytest.raises(ValueError, match="unknown twin 'gelu'"):
        build_model({**config, "variants": {"x": {"twin": "gelu"}}}, "x", ([0.0], [1.0]))


def test_training_precision_bench_times_every_network_in_every_setting(store, run_smoke):
    from cgcore.bench import training_network
    from cgcore.report import train_precision_table, train_precision_verdict

    stored = run_smoke("train_precision_bench")
    result, config = stored["result"], get_config("train_precision_bench", "smoke")
    assert set(result["networks"]) == set(config["networks"])
    for label, n in result["networks"].items():
        assert set(n["seconds"]) == set(config["settings"]) and min(n["seconds"].values()) > 0
        assert n["speedup"]["float32"] == 1.0
        model, shape, batch = training_network(config["networks"][label], "smoke")
        assert (n["params"], n["batch_size"]) == (count_parameters(model), batch)
    claim = EXPERIMENTS["train_precision_bench"][1](result)["train_bf16_speedup"]
    assert claim == result["networks"]["7x7 ResNet"]["speedup"]["bfloat16 + channels_last"]
    assert list(train_precision_table(result).index) == list(config["networks"])
    # the verdict names exactly the networks that gain
    result["networks"]["7x7 ResNet"]["speedup"]["bfloat16 + channels_last"] = 2.0
    result["networks"]["Ref. 63's evaluation ConvNet"]["speedup"]["bfloat16 + channels_last"] = 1.0
    text = train_precision_verdict(result)
    assert "7x7 ResNet (bfloat16 + channels_last, 2.00×)" in text and "ConvNet (" not in text
    result["networks"]["7x7 ResNet"]["speedup"]["bfloat16 + channels_last"] = 1.05
    assert train_precision_verdict(result).startswith("No network trains 1.1× faster")
    # what the networks are built from: the profile's own configs
    net, shape, batch = training_network({"experiment": "taylornet_mnist", "variant": "taylornet"}, "cpu")
    assert shape == (1, 28, 28) and batch == get_config("taylornet_mnist", "cpu")["batch_size"]
    with pytest.raises(ValueError, match="unknown network entry"):
        training_network({"experiment": "distillation_mnist", "part": "head"}, "cpu")


def test_benchmark_runs_under_smoke_and_skips_what_does_not_fit(store, run_smoke):
    stored = run_smoke("cg_conv_bench")
    result, config = stored["result"], get_config("cg_conv_bench", "smoke")
    claims = EXPERIMENTS["cg_conv_bench"][1](result)
    assert set(claims) == EXPECTED_CLAIMS["cg_conv_bench"] and claims["cg_vs_conv_time_ratio"] > 0
    assert set(result["layers"]) == set(config["layers"])
    for name, entry in result["layers"].items():
        assert entry["conv_seconds"] > 0
        full = entry["cg"]["full"]
        too_big = full_cg_mib(config["layers"][name], config["batch_size"]) > config["max_mib"]
        assert (full["skipped"] is not None) == too_big and (full["seconds"] is None) == too_big
        for form, cell in entry["cg"].items():
            if cell["skipped"] is None:
                assert cell["ratio_vs_conv"] == pytest.approx(cell["seconds"] / entry["conv_seconds"])
                assert cell["params"] > entry["conv_params"]
                # the factorised form is timed beside its one stacked convolution and its generic
                # ops, the full form is not
                factorised = cell["parameterisation"]["parameterisation"] == "factorised"
                assert ("stacked_conv_ratio_vs_conv" in cell) == ("generic_ratio_vs_conv" in cell) == factorised
                if factorised:
                    assert cell["stacked_channels_multiple"] == 1 + 2 * cell["parameterisation"].get("rank", 1)


def test_every_new_experiment_has_a_config_in_every_profile():
    for name in EXPECTED_CLAIMS:
        configs = {p: get_config(name, p) for p in PROFILES}
        assert all(c["seed"] is not None for c in configs.values())
        if name in NAMES:
            smoke, cpu, paper = (configs[p] for p in PROFILES)
            assert smoke["train_size"] < 60_000 and cpu["train_size"] is None and cpu["test_size"] is None
            assert smoke["epochs"] < cpu["epochs"] <= paper["epochs"]
            assert cpu["model_kwargs"] == smoke["model_kwargs"]  # smoke trains the same network
    assert get_config("taylornet_cifar10", "cpu")["augment"] == {"kind": "crop_flip", "padding": 4, "flip": True}
    assert get_config("taylornet_mnist", "cpu")["model_kwargs"]["norm"] == "batch"
    assert set(get_config("taylornet_mnist", "cpu")["variants"]) == {"taylornet", "cg_as_conv", "taylornet_after_cg2"}
    assert set(get_config("taylornet_cifar10", "cpu")["variants"]) == {"taylornet", "cg_as_conv"}


def test_claim_ids_have_paper_entries():
    for ids in EXPECTED_CLAIMS.values():
        assert ids <= set(PAPER)
    assert PAPER["conv_ablation_mnist_acc"].value == pytest.approx(0.992 - 0.073)
    assert PAPER["conv_ablation_cifar10_acc"].value == pytest.approx(0.717 - 0.30)
    assert PAPER["conv_ablation_mnist7_acc"].value is None and PAPER["cg_vs_conv_time_ratio"].value is None
    assert "ambiguous" in PAPER["conv_ablation_cifar10_acc"].note.lower()


def test_fig_s1_transcription_matches_appendix_a():
    """Fig. 10 = Fig. S1 draws W^T (rows b, columns a); our expansion gives the same cells."""
    cg = two_level_cg()
    paper = np.array([[int(c) for c in row] for row in FIG_S1_PATTERN])
    assert (paper == cg.pattern.T).all()
    assert {tuple(rc) for rc in np.argwhere(cg.conv_pattern.T).tolist()} == set(FIG_S1_BOXED)


def test_random_crop_flip():
    x = torch.arange(2 * 3 * 5 * 5, dtype=torch.float32).view(2, 3, 5, 5)
    assert torch.equal(random_crop_flip(x, padding=0, flip=False), x)
    g = torch.Generator().manual_seed(0)
    out = random_crop_flip(x, padding=2, flip=False, generator=g)
    assert out.shape == x.shape
    padded = torch.nn.functional.pad(x, (2, 2, 2, 2))
    for n in range(2):   # each image is one window of its own padded image, all channels alike
        windows = [(r, c) for r in range(5) for c in range(5)
                   if torch.equal(out[n], padded[n, :, r:r + 5, c:c + 5])]
        assert len(windows) == 1
    flipped = random_crop_flip(x.repeat(16, 1, 1, 1), padding=0, flip=True, generator=g)
    is_flipped = [torch.equal(f, x[i % 2].flip(-1)) for i, f in enumerate(flipped)]
    assert all(f or torch.equal(flipped[i], x[i % 2]) for i, f in enumerate(is_flipped))
    assert 0 < sum(is_flipped) < 32
    with pytest.raises(ValueError, match="padding must be a non-negative int"):
        random_crop_flip(x, padding=-1)




def test_bad_settings_list_accepted_values():
    with pytest.raises(ValueError, match="unknown normalize 'global'; accepted: per_channel, None"):
        build_model(get_config("taylornet_mnist", "smoke", normalize="global"), "taylornet")


def test_papermill_rejects_a_bad_dataset(tmp_path, papermill):
    run = papermill("notebooks/taylornet.ipynb", "-p", "dataset", "nosuch")
    assert run.returncode != 0
    assert "unknown dataset 'nosuch'; accepted: mnist, mnist7, cifar10" in (
        run.stdout + run.stderr + (tmp_path / "out.ipynb").read_text())


def test_papermill_runs_the_cifar10_chapter_under_smoke(store, tmp_path, papermill):
    run = papermill("notebooks/taylornet.ipynb", "-p", "dataset", "cifar10", "-p", "profile", "smoke")
    assert run.returncode == 0, run.stderr[-2000:]
    assert (store / "results" / "smoke" / "taylornet_cifar10.json").exists()


def test_taylor_expansion_stores_both_prunings_and_fig3_in_the_pixel_basis(store, run_smoke):
    result = run_smoke("taylor_expansion")["result"]
    keep = get_config("taylor_expansion", "smoke")["prune_keep"]
    claims = EXPERIMENTS["taylor_expansion"][1](result)
    for k in keep:
        assert {f"taylor_prune{round(k * 100)}_acc", f"taylor_prune{round(k * 100)}_centred_acc"} <= set(claims)
    from cgcore.taylor import locality_shares

    q = result["quadratic"]
    assert np.shape(q["upper_at_zero"]) == np.shape(q["upper"]) == (10, 49 * 50 // 2)
    # Fig. 3's locality at every order from 2 on, in both bases; the stored quadratic is the top order's
    orders = [o for o in get_config("taylor_expansion", "smoke")["orders"] if o >= 2]
    locality = {int(order): shares for order, shares in result["locality_by_order"].items()}
    assert sorted(locality) == orders
    top = locality[orders[-1]]
    assert top["u"] == pytest.approx(locality_shares(np.asarray(q["upper"], dtype=np.float64), 7), abs=1e-3)
    assert set(top) == {"u", "x_at_zero"} and all(0 <= v <= 1 for b in top.values() for v in b.values())
    assert result["n_val"] == 0                       # the reported run holds nothing out


def test_taylor_ablation_chooses_on_a_validation_split(store, run_smoke):
    result = run_smoke("taylor_ablation")["result"]
    config = get_config("taylor_ablation", "smoke")
    assert result["val_size"] == config["val_size"]
    top = str(config["orders"][-1])
    best = max(result["variants"].values(), key=lambda v: v["val_acc"][top])
    assert result["variants"][result["chosen_on_validation"]] == best
    assert all(set(v["val_acc"]) == set(v["test_acc"]) for v in result["variants"].values())


def test_order4_tuning_chooses_on_validation_and_changes_one_setting_per_candidate(store, run_smoke):
    stored = run_smoke("taylor_order4_tuning")
    result, config = stored["result"], stored["manifest"]["config"]
    assert set(result["candidates"]) == set(config["candidates"]) and result["val_size"] == config["val_size"]
    best = max(result["candidates"].values(), key=lambda row: row["val_acc"])
    assert result["candidates"][result["chosen"]] == best
    claims = EXPERIMENTS["taylor_order4_tuning"][1]
    assert claims(result) == ({"taylor_order4_tuned_acc": best["test_acc"]} if result["order"] == 4 else {})
    assert claims({**result, "order": 4}) == {"taylor_order4_tuned_acc": best["test_acc"]}
    plain, adamw = result["candidates"]["as taylor_expansion"], result["candidates"]["AdamW"]
    scaled = result["candidates"]["degree scale"]
    assert adamw["changes"] == {"optimizer": "adamw", "weight_decay": 0.1}
    assert scaled["changes"] == {"degree_scale": 0.5}     # a setting the base config leaves at its default
    for changed in (adamw, scaled):                       # each change took effect
        assert plain["history"]["train_loss"] != changed["history"]["train_loss"]
    assert all(trained_epochs(row) == config["epochs"] for row in result["candidates"].values())


def test_order4_epochs_trains_each_candidate_for_its_own_number_of_epochs(store, run_smoke):
    stored = run_smoke("taylor_order4_epochs")
    result, config = stored["result"], stored["manifest"]["config"]
    rows = result["candidates"]
    assert {name: trained_epochs(row) for name, row in rows.items()} == {
        name: changes.get("epochs", config["epochs"]) for name, changes in config["candidates"].items()} == {
        "the first length": 1, "twice as long": 2}
    assert result["chosen"] == max(rows, key=lambda name: rows[name]["val_acc"])
    assert EXPERIMENTS["taylor_order4_epochs"][1](result) == {}      # beside the chapter's claims, none of its own


def test_order4_tuning_rejects_a_candidate_that_changes_an_unknown_setting():
    from cgcore.experiments.taylor_expansion import run_tuning

    config = get_config("taylor_order4_tuning", "smoke", candidates={"typo": {"weight_decy": 0.1}})
    with pytest.raises(ValueError, match=r"unknown setting\(s\) \['weight_decy'\]; accepted: .*weight_decay"):
        run_tuning(config, "smoke", progress=False)


@pytest.mark.parametrize("profile", PROFILES)
def test_order4_tuning_candidates_change_only_settings_of_the_expansion(profile):
    from cgcore.profiles import SETTING_DEFAULTS

    config = get_config("taylor_order4_tuning", profile)
    for changes in config["candidates"].values():
        assert set(changes) <= set(config["base"]) | set(SETTING_DEFAULTS)
    lengths = get_config("taylor_order4_epochs", profile)
    expansion = get_config("taylor_expansion", profile)
    # the first candidate is the order at its first length, the others longer; the chapter
    # trains the order for one of these lengths
    assert list(lengths["candidates"].values())[0] == {}
    assert all(changes["epochs"] > lengths["epochs"] for changes in list(lengths["candidates"].values())[1:])
    if lengths["order"] in expansion["orders"]:
        tried = {changes.get("epochs", lengths["epochs"]) for changes in lengths["candidates"].values()}
        assert expansion["epochs"][expansion["orders"].index(lengths["order"])] in tried


def test_taylor_step_traffic_counts_the_feature_matrix_three_times():
    from cgcore.bench import taylor_step_traffic

    t = taylor_step_traffic(batch=128, n_features=292_824)
    assert t["feature_bytes"] == 3 * 4 * 128 * 292_824        # written once, read twice
    assert t["weight_bytes"] == 12 * 4 * 10 * 292_824
    assert t["flops"] == 128 * 292_824 * 41
    assert taylor_step_traffic(256, 10)["feature_bytes"] == 2 * taylor_step_traffic(128, 10)["feature_bytes"]


def test_taylor_roofline_bench_times_a_step_against_both_rooflines(store, run_smoke):
    from cgcore.report import taylor_roofline_table, taylor_roofline_verdict

    result = run_smoke("taylor_roofline_bench")["result"]
    config = get_config("taylor_roofline_bench", "smoke")
    assert result["n_features"] == 49 + 1225 + 20825  # order 3 on 49 variables, no constant
    assert result["bandwidth_gbs"] > 0 and result["matmul_gflops"] > 0
    roof = result["roofline_step_seconds"]
    assert 0 < roof["fused"] <= roof["materialised"]       # writing the features can only cost more
    assert result["epoch_seconds"] == pytest.approx(result["step_seconds"] * result["steps_per_epoch"])
    assert result["steps_per_epoch"] == -(-config["train_images"] // config["batch_size"])
    assert set(EXPERIMENTS["taylor_roofline_bench"][1](result)) == {"taylor_order4_epoch_seconds",
                                                                     "taylor_order4_factored_speedup"}
    assert result["factored_epoch_seconds"] == pytest.approx(result["factored_step_seconds"] * result["steps_per_epoch"])
    assert list(taylor_roofline_table(result).index)[:2] == ["measured", "measured, top degree contracted (never written)"]
    assert "never" not in taylor_roofline_verdict({k: v for k, v in result.items() if not k.startswith("factored")})
    assert "Contracting the top-degree terms" in taylor_roofline_verdict(result)
    assert "ms" in taylor_roofline_verdict(result) and "bound" in taylor_roofline_verdict(result)


def test_a_resumed_run_records_the_work_its_checkpoints_held(store, run_smoke):
    first = run_smoke("taylornet_mnist7")
    assert first["manifest"]["restored"] == {"checkpoints": 0, "seconds": 0.0, "without_seconds": 0}
    second = run_smoke("taylornet_mnist7")          # every variant's last checkpoint is there
    trained = sum(sum(row["history"]["seconds"]) for row in first["result"]["models"].values())
    assert second["manifest"]["restored"]["checkpoints"] == len(first["result"]["models"])
    assert second["manifest"]["restored"]["seconds"] == pytest.approx(trained, abs=0.01)
    assert second["manifest"]["restored"]["without_seconds"] == 0
    assert second["result"]["models"] == first["result"]["models"]


def test_the_budget_adds_restored_work_and_totals_the_seed_repeats_apart(store):
    from cgcore.report import compute_budget, format_budget
    from cgcore.results import save_result

    for name, wall, restored in (("taylornet_mnist7", 600.0, {"checkpoints": 2, "seconds": 1200.0}),
                                 ("resnet_mnist7", 1800.0, None), ("seeds_taylornet_mnist7", 300.0, None)):
        save_result(name, "smoke", get_config(name, "smoke"), {}, device="cpu", wall_time_s=wall, restored=restored)
    budget = compute_budget("smoke")
    assert budget.loc["taylornet_mnist7", "minutes"] == pytest.approx(30.0)       # 10 run + 20 restored
    assert budget.loc["total, without the seed repeats", "minutes"] == pytest.approx(60.0)
    assert budget.loc["seed repeats (reported apart)", "minutes"] == pytest.approx(5.0)
    assert budget.loc["resnet_mnist7", "share"] == pytest.approx(0.5) and pd.isna(budget.loc["seeds_taylornet_mnist7", "share"])
    shown = format_budget(budget)
    assert shown.loc["taylornet_mnist7", "restored from checkpoints (min)"] == "20.0"
    assert shown.loc["seeds_taylornet_mnist7", "share"] == "—" and "seed repeat" not in shown.columns


def test_a_network_read_from_another_experiment_is_not_counted_as_restored_work(store, run_smoke):
    run_smoke("taylornet_mnist7")                     # trains the network taylornet_polynomial reads
    assert run_smoke("taylornet_polynomial")["manifest"]["restored"]["checkpoints"] == 0


def test_kernel_svm_chooses_C_on_validation_and_fits_the_polynomials_of_each_degree(store, run_smoke):
    stored = run_smoke("taylor_kernel_svm")
    result, config = stored["result"], stored["manifest"]["config"]
    assert list(result["schemes"]) == config["schemes"] == ["one_vs_rest", "one_vs_one"]
    for scheme, fits in result["schemes"].items():
        # one machine per class against the rest, or one per pair of classes
        machines = 10 if scheme == "one_vs_rest" else 1
        assert [int(d) for d in fits["degrees"]] == config["degrees"]
        for row in fits["degrees"].values():
            assert set(row["val_acc"]) == {str(C) for C in config["C"]}
            assert row["val_acc"][str(row["chosen_C"])] == max(row["val_acc"].values())
            assert row["test_acc"] > 0.5                     # 600 real 7x7 digits: far above chance
            assert 0 < row["support_vectors"] <= machines * result["n_train"]
        assert [int(d) for d in fits["augmented"]] == config["augmented_degrees"]
        for d, row in fits["augmented"].items():        # fit on the plain images and the augmented copies
            assert row["n_fit"] == (1 + config["augmented_copies"]) * config["train_size"]
            assert row["n_fit"] == (1 + config["augmented_copies"]) * fits["degrees"][d]["n_fit"]
            assert row["test_acc"] > 0.5
    assert result["n_val"] == config["val_size"] and result["n_train"] == config["train_size"]
    assert result["n_test"] == config["test_size"]      # the images the test accuracies are measured on
    # the claims are the one-vs-rest machine's: ten polynomials, the largest wins, as Eq. (3)
    claims = EXPERIMENTS["taylor_kernel_svm"][1](result)
    ovr, augmented = result["schemes"]["one_vs_rest"]["degrees"], result["schemes"]["one_vs_rest"]["augmented"]
    assert {k: v for k, v in claims.items() if "order" in k and "augmented" not in k} == {
        f"taylor_order{d}_kernel_acc": row["test_acc"] for d, row in ovr.items()}
    assert {k: v for k, v in claims.items() if "augmented" in k} == {
        f"taylor_order{d}_kernel_augmented_acc": row["test_acc"] for d, row in augmented.items() if d in ("3", "4")}
    # the expanded machines read as Eq. (3): the same predictions (up to float32 logits), and
    # the pruned polynomial's accuracies are the prune claims
    for d in config["expanded_degrees"]:
        eq3 = augmented[str(d)]["as_eq3"]
        assert abs(eq3["test_acc"] - augmented[str(d)]["test_acc"]) <= 2 / result["n_test"]
        assert set(eq3["locality"]) == {"u", "x_at_zero"} and 0 < eq3["locality"]["u"]["top_near"] < 1
    assert 0 < result["data_locality"]["top_near"] < 1         # the training images' own products, no fit
    pruning = augmented[str(config["prune_degree"])]["as_eq3"]["pruning"]
    assert len(pruning["test_acc"]) == len(pruning["test_acc_centred"]) == len(config["prune_keep"])
    # the prune claims are the paper's order 4's: none from the smoke profile's degree 2, and at
    # degree 4 one per fraction kept, in the paper's reading
    assert not {k for k in claims if "prune" in k}
    at_4 = {"schemes": {"one_vs_rest": {"augmented": {"4": {"test_acc": 0.98, "as_eq3": {"pruning": pruning}}}}}}
    assert EXPERIMENTS["taylor_kernel_svm"][1](at_4) == {
        "taylor_order4_kernel_augmented_acc": 0.98,
        **{f"taylor_prune{round(keep * 100)}_kernel_acc": acc for keep, acc in zip(pruning["keep"], pruning["test_acc"])}}


def test_kernel_svm_resumes_from_its_fits_and_an_added_degree_costs_only_its_own(store, run_smoke, monkeypatch):
    from cgcore.experiments import taylor_kernel
    from cgcore.experiments.taylor_kernel import run
    from cgcore.results import reset_restored_work, restored_work

    first = run_smoke("taylor_kernel_svm")
    config, result = first["manifest"]["config"], first["result"]
    # every validation fit and every refit is a checkpoint of its own
    fits = len(config["schemes"]) * (len(config["degrees"]) + len(config["augmented_degrees"])) * (len(config["C"]) + 1)
    added = [d for d in config["degrees"] if d not in config["augmented_degrees"]][:1]
    assert not set(added) & set(config["expanded_degrees"])

    def written_out_again(*args, **kwargs):
        raise AssertionError("a stored machine was written out as Eq. (3) again")

    monkeypatch.setattr(taylor_kernel, "as_taylor_expansion", written_out_again)
    reset_restored_work()
    again = run({**config, "augmented_degrees": config["augmented_degrees"] + added}, "smoke", progress=False)
    # nothing fit before is fit again, nor written out as Eq. (3) again (that is stored with its refit)
    assert restored_work()["checkpoints"] == fits
    for scheme, stored in result["schemes"].items():
        fitted = {part: {str(d): row for d, row in again["schemes"][scheme][part].items()} for part in stored}
        assert fitted["degrees"] == stored["degrees"]            # keys as the stored JSON has them
        assert {d: fitted["augmented"][d] for d in stored["augmented"]} == stored["augmented"]
        assert [int(d) for d in fitted["augmented"]] == config["augmented_degrees"] + added


def test_a_one_vs_rest_kernel_machine_is_an_eq3_network(mnist7):
    from cgcore.experiments.taylor_kernel import as_taylor_expansion, kernel_machine, kernel_monomial_weights

    # (gamma u.v + 1)^2 in two variables: 1 + 2g(u1 v1 + u2 v2) + g^2 (u1^2 v1^2 + 2 u1 u2 v1 v2 + u2^2 v2^2)
    assert kernel_monomial_weights(2, 2, 0.5).tolist() == [1.0, 1.0, 0.25, 0.5, 0.25]
    train, test = mnist7[0].subset(300), mnist7[1].subset(100)
    x, y = train.images.flatten(1).double().numpy(), train.labels.numpy()
    x0 = x.mean(0)
    machine = kernel_machine(3, 1.0, 0.5, "one_vs_rest").fit(x - x0, y)
    model = as_taylor_expansion(machine, x0, 3, 0.5)
    assert model.n_terms == 22_100 and model.weight.shape == (10, 22_099)
    logits = model(test.images.double())
    assert torch.allclose(logits, torch.as_tensor(machine.decision_function(test.images.flatten(1).double().numpy()
                                                                            - x0)), atol=1e-8)
    assert (logits.argmax(1).numpy() == machine.predict(test.images.flatten(1).double().numpy() - x0)).all()
    with pytest.raises(ValueError, match="needs a one-vs-rest machine"):
        as_taylor_expansion(kernel_machine(3, 1.0, 0.5, "one_vs_one").fit(x - x0, y), x0, 3, 0.5)


def test_kernel_svm_names_the_accepted_schemes(store):
    from cgcore.experiments.taylor_kernel import run
    from cgcore.profiles import get_config

    config = {**get_config("taylor_kernel_svm", "smoke"), "schemes": ["one_vs_all"]}
    with pytest.raises(ValueError, match="one_vs_all.*one_vs_rest"):
        run(config, "smoke", progress=False)
    config = {**get_config("taylor_kernel_svm", "smoke"), "expanded_degrees": [4]}
    with pytest.raises(ValueError, match=r"expanded_degrees \[4\] are not among augmented_degrees \[2\]"):
        run(config, "smoke", progress=False)
    config = {**get_config("taylor_kernel_svm", "smoke"), "schemes": ["one_vs_one"]}
    with pytest.raises(ValueError, match="expanded_degrees needs the one_vs_rest scheme"):
        run(config, "smoke", progress=False)


def test_kernel_gamma_chooses_gamma_and_C_on_validation_and_resumes_from_its_fits(store, run_smoke):
    from cgcore.experiments.taylor_kernel import run_gamma
    from cgcore.results import reset_restored_work, restored_work

    stored = run_smoke("taylor_kernel_gamma")
    result, config = stored["result"], stored["manifest"]["config"]
    assert [int(d) for d in result["degrees"]] == config["degrees"]
    for d, fits in result["degrees"].items():
        grid = fits["grid"]
        # every gamma with every C = (C x gamma) / gamma of the degree's own grid
        assert [(row["gamma"], row["C_times_gamma"]) for row in grid] == [
            (g, c) for g in config["gammas"] for c in config["C_times_gamma"][d]]
        assert all(row["C"] == pytest.approx(row["C_times_gamma"] / row["gamma"]) for row in grid)
        assert fits["chosen"] == max(grid, key=lambda row: row["val_acc"])     # the first of equals
        assert fits["test_acc"] > 0.5                    # 600 real 7x7 digits and a copy: far above chance
        assert fits["n_fit"] == (1 + config["augmented_copies"]) * config["train_size"]
    assert EXPERIMENTS["taylor_kernel_gamma"][1](result) == {"taylor_order3_kernel_gamma_acc": result["degrees"]["3"]["test_acc"]}
    reset_restored_work()
    assert run_gamma(config, "smoke", progress=False)["degrees"] == result["degrees"]
    fits = sum(len(config["gammas"]) * len(grid) + 1 for grid in config["C_times_gamma"].values())
    assert restored_work()["checkpoints"] == fits        # every fit and refit read back, none fit again


@pytest.mark.parametrize("experiment, n_copies, claim", [
    ("taylor_kernel_copies", 2, "taylor_order4_kernel_copies_acc"),
    ("taylor_kernel_copies3", 3, "taylor_order4_kernel_copies3_acc"),
])
def test_kernel_copies_fits_on_augmented_copies_and_keeps_its_own_fits(store, run_smoke, experiment, n_copies, claim):
    from cgcore.experiments.taylor_kernel import run_copies
    from cgcore.profiles import get_config

    stored = run_smoke(experiment)
    result, config = stored["result"], stored["manifest"]["config"]
    assert config["augmented_copies"] == n_copies and result["augmented_copies"] == n_copies
    for d, fits in result["degrees"].items():
        assert fits["n_fit"] == (n_copies + 1) * config["train_size"]        # the images and the copies
        assert [row["C"] for row in fits["grid"]] == config["C_times_gamma"][d]
        assert fits["chosen"] == max(fits["grid"], key=lambda row: row["val_acc"])
        assert fits["test_acc"] > 0.5
    assert [int(d) for d in result["degrees"]] == config["degrees"] == [2, 4]
    # the paper's orders alone have claims, named by the number of copies
    assert EXPERIMENTS[experiment][1](result) == {claim: result["degrees"]["4"]["test_acc"]}
    # its fits are checkpointed apart from taylor_kernel_gamma's, whose keys differ only in the copies
    folders = [p.name for p in (store / "checkpoints" / "smoke").iterdir() if p.is_dir()]
    assert any(name.startswith(f"{experiment}-") for name in folders), folders
    assert not any(name.startswith("taylor_kernel_gamma-") for name in folders), folders
    with pytest.raises(ValueError, match=f"{experiment} fits on augmented copies: augmented_copies must be at "
                                         "least 1, got 0"):
        run_copies({**get_config(experiment, "smoke"), "augmented_copies": 0}, "smoke", progress=False,
                   name=experiment)


def test_mcnemar_counts_the_images_one_classifier_alone_gets_right_and_tests_their_split():
    import math

    from cgcore.experiments.taylor_kernel_paired import mcnemar

    # 1,000 images: both right on 950, only a on 30, only b on 10, both wrong on 10
    a = np.array([True] * 950 + [True] * 30 + [False] * 10 + [False] * 10)
    b = np.array([True] * 950 + [False] * 30 + [True] * 10 + [False] * 10)
    test = mcnemar(a, b)
    assert (test["n"], test["only_a"], test["only_b"]) == (1000, 30, 10)
    assert test["step"] == pytest.approx(b.mean() - a.mean()) == pytest.approx(-0.02)
    assert test["paired_se"] == pytest.approx(math.sqrt(40 - 20 ** 2 / 1000) / 1000)
    # exact: twice the binomial tail of 10 or fewer among 40 at one half
    assert test["p_value"] == pytest.approx(2 * sum(math.comb(40, k) for k in range(11)) / 2 ** 40)
    assert test["p_value"] < 0.01
    assert mcnemar(b, a)["p_value"] == pytest.approx(test["p_value"]) and mcnemar(b, a)["step"] == -test["step"]
    level = mcnemar(a, a)                              # no image tells them apart
    assert (level["only_a"], level["only_b"], level["paired_se"], level["p_value"]) == (0, 0, 0.0, 1.0)
    with pytest.raises(ValueError, match=r"equal-length 1-d arrays.*\(1000,\) and \(999,\)"):
        mcnemar(a, b[:-1])


def test_kernel_paired_refits_the_machines_the_runs_chose_and_reproduces_their_test_accuracy(store, run_smoke):
    from cgcore.experiments.taylor_kernel_paired import run
    from cgcore.results import load_arrays, reset_restored_work, restored_work

    with pytest.raises(FileNotFoundError, match="python -m cgcore run taylor_kernel_svm --profile smoke"):
        run_smoke("taylor_kernel_paired")
    sources = {name: run_smoke(name) for name in ("taylor_kernel_svm", "taylor_kernel_copies", "taylor_kernel_copies3")}
    stored = run_smoke("taylor_kernel_paired")
    result, config = stored["result"], stored["manifest"]["config"]
    assert result["degrees"] == config["degrees"] == [2, 4]
    # the smoke taylor_kernel_svm fits its one augmented copy at degree 2 alone: no pair with 1 copy
    assert list(result["fits"]) == list(result["paired"]) == ["0", "2", "3"]
    svm = sources["taylor_kernel_svm"]["result"]["schemes"]["one_vs_rest"]["degrees"]["4"]
    copies = sources["taylor_kernel_copies"]["result"]["degrees"]["2"]
    assert result["fits"]["0"]["4"]["C"] == svm["chosen_C"]
    assert (result["fits"]["2"]["2"]["C"], result["fits"]["2"]["2"]["gamma"]) == (copies["chosen"]["C"],
                                                                                  copies["chosen"]["gamma"])
    for n_copies, fits in result["fits"].items():
        for row in fits.values():
            # the same images, copies and setting give the same machine: the stored accuracy, to the image
            assert row["reproduced"] and row["test_acc"] == row["stored_test_acc"]
            assert row["n_fit"] == (int(n_copies) + 1) * 600
    arrays = load_arrays("taylor_kernel_paired", "smoke")
    labels = arrays["labels"]
    assert len(labels) == result["n_test"] == 200
    for n_copies, test in result["paired"].items():
        low, high = (arrays[f"copies{n_copies}_degree{d}"] == labels for d in (2, 4))
        assert (test["only_a"], test["only_b"]) == (int((low & ~high).sum()), int((high & ~low).sum()))
        assert result["fits"][n_copies]["4"]["test_acc"] == pytest.approx(high.mean())
    reset_restored_work()
    assert run(config, "smoke", progress=False)["paired"] == result["paired"]
    assert restored_work()["checkpoints"] == 6               # every refit read back, none fit again


def test_kernel_paired_compares_machines_only_on_the_same_images():
    from cgcore.experiments.taylor_kernel_paired import _shared_data_config

    config = get_config("taylor_kernel_copies", "cpu")
    runs = {"taylor_kernel_copies": {"manifest": {"config": config}},
            "taylor_kernel_svm": {"manifest": {"config": get_config("taylor_kernel_svm", "cpu")}}}
    assert _shared_data_config(runs, seed=0)["val_size"] == 5000
    with pytest.raises(ValueError, match="draws the augmented copies as its runs drew them, from seed 0; "
                                         "its seed is 1: set seed=0"):
        _shared_data_config(runs, seed=1)
    runs["taylor_kernel_svm"]["manifest"]["config"] = {**get_config("taylor_kernel_svm", "cpu"), "seed": 1}
    with pytest.raises(ValueError, match=r"compares machines on the same images: the runs read differ in "
                                         r"\{'seed': \{'taylor_kernel_copies': 0, 'taylor_kernel_svm': 1\}\}"):
        _shared_data_config(runs, seed=0)


@pytest.mark.parametrize("change, message", [
    ({"C_times_gamma": {"2": [1.0]}}, r"no grid for degree\(s\) \[3\]"),
    ({"gammas": [0.0, 1.0]}, "must be non-empty and positive"),
    ({"gammas": []}, "must be non-empty and positive"),
    ({"C_times_gamma": {"2": [1.0], "3": [-1.0]}}, "must be non-empty and positive"),
])
def test_kernel_gamma_names_what_is_wrong_with_its_grid(change, message):
    from cgcore.experiments.taylor_kernel import check_gamma_grid
    from cgcore.profiles import get_config

    check_gamma_grid(get_config("taylor_kernel_gamma", "smoke"))
    with pytest.raises(ValueError, match=message):
        check_gamma_grid({**get_config("taylor_kernel_gamma", "smoke"), **change})


def test_the_data_locality_of_class_products_follows_where_the_correlated_pixels_sit():
    from cgcore.experiments.taylor_kernel import data_locality
    from cgcore.report import favours_near_pairs

    gen = torch.Generator().manual_seed(0)
    labels = torch.arange(10).repeat(200)
    scale = 1 + (torch.rand(10, 49, generator=gen) < 0.5).double()      # each class its own pixels
    noise = torch.randn(2000, 49, generator=gen, dtype=torch.float64) * scale[labels]
    # blurred on the 7x7 grid: neighbours vary together, and the class products are local
    blurred = torch.nn.functional.avg_pool2d(noise.view(-1, 1, 7, 7), 3, stride=1, padding=1,
                                             count_include_pad=False).flatten(1)
    local = data_locality(blurred.numpy(), labels.numpy())
    assert favours_near_pairs(local) and set(local) == {"top_near", "all_near", "top_far", "all_far"}
    # the same images with their pixels shuffled across the grid: the correlated pairs now sit anywhere
    shuffled = data_locality(blurred[:, torch.randperm(49, generator=gen)].numpy(), labels.numpy())
    assert shuffled["top_near"] < local["top_near"] - 0.05 and shuffled["top_far"] > local["top_far"] + 0.05


@pytest.mark.parametrize("profile", ["smoke", "cpu", "paper"])
def test_the_longer_recipe_is_the_long_candidate_with_more_epochs_alone(profile):
    from cgcore.experiments.taylornet import candidate_config
    from cgcore.profiles import MNIST_LONG_RECIPE, MNIST_LONGER_RECIPE

    longer, tuned = get_config("taylornet_mnist_longer", profile), get_config("taylornet_mnist_tuned", profile)
    assert list(longer["candidates"]) == [MNIST_LONGER_RECIPE] and not longer["refit"]
    a, b = candidate_config(longer, MNIST_LONGER_RECIPE), candidate_config(tuned, MNIST_LONG_RECIPE)
    assert {k for k in a if a[k] != b.get(k)} == {"epochs"} and a["epochs"] == 4 * tuned["epochs"]


def test_the_longer_recipe_reads_against_the_tuning_run_on_the_same_split(run_smoke, shared_smoke):
    from cgcore.experiments import EXPERIMENTS
    from cgcore.report import longer_verdict

    tuned = shared_smoke("taylornet_mnist_tuned")["result"]
    longer = run_smoke("taylornet_mnist_longer")["result"]
    assert "refit" not in longer and (longer["n_train"], longer["val_size"]) == (tuned["n_train"], tuned["val_size"])
    row = longer["candidates"][longer["chosen"]]
    assert trained_epochs(row) == 4
    assert EXPERIMENTS["taylornet_mnist_longer"][1](longer) == {"taylornet_longer_mnist_acc": row["test_acc"]}
    text = longer_verdict(longer, tuned)
    assert f"{row['val_acc']:.2%} on the held-out images against" in text
    assert longer_verdict({**longer, "val_size": 10}, tuned) == ""


@pytest.mark.parametrize("profile", ["cpu", "paper"])
def test_the_averaged_recipe_is_the_chosen_one_with_its_weights_averaged(profile):
    """taylornet_mnist_averaged trains exactly the candidate of taylornet_mnist_tuned that the
    book's run chose, on the same split, so its trained weights are that candidate's and the
    averaging is the only change measured."""
    from cgcore.experiments.taylornet import candidate_config
    from cgcore.profiles import MNIST_AVERAGED_RECIPE, MNIST_LONG_RECIPE

    tuned = candidate_config(get_config("taylornet_mnist_tuned", profile), MNIST_LONG_RECIPE)
    averaged = candidate_config(get_config("taylornet_mnist_averaged", profile), MNIST_AVERAGED_RECIPE)
    # taylornet_mnist_tta reads the averaged run's networks from the checkpoints of this config
    tta = get_config("taylornet_mnist_tta", profile)
    assert candidate_config({**tta["base"], "seed": tta["seed"]}, MNIST_AVERAGED_RECIPE) == averaged
    assert 0 < averaged.pop("ema_decay") < 1
    assert averaged == tuned


def test_the_averaged_recipe_measures_the_average_and_the_trained_weights_on_the_same_run(run_smoke, shared_smoke):
    from cgcore.experiments import EXPERIMENTS
    from cgcore.report import averaged_verdict

    tuned = shared_smoke("taylornet_mnist_tuned")["result"]
    averaged = run_smoke("taylornet_mnist_averaged")["result"]
    row, refit = averaged["candidates"][averaged["chosen"]], averaged["refit"]
    assert (averaged["n_train"], averaged["val_size"]) == (tuned["n_train"], tuned["val_size"])
    assert row["raw_val_acc"] == row["history"]["raw_test_acc"][-1] and row["val_acc"] == row["history"]["test_acc"][-1]
    assert len(refit["history"]["raw_test_acc"]) == len(refit["history"]["test_acc"]) == 2
    assert EXPERIMENTS["taylornet_mnist_averaged"][1](averaged) == {
        "taylornet_averaged_mnist_acc": refit["test_acc"], "taylornet_averaged_raw_mnist_acc": refit["raw_test_acc"],
        "taylornet_averaged_before_refit_mnist_acc": row["test_acc"],
        "taylornet_averaged_raw_before_refit_mnist_acc": row["raw_test_acc"]}
    # the trained weights are read from the checkpoint: they are not the average returned
    assert row["raw_test_acc"] != row["test_acc"] or row["raw_val_acc"] != row["val_acc"]
    text = averaged_verdict(averaged, tuned, get_config("taylornet_mnist_averaged", "smoke")["batch_size"])
    assert f"the weights it trained {refit['raw_test_acc']:.2%}" in text


def test_low_orders_lengths_train_each_order_for_its_first_length_and_longer(store, run_smoke):
    from cgcore.experiments import EXPERIMENTS

    stored = run_smoke("taylor_low_orders_epochs")
    result, config = stored["result"], stored["manifest"]["config"]
    first = dict(zip(config["checked_orders"], config["epochs"], strict=True))
    assert sorted(result["orders"]) == ["1", "2"]
    for order, run in result["orders"].items():
        lengths = sorted(trained_epochs(row) for row in run["candidates"].values())
        assert lengths == [first[int(order)], config["longer_factor"] * first[int(order)]]
        assert run["chosen"] == max(run["candidates"], key=lambda name: run["candidates"][name]["val_acc"])
    assert EXPERIMENTS["taylor_low_orders_epochs"][1](result) == {}


def test_kernel_geometry_trains_in_the_kernels_weighting_for_the_lengths_validation_picks(store, run_smoke, monkeypatch):
    from cgcore.experiments import EXPERIMENTS
    from cgcore.experiments import taylor_expansion

    built = []

    def recording(*args, **kwargs):
        built.append((kwargs["weighting"], kwargs["expansion_point"]))
        return TaylorExpansion(*args, **kwargs)

    monkeypatch.setattr(taylor_expansion, "TaylorExpansion", recording)
    stored = run_smoke("taylor_kernel_geometry")
    result, config = stored["result"], stored["manifest"]["config"]
    # two lengths per order on the split and one final fit per order: all in the kernel's weighting
    assert built == [("kernel", "mean")] * (3 * len(config["orders"]))
    assert config["settings"]["weighting"] == "kernel" and result["settings"] == config["settings"]
    first = dict(zip(config["orders"], config["epochs"], strict=True))
    for order, run in result["lengths"]["orders"].items():
        lengths = sorted(trained_epochs(row) for row in run["candidates"].values())
        assert lengths == [first[int(order)], config["longer_factor"] * first[int(order)]]
        assert result["chosen_epochs"][order] == trained_epochs(run["candidates"][run["chosen"]])
        # the final fit trains on all the training images for the chosen length
        assert trained_epochs(result["orders"][order]) == result["chosen_epochs"][order]
    assert result["n_val"] == 0 and result["lengths"]["val_size"] == config["val_size"]
    # the two highest orders image by image, from the final fits' predictions on the test images
    paired = result["paired"]
    assert paired["orders"] == [1, 2] and paired["n"] == result["n_test"]
    for order in ("1", "2"):
        assert paired["test_acc"][order] == pytest.approx(result["orders"][order]["test_acc"], abs=1e-6)   # float32
    assert paired["step"] == pytest.approx(result["orders"]["2"]["test_acc"] - result["orders"]["1"]["test_acc"])
    # its final fits are the chapter's (taylor_expansion's own claims), so it claims nothing of its own
    assert EXPERIMENTS["taylor_kernel_geometry"][1]({"orders": {"4": {"test_acc": 0.9}}}) == {}


def test_the_first_fit_trains_standardised_terms_by_adam_on_all_training_images(store, run_smoke, monkeypatch):
    from cgcore.experiments import EXPERIMENTS
    from cgcore.experiments import taylor_expansion

    built, optimizers = [], []

    def recording(*args, **kwargs):
        built.append(kwargs["weighting"])
        return TaylorExpansion(*args, **kwargs)

    def recording_config(*args, **kwargs):
        config = train_config(*args, **kwargs)
        optimizers.append((config.optimizer, config.lr))
        return config

    train_config = taylor_expansion.train_config
    monkeypatch.setattr(taylor_expansion, "TaylorExpansion", recording)
    monkeypatch.setattr(taylor_expansion, "train_config", recording_config)
    stored = run_smoke("taylor_first_fit")
    result, config = stored["result"], stored["manifest"]["config"]
    assert built == ["standardised"] * len(config["orders"])
    assert optimizers == [("adam", 1e-3)] * len(config["orders"])
    chapter = get_config("taylor_expansion", "smoke")
    assert result["n_val"] == 0 and result["n_train"] == chapter["train_size"]
    assert result["pruning"]["order"] == 3 and len(result["pruning"]["test_acc"]) == len(chapter["prune_keep"])
    assert [trained_epochs(result["orders"][str(o)]) for o in config["orders"]] == config["epochs"]
    assert EXPERIMENTS["taylor_first_fit"][1](result) == {
        "taylor_order3_first_fit_acc": result["orders"]["3"]["test_acc"]}    # order 2 has no claim


def test_low_orders_lengths_refuse_an_order_the_chapter_does_not_train_a_factor_of_one_and_missing_lengths():
    from cgcore.experiments.taylor_expansion import run_lengths

    with pytest.raises(ValueError, match=r"checked_orders \[5\] are not orders of taylor_expansion; accepted: \[1, 2, 3\]"):
        run_lengths(get_config("taylor_low_orders_epochs", "smoke", checked_orders=[1, 5]), "smoke", progress=False)
    with pytest.raises(ValueError, match="longer_factor must be more than 1"):
        run_lengths(get_config("taylor_low_orders_epochs", "smoke", longer_factor=1), "smoke", progress=False)
    with pytest.raises(ValueError, match=r"epochs \[1\] must give one first length per checked order \[1, 2\]"):
        run_lengths(get_config("taylor_low_orders_epochs", "smoke", epochs=[1]), "smoke", progress=False)


def test_tta_reads_the_averaged_runs_networks_and_chooses_on_validation(store, run_smoke):
    from cgcore.experiments import EXPERIMENTS

    averaged = run_smoke("taylornet_mnist_averaged")["result"]
    tta = run_smoke("taylornet_mnist_tta")
    result, manifest = tta["result"], tta["manifest"]
    rows = result["readings"]
    assert len(rows) == 2 * len(get_config("taylornet_mnist_tta", "smoke")["draws"])
    # read without copies, the networks are the averaged run's, whose checkpoints it loads
    assert rows["trained weights, 0 draws"]["test_acc"] == averaged["refit"]["raw_test_acc"]
    assert rows["averaged weights, 0 draws"]["test_acc"] == averaged["refit"]["test_acc"]
    assert rows["trained weights, 0 draws"]["val_acc"] == averaged["candidates"][averaged["chosen"]]["raw_val_acc"]
    assert manifest["restored"]["checkpoints"] == 0              # another run's networks, not resumed work
    assert result["chosen"] == max(rows, key=lambda key: rows[key]["val_acc"])
    assert EXPERIMENTS["taylornet_mnist_tta"][1](result) == {"taylornet_tta_mnist_acc": rows[result["chosen"]]["test_acc"]}


def test_test_time_draws_need_an_augment_and_change_the_logits(mnist7):
    from cgcore.train import predict

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(49, 10))
    images = mnist7[1].images[:64]
    with pytest.raises(ValueError, match="draws=2 needs an augment"):
        predict(model, images, draws=2)
    augment = partial(random_affine, max_degrees=10.0, max_shift=0.1)
    with pytest.raises(ValueError, match="flip_tta and draws are two test-time augmentations: choose one"):
        predict(model, images, flip_tta=True, augment=augment, draws=2)
    once, twice = predict(model, images, augment=augment, draws=3), predict(model, images, augment=augment, draws=3)
    assert torch.equal(once, twice) and not torch.allclose(once, predict(model, images))
    # the mean of the image's logits and those of its copies
    copies = [model(augment(images, generator=torch.Generator().manual_seed(1_000_003 * (d + 1)))) for d in range(3)]
    torch.testing.assert_close(once, (model(images) + sum(copies)) / 4)


def test_averaged_seed_repeat_drops_the_refit_and_pairs_the_weights_seed_by_seed(store, run_smoke):
    from cgcore.report import averaged_seed_verdict

    run_smoke("taylornet_mnist_averaged")
    result = run_smoke("seeds_taylornet_mnist_averaged")["result"]
    assert set(result["claims"]) == {"taylornet_averaged_before_refit_mnist_acc",
                                     "taylornet_averaged_raw_before_refit_mnist_acc"}
    assert all(len(values) == 2 for values in result["claims"].values())
    text = averaged_seed_verdict("smoke")
    a, t = (result["claims"][k][1] for k in ("taylornet_averaged_before_refit_mnist_acc",
                                            "taylornet_averaged_raw_before_refit_mnist_acc"))
    assert f"seed 1 {a:.2%} against {t:.2%}" in text
