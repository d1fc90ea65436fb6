import pytest

from cgcore.experiments import EXPERIMENTS
from cgcore.profiles import PROFILES, experiments, get_config


def test_every_experiment_has_a_config_in_every_profile():
    assert set(experiments()) == set(EXPERIMENTS)
    for profile in PROFILES:
        for name in experiments():
            assert get_config(name, profile)["seed"] is not None


def test_smoke_is_smaller_than_cpu_is_at_most_paper():
    smoke, cpu, paper = (get_config("taylor_expansion", p) for p in PROFILES)
    assert smoke["train_size"] < 60_000 and cpu["train_size"] is None
    assert sum(smoke["epochs"]) < sum(cpu["epochs"]) <= sum(paper["epochs"])
    assert cpu["orders"] == [1, 2, 3, 4] and len(cpu["epochs"]) == len(cpu["orders"])


def test_bad_profile_and_override_raise_with_accepted_values():
    with pytest.raises(ValueError, match="unknown profile 'gpu'; accepted: smoke, cpu, paper"):
        get_config("taylor_expansion", "gpu")
    with pytest.raises(ValueError, match="unknown experiment"):
        get_config("nosuch", "cpu")
    with pytest.raises(ValueError, match="unknown setting.*'lrr'"):
        get_config("taylor_expansion", "cpu", lrr=0.1)


def test_overrides_do_not_leak_between_calls():
    get_config("taylor_expansion", "cpu", orders=[1])
    assert get_config("taylor_expansion", "cpu")["orders"] == [1, 2, 3, 4]


def test_ablation_config_embeds_its_base_so_stored_results_go_stale_with_it():
    first_fit = {"weighting": "standardised", "optimizer": "adam", "lr": 1e-3}
    for profile in PROFILES:
        ablation = get_config("taylor_ablation", profile)
        base = {**get_config("taylor_expansion", profile), **first_fit}     # a study of the first fit
        assert ablation["base"] == {k: v for k, v in base.items() if k not in ("orders", "epochs", "seed", "val_size")}
        assert "base_overrides" not in ablation and len(ablation["orders"]) == len(ablation["epochs"])


def test_the_chapters_fit_and_its_first_fit_studies_inherit_what_they_should():
    chapter = get_config("taylor_expansion", "cpu")
    assert (chapter["weighting"], chapter["optimizer"], chapter["lr"]) == ("kernel", "sgd", 3.0)
    for study in ("taylor_ablation", "taylor_order4_tuning", "taylor_order4_epochs", "taylor_first_fit"):
        base = get_config(study, "cpu")["base"]
        assert (base["weighting"], base["optimizer"], base["lr"]) == ("standardised", "adam", 1e-3), study
        assert base["augment"] == chapter["augment"] and base["antialias"] == chapter["antialias"]
    for follows in ("taylor_low_orders_epochs", "seeds_taylor_expansion"):   # the chapter's fit, as it is
        base = get_config(follows, "cpu")["base"]
        assert (base["weighting"], base["optimizer"], base["lr"]) == ("kernel", "sgd", 3.0), follows


def test_base_overrides_of_a_setting_the_base_lacks_raise(monkeypatch):
    from cgcore import profiles

    monkeypatch.setitem(profiles._BASE, "taylor_first_fit",
                        {**profiles._BASE["taylor_first_fit"], "base_overrides": {"optimiser": "adam"}})
    with pytest.raises(ValueError, match=r"base_overrides of taylor_first_fit change setting\(s\) \['optimiser'\] "
                                         "that taylor_expansion does not have; accepted: .*optimizer"):
        get_config("taylor_first_fit", "cpu")


def test_overrides_merge_into_the_base_and_replace_only_when_asked():
    from cgcore.profiles import Replace, merged

    base = {"a": {"x": 1, "y": 2}, "v": {"one": {}, "two": {}}, "n": 3}
    out = merged(base, {"a": {"y": 5}, "v": Replace({"three": {}}), "n": 4})
    assert out == {"a": {"x": 1, "y": 5}, "v": {"three": {}}, "n": 4}
    assert base["a"]["y"] == 2 and type(out["v"]) is dict        # the base is untouched
    smoke, cpu = get_config("distillation_mnist", "smoke"), get_config("distillation_mnist", "cpu")
    assert smoke["distill"]["width"] == 8 and smoke["distill"]["lam"] == cpu["distill"]["lam"]
    # the smoke run's own variants replace the cpu ones (11), they do not join them
    assert list(get_config("distill_ablation", "smoke")["variants"]) == [
        "cpu profile", "mean matching", "flat", "backbone", "trained"]
    # a call-time override states only what it changes, too
    assert get_config("distillation_mnist", "smoke", distill={"lam": 7.0})["distill"]["width"] == 8


def test_check_choice_is_a_leaf_and_a_run_does_not_write_the_scorecard():
    import subprocess
    import sys

    code = ("import sys, cgcore.checks; assert [m for m in sys.modules if m.startswith('cgcore.')] == "
            "['cgcore.checks'], sys.modules; import cgcore.experiments; assert 'cgcore.scorecard' not in sys.modules")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-1500:]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("dataset", ["mnist", "mnist7", "cifar10"])
def test_twins_train_with_their_taylornets_recipe_and_precision(profile, dataset):
    taylornet = get_config(f"taylornet_{dataset}", profile)
    twins = get_config(f"baselines_{dataset}", profile)
    assert {k: v for k, v in twins.items() if k != "variants"} == {k: v for k, v in taylornet.items() if k != "variants"}
    # bfloat16 where a step gains 2.6x or more (train_precision_bench), float32 on 7x7 maps
    assert twins.get("precision", "float32") == ("float32" if dataset == "mnist7" else "bfloat16")


def test_the_float32_check_differs_from_taylornet_mnist_only_in_precision():
    bf16, f32 = get_config("taylornet_mnist", "cpu"), get_config("taylornet_mnist_float32", "cpu")
    assert bf16["precision"] == "bfloat16" and bf16["channels_last"] and "precision" not in f32
    drop = {"variants", "precision", "channels_last"}
    assert {k: v for k, v in bf16.items() if k not in drop} == {k: v for k, v in f32.items() if k not in drop}


@pytest.mark.parametrize("profile", PROFILES)
def test_the_long_tuned_candidate_trains_twice_the_epochs_of_the_others(profile):
    from cgcore.profiles import MNIST_LONG_RECIPE, MNIST_REGULARISED_RECIPE

    config = get_config("taylornet_mnist_tuned", profile)
    long = config["candidates"][MNIST_LONG_RECIPE]
    assert long["augment"] == config["candidates"]["small affine"]["augment"]
    longer = {MNIST_LONG_RECIPE, MNIST_REGULARISED_RECIPE}
    assert all(config["candidates"][name]["epochs"] == 2 * config["epochs"] for name in longer)
    assert all("epochs" not in c for name, c in config["candidates"].items() if name not in longer)

