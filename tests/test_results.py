import json

import pandas as pd
import pytest

from cgcore import results
from cgcore.experiments import run_or_load
from cgcore.scorecard import COLUMNS, build_scorecard, write_scorecard



def test_save_and_load_with_manifest(results_store):
    config = {"a": 1, "epochs": [2, 3], "seed": 7}
    path = results.save_result("taylor_expansion", "smoke", config, {"x": [1.0, 2.0]},
                               device="cpu", wall_time_s=1.234)
    assert path == results_store / "smoke" / "taylor_expansion.json"
    stored = results.load_result("taylor_expansion", "smoke", config)
    m = stored["manifest"]
    assert stored["result"] == {"x": [1.0, 2.0]}
    assert m["config"] == config and m["seed"] == 7 and m["device"] == "cpu"
    assert {"git", "versions", "wall_time_s", "date"} <= set(m)
    assert m["versions"]["torch"]
    # a different config does not match; no config loads whatever is there
    assert results.load_result("taylor_expansion", "smoke", {**config, "a": 2}) is None
    assert results.load_result("taylor_expansion", "smoke") is not None
    assert not list((results_store / "smoke").glob("*.tmp"))


def test_atomic_write_leaves_old_file_on_failure(results_store):
    path = results_store / "x.json"
    results.write_json_atomic(path, {"ok": 1})
    with pytest.raises(TypeError):
        results.write_json_atomic(path, {"bad": object()})
    assert json.loads(path.read_text()) == {"ok": 1}
    assert [p.name for p in results_store.iterdir()] == ["x.json"]


def test_never_recompute_fails_clearly(results_store):
    with pytest.raises(FileNotFoundError, match="make results PROFILE=smoke"):
        run_or_load("taylor_expansion", "smoke", recompute="never")
    with pytest.raises(ValueError, match="accepted: auto, always, never"):
        run_or_load("taylor_expansion", "smoke", recompute="sometimes")


def test_scorecard_rows_from_stored_result(results_store):
    from cgcore.profiles import get_config

    result = {"orders": {"4": {"test_acc": 0.97, "terms": 292825, "params": 2928250}},
              "pruning": {"keep": [0.5, 0.1], "test_acc": [0.969, 0.80]}}
    results.save_result("taylor_expansion", "smoke", get_config("taylor_expansion", "smoke"), result,
                        device="cpu", wall_time_s=1.0)
    table = write_scorecard("smoke")
    assert list(table.columns) == COLUMNS
    on_disk = pd.read_csv(results_store / "smoke" / "scorecard.csv")
    assert list(on_disk.columns) == COLUMNS and len(on_disk) == len(table) == 5
    row = table.set_index("claim").loc["taylor_order4_acc"]
    assert row["ours"] == 0.97 and row["paper"] == 0.98 and row["delta"] == pytest.approx(-0.01)
    assert row["result_file"] == "results/smoke/taylor_expansion.json"
    assert table.set_index("claim").loc["taylor_prune10_acc", "paper"] == 0.85
    # a pruned accuracy is a change from the full model: its delta is our change less the paper's
    # (0.80 - 0.97 against 0.85 - 0.98), not its distance from the paper's 85 %
    assert table.set_index("claim").loc["taylor_prune10_acc", "delta"] == pytest.approx(-0.04)
    assert table.set_index("claim").loc["taylor_prune50_acc", "delta"] == pytest.approx(-0.001)
    assert build_scorecard("cpu").empty


def test_manifest_records_peak_memory():
    from cgcore.results import make_manifest

    manifest = make_manifest("x", "smoke", {"seed": 0}, "cpu", 1.0)
    assert manifest["peak_rss_mib"] > 10         # a Python process with torch loaded


def test_the_cpus_bfloat16_instructions_are_read_off_cpuinfo():
    from cgcore.results import cpu_bf16_flags

    assert cpu_bf16_flags("model name : x\nflags : fpu avx512f avx512_bf16 amx_tile amx_bf16\n") == [
        "avx512_bf16", "amx_bf16"]
    assert cpu_bf16_flags("flags : fpu avx512f avx512_vnni\n") == []
    assert cpu_bf16_flags("processor : 0\nFeatures : fp asimd sve bf16 i8mm\n") == ["bf16"]   # Arm
    assert cpu_bf16_flags("flags : fpu avx512bf16x\n") == []          # whole flags, not substrings
    assert cpu_bf16_flags("processor : 0\n") is None                  # no flags line: unknown


def test_a_second_run_of_the_same_experiment_stops_with_a_clear_message(tmp_path, monkeypatch):
    import os
    import subprocess
    import sys

    monkeypatch.setenv("CGCORE_CHECKPOINTS", str(tmp_path))
    with results.run_lock("smoke", "taylor_expansion") as lock:
        assert lock.read_text() == str(os.getpid())
        with pytest.raises(results.RunLockedError, match="already being computed by process"):
            with results.run_lock("smoke", "taylor_expansion"):
                pass
        with results.run_lock("smoke", "taylornet_mnist"):      # another experiment is free
            pass
    assert not lock.exists()
    # a lock left by a process that is gone is taken over
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    lock.write_text(dead.stdout.strip())
    with results.run_lock("smoke", "taylor_expansion"):
        pass


def test_a_damaged_checkpoint_names_the_file_and_what_to_do(tmp_path):
    import torch

    path = tmp_path / "level1.pt"
    torch.save({"x": torch.zeros(1000)}, path)
    path.write_bytes(path.read_bytes()[:100])                     # truncated
    with pytest.raises(RuntimeError, match=r"level1.pt is damaged .* Delete it"):
        results.load_checkpoint(path)


def test_run_or_load_each_computes_only_the_named_one_and_notes_the_rest(results_store):
    from cgcore.experiments import run_or_load_each

    found, missing = run_or_load_each({"mnist": "distill_budget", "cifar10": "distill_budget_cifar10"}, "smoke",
                                      recompute="never", compute="mnist")
    assert found == {} and len(missing) == 2
    assert "`python -m cgcore run distill_budget_cifar10 --profile smoke`" in missing[1]


def test_the_scorecard_skips_a_result_made_with_a_config_that_has_changed(results_store):
    from cgcore.profiles import get_config

    result = {"orders": {"4": {"test_acc": 0.97, "terms": 292825, "params": 2928250}}, "pruning": None}
    config = get_config("taylor_expansion", "smoke")
    results.save_result("taylor_expansion", "smoke", {**config, "epochs": [9] * len(config["orders"])}, result,
                        device="cpu", wall_time_s=1.0)
    assert build_scorecard("smoke").empty
    results.save_result("taylor_expansion", "smoke", config, result, device="cpu", wall_time_s=1.0)
    assert "taylor_order4_acc" in set(build_scorecard("smoke")["claim"])


def test_the_published_order4_choice_read_the_published_runs(monkeypatch):
    """A choice made from results that were stored again since would score a fit the book no
    longer shows: every stored profile's taylor_order4_choice must be recomputed after its sources."""
    from pathlib import Path

    from cgcore.experiments.taylor_fit_choice import NAME, stale_sources

    monkeypatch.setenv("CGCORE_RESULTS", str(Path(__file__).resolve().parents[1] / "results"))
    profiles = [p for p in ("cpu", "paper") if results.load_result(NAME, p) is not None]
    assert "cpu" in profiles, "the book's profile stores the choice"
    for profile in profiles:
        assert stale_sources(results.load_result(NAME, profile)["result"], profile) == [], (
            f"recompute it: python -m cgcore run {NAME} --profile {profile}")


def test_the_published_chapter_trains_each_order_for_the_length_validation_picked(monkeypatch):
    """taylor_expansion's epochs at the cpu profile are the lengths its validation runs chose
    (taylor_low_orders_epochs for orders 1 to 3, taylor_kernel_geometry's length runs, in the
    chapter's settings, for order 4); taylor_first_fit's order 4 is taylor_order4_epochs' pick."""
    from pathlib import Path

    from cgcore.profiles import get_config

    monkeypatch.setenv("CGCORE_RESULTS", str(Path(__file__).resolve().parents[1] / "results"))

    def stored(name):
        found = results.load_result(name, "cpu", get_config(name, "cpu"))
        assert found is not None, f"store {name} with its current config"
        return found["result"]

    def pick(run):
        return results.trained_epochs(run["candidates"][run["chosen"]])

    chapter, geometry = get_config("taylor_expansion", "cpu"), get_config("taylor_kernel_geometry", "cpu")
    assert all(chapter[k] == v for k, v in geometry["settings"].items()), "the geometry's runs are the chapter's"
    picked = {int(order): pick(run) for order, run in stored("taylor_low_orders_epochs")["orders"].items()}
    picked[4] = pick(stored("taylor_kernel_geometry")["lengths"]["orders"]["4"])
    assert picked == dict(zip(chapter["orders"], chapter["epochs"], strict=True))
    first = get_config("taylor_first_fit", "cpu")
    assert dict(zip(first["orders"], first["epochs"], strict=True))[4] == pick(stored("taylor_order4_epochs"))


def test_the_kernel_geometry_final_fits_are_the_chapters(monkeypatch):
    """The book reads taylor_kernel_geometry's image-by-image comparison as the chapter's step
    from order 3 to 4: its final fits must be the chapter's, bit for bit (the same accuracies)."""
    from pathlib import Path

    from cgcore.profiles import get_config
    from cgcore.report import same_fits

    monkeypatch.setenv("CGCORE_RESULTS", str(Path(__file__).resolve().parents[1] / "results"))
    chapter, geometry = (results.load_result(name, "cpu", get_config(name, "cpu"))
                         for name in ("taylor_expansion", "taylor_kernel_geometry"))
    assert chapter is not None and geometry is not None
    assert same_fits(geometry["result"], chapter["result"])


def test_a_setting_stated_at_its_default_is_the_same_run_as_one_that_predates_it(results_store):
    """SETTING_DEFAULTS: a config that states weighting="standardised" (its value before the
    setting existed) matches a run stored without it, in the config and in its base, and
    checkpoints keep their folder; another value is another run."""
    from cgcore.profiles import SETTING_DEFAULTS

    old = {"orders": [4], "lr": 1e-3, "base": {"augment": None}}
    stated = {"orders": [4], "lr": 1e-3, "weighting": "standardised", "base": {"augment": None, **SETTING_DEFAULTS}}
    assert results.normalise_config(stated) == results.normalise_config(old)
    assert results.config_hash(stated) == results.config_hash(old)
    results.save_result("taylor_expansion", "smoke", old, {"orders": {}}, device="cpu", wall_time_s=1.0)
    assert results.load_result("taylor_expansion", "smoke", stated) is not None
    assert results.load_result("taylor_expansion", "smoke", {**stated, "weighting": "kernel"}) is None
    assert results.normalise_config({"weighting": "kernel"}) == {"weighting": "kernel"}
