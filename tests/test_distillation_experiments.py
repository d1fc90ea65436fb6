"""The distillation chapter's experiments run under smoke and yield the scorecard's claim ids."""

import numpy as np
import pytest
import torch

from cgcore.experiments import EXPERIMENTS
from cgcore.profiles import get_config
from cgcore.results import load_arrays

EXPECTED_CLAIMS = {
    "distillation_mnist": {"distill_ref_mnist_acc", "distill_arcface_mnist_acc", "distill_backbone_mnist_acc",
                           "distill_classmean_mnist_acc", "distill_convnet_1ipc_mnist_acc",
                           "distill_random_mnist_acc", "distill_ceiling_mnist_acc",
                           "similarity_s_rises_mnist", "similarity_d_falls_mnist"},
    "distillation_cifar10": {"distill_ref_cifar10_acc", "distill_arcface_cifar10_acc",
                             "distill_backbone_cifar10_acc", "distill_classmean_cifar10_acc",
                             "distill_convnet_1ipc_cifar10_acc", "distill_random_cifar10_acc",
                             "distill_ceiling_cifar10_acc", "similarity_s_rises_cifar10",
                             "similarity_d_falls_cifar10"},
}


@pytest.mark.parametrize("name", sorted(EXPECTED_CLAIMS))
def test_distillation_runs_under_smoke(store, name, run_smoke):
    stored = run_smoke(name)
    result, config = stored["result"], get_config(name, "smoke")
    assert set(EXPERIMENTS[name][1](result)) == EXPECTED_CLAIMS[name]
    levels = len(config["group_sizes"])
    for loss in config["losses"]:
        rows = result["levels"][loss]
        assert [r["images_per_class"] for r in rows] == result["images_per_class"][1:]
        assert set(result["reference_acc"][loss]) == {f"D{k}" for k in range(1, levels + 1)}
        # Eq. (S3) needs two images: every level but the last has s and d for each class
        assert all(len(r["s"]) == 10 and np.allclose(r["d"], 2 - 2 * np.array(r["s"])) for r in rows[:-1])
    assert len(result["similarity_level0"]["s"]) == 10
    # the ConvNet test on the references, and on real images at the same images per class
    per_class = {result["images_per_class"][k] for k in config["convnet_eval"]["levels"]}
    baselines = {(b["references"], b["images_per_class"]) for b in result["convnet_baselines"]}
    assert baselines == {("random real", n) for n in per_class} | {("class mean", 1)}
    assert all(len(b["acc"]) == config["convnet_eval"]["models"] and all(0 <= a <= 1 for a in b["acc"])
               for b in result["convnet_baselines"])
    arrays = load_arrays(name, "smoke")
    channels = 1 if name.endswith("mnist") else 3
    assert arrays["level0"].shape[:2] == (10, channels) and arrays["level0"].dtype == np.uint8
    assert arrays[f"euclidean_level{levels}"].shape[:3] == (1, 10, channels)


def test_distill_step_bench_runs_under_smoke(store, run_smoke):
    result = run_smoke("distill_step_bench")["result"]
    assert set(EXPERIMENTS["distill_step_bench"][1](result)) == {"distill_batched_speedup"}
    assert set(result["workloads"]) == {"pooled", "fresh"}
    assert all(r["speedup"] > 0 for r in result["workloads"].values())


@pytest.mark.parametrize("name, dataset", [("distill_dm_flat", "mnist"), ("distill_dm_flat_cifar10", "cifar10")])
def test_flat_distribution_matching_runs_under_smoke(store, name, dataset, run_smoke):
    result = run_smoke(name)["result"]
    assert set(EXPERIMENTS[name][1](result)) == {f"distill_dm_flat_1ipc_{dataset}_acc"}
    assert len(result["convnet_acc"]) == get_config(name, "smoke")["convnet_eval"]["models"]
    assert load_arrays(name, "smoke")["references"].shape[:2] == (1, 10)


@pytest.mark.parametrize("name", ["distill_ablation", "distill_ablation_cifar10"])
def test_ablation_runs_every_variant_under_smoke(store, name, run_smoke):
    result = run_smoke(name)["result"]
    variants = get_config(name, "smoke")["variants"]
    assert set(result["variants"]) == set(variants)
    assert list(result["variants"]["cpu profile"]["reference_acc"]) == ["D1", "D2"]
    assert list(result["variants"]["flat"]["reference_acc"]) == ["D1"]            # one level
    assert all(0 <= r["top_acc"] <= 1 and -2 <= r["alignment"]["margin"] <= 2 for r in result["variants"].values())
    # the ConvNet test runs on the variants the config names, and on the two baselines beside them
    tested = set(get_config(name, "smoke")["convnet_test"] or [])
    assert {n for n, r in result["variants"].items() if "convnet_acc" in r} == tested
    assert set(result["convnet_baselines"]) == ({"class_mean", "random_real"} if tested else set())


def test_ablation_distils_again_in_a_backbone_trained_differently(store, run_smoke, monkeypatch):
    """References distilled in the trained backbone belong to that backbone: when the base
    experiment's backbone changes, the variant distils again instead of resuming."""
    from cgcore import profiles

    run_smoke("distill_ablation")
    smoke = profiles._OVERRIDES["smoke"]
    monkeypatch.setitem(smoke, "distillation_mnist", profiles.merged(smoke["distillation_mnist"], {"backbone": {"epochs": 2}}))
    run_smoke("distill_ablation")
    folders = store / "checkpoints" / "smoke"
    digest = "[0-9a-f]" * 10                                                  # the stage's hash, nothing more
    assert len(list(folders.glob(f"distill_ablation-backbone-{digest}"))) == 2       # one per backbone
    assert len(list(folders.glob(f"distill_ablation-cpu profile-{digest}"))) == 1    # random networks: resumed


def test_distillation_in_the_backbone_runs_under_smoke(store, run_smoke):
    result = run_smoke("distill_in_backbone")["result"]
    config = get_config("distill_in_backbone", "smoke")
    assert set(EXPERIMENTS["distill_in_backbone"][1](result)) == {"distill_ref_in_backbone_mnist_acc",
                                                                  "distill_convnet_in_backbone_mnist_acc"}
    eq5 = result["losses"]["euclidean"]
    # the base experiment's hierarchy, level for level, down to one image per class
    assert [r["images_per_class"] for r in eq5["levels"]][-1] == 1
    assert len(eq5["levels"]) == len(config["base"]["group_sizes"])
    assert len(eq5["convnet_acc"]) == config["base"]["convnet_eval"]["models"]
    assert all(0 <= result[k] <= 1 for k in ("ceiling_acc", "random_real_acc", "class_mean_acc"))
    assert load_arrays("distill_in_backbone", "smoke")["euclidean_level1"].dtype == np.uint8
    # the step settings change how a step runs, never what the base distils
    assert config["base"]["distill"]["iterations"] == get_config("distillation_mnist", "smoke")["distill"]["iterations"]


def test_distillation_in_the_backbone_rejects_an_unknown_loss_before_training(store):
    from cgcore.experiments import run_experiment

    with pytest.raises(ValueError, match="unknown losses 'cosine'; accepted: euclidean, arcface, mean_matching"):
        run_experiment("distill_in_backbone", "smoke", progress=False, losses=["cosine"])
    assert not (store / "checkpoints" / "smoke").exists() or not any((store / "checkpoints" / "smoke").iterdir())


def test_ablation_rejects_a_convnet_test_of_an_unknown_variant(store):
    from cgcore.experiments import run_experiment

    with pytest.raises(ValueError, match=r"convnet_test names variant\(s\) \['nosuch'\]"):
        run_experiment("distill_ablation", "smoke", progress=False, convnet_test=["nosuch"])


def test_distill_embed_bench_runs_under_smoke(store, run_smoke):
    result = run_smoke("distill_embed_bench")["result"]
    assert set(EXPERIMENTS["distill_embed_bench"][1](result)) == {"distill_fresh_embed_speedup"}
    settings = {r["setting"] for r in result["embed"]}
    assert {"float32", "bfloat16 + channels_last"} <= settings
    assert all(r["speedup"] == 1.0 for r in result["embed"] if r["setting"] == "float32")
    assert set(result["quality"]) == set(get_config("distill_embed_bench", "smoke")["quality"]["variants"])
    assert result["quality"][result["quality_reference"]]["difference"] == 0.0


def test_evaluation_levels_beyond_the_hierarchy_fail_before_distilling():
    from cgcore.experiments.distillation import check_levels

    config = get_config("distillation_mnist", "cpu")
    check_levels(config)
    with pytest.raises(ValueError, match=r"convnet_eval.levels \[6\] out of range: .* make levels 1..5"):
        check_levels({**config, "convnet_eval": {**config["convnet_eval"], "levels": [6]}})
    with pytest.raises(ValueError, match="losses must be a non-empty list of euclidean, arcface"):
        check_levels({**config, "losses": ["cosine"]})
    with pytest.raises(ValueError, match=r"convnet_eval.losses \['arcface'\] must be among the distilled losses"):
        check_levels({**config, "losses": ["euclidean"], "convnet_eval": {**config["convnet_eval"], "losses": ["arcface"]}})


def test_papermill_runs_the_cifar10_distillation_under_smoke(store, tmp_path, papermill):
    run = papermill("notebooks/distillation.ipynb", "-p", "dataset", "cifar10", "-p", "profile", "smoke")
    assert run.returncode == 0, run.stderr[-2000:]
    assert (store / "results" / "smoke" / "distillation_cifar10.npz").exists()
    bad = papermill("notebooks/distillation.ipynb", "-p", "dataset", "mnist7")
    assert bad.returncode != 0
    assert "unknown dataset 'mnist7'; accepted: mnist, cifar10" in bad.stdout + bad.stderr + (
        tmp_path / "out.ipynb").read_text()


def test_random_real_images_are_drawn_per_class_without_repeats():
    from cgcore.data import TensorData
    from cgcore.experiments.distillation import random_real_images

    labels = torch.arange(3).repeat_interleave(5)                 # 3 classes of 5
    images = labels.float().view(-1, 1, 1, 1) * 100 + torch.arange(15).float().view(-1, 1, 1, 1)
    picked = random_real_images(TensorData(images.expand(-1, 1, 2, 2), labels, "toy"), 3, 4, seed=0)
    assert picked.shape == (4, 3, 1, 2, 2)
    values = picked[:, :, 0, 0, 0]
    assert torch.all(values // 100 == torch.arange(3))             # column c holds class c only
    assert all(len(set(values[:, c].tolist())) == 4 for c in range(3))
    assert torch.equal(picked, random_real_images(TensorData(images.expand(-1, 1, 2, 2), labels, "toy"), 3, 4, 0))



def test_distill_budget_scores_every_variant_in_unseen_networks(store, run_smoke):
    result = run_smoke("distill_budget")["result"]
    config = get_config("distill_budget", "smoke")
    assert set(result["variants"]) == {"initial", *config["variants"]}
    assert len(result["sample_subsets"]) == config["sample_subsets"]
    assert len(set(result["sample_subsets"])) == config["sample_subsets"]
    for scores in result["variants"].values():
        assert np.isfinite(scores["eq5_loss"]) and scores["gap_to_class_mean"] >= 0


def test_distill_budget_rejects_a_sample_larger_than_the_level(store):
    from cgcore.experiments import run_experiment

    with pytest.raises(ValueError, match=r"sample_subsets must be in 1..8 \(the level-1 subsets\), got 9"):
        run_experiment("distill_budget", "smoke", progress=False, sample_subsets=9)


def test_mnist_seed_repeats_leave_out_only_what_they_drop(store, run_smoke, monkeypatch):
    """The seed repeats of MNIST's references distil no ArcFace hierarchy and run no ConvNet
    test; at the stored seed that run gives every kept claim exactly as the full run does,
    which is what lets seed 0 be read from the full run. (Each run has checkpoints of its own:
    resuming from the other's would make them equal whatever they computed.)"""
    from cgcore.experiments.seeds import base_config

    run, claims = EXPERIMENTS["distillation_mnist"]
    monkeypatch.setenv("CGCORE_CHECKPOINTS", str(store / "reduced-checkpoints"))
    reduced = claims(run(base_config(get_config("seeds_distillation_mnist", "smoke"), 0), "smoke", progress=False))
    monkeypatch.setenv("CGCORE_CHECKPOINTS", str(store / "checkpoints"))
    full = claims(run_smoke("distillation_mnist")["result"])
    assert set(reduced) == set(full) - {"distill_arcface_mnist_acc", "distill_convnet_1ipc_mnist_acc"}
    assert reduced == {claim: full[claim] for claim in reduced}
    result = run_smoke("seeds_distillation_mnist")["result"]
    assert result["claims"]["distill_ref_mnist_acc"][0] == full["distill_ref_mnist_acc"]
    assert set(EXPERIMENTS["seeds_distillation_mnist"][1](result)) == {
        f"distill_{what}_mnist_acc_{stat}" for what in ("ref", "classmean", "random") for stat in ("mean", "std")}
