"""Tables and verdicts the book builds from stored results (cgcore.report)."""

from cgcore.report import budget_table, budget_verdict


def budget(gaps: dict) -> dict:
    """A stored distill_budget run with the given gap per variant."""
    variants = {"cpu profile": {"iterations": 40},
                "fresh narrow": {"iterations": 200, "pool_size": None},
                "fresh wide": {"iterations": 200, "width": 128, "pool_size": None}}
    config = {"distill": {"width": 32, "pool_size": 4}, "variants": variants}
    scores = {name: {"eq5_loss": -1.0, "gap_to_class_mean": gap, "seconds": 2.0} for name, gap in gaps.items()}
    return {"manifest": {"config": config}, "result": {"variants": scores}}


def test_budget_table_reads_each_variants_settings():
    table = budget_table(budget({"initial": 1.0, "cpu profile": 0.6, "fresh narrow": 0.5, "fresh wide": 0.4}))
    assert list(table.index) == ["initial", "cpu profile", "fresh narrow", "fresh wide"]
    assert table.loc["initial", "networks"] == "—" and table.loc["initial", "iterations"] == 0
    assert table.loc["cpu profile", "networks"] == "pool of 4" and table.loc["cpu profile", "width"] == 32
    assert table.loc["fresh wide", "networks"] == "fresh each iteration" and table.loc["fresh wide", "width"] == 128


def test_budget_verdict_names_the_shortcut_that_costs_most():
    freshness = budget_verdict(budget({"cpu profile": 0.65, "fresh narrow": 0.46, "fresh wide": 0.45}))
    assert "fresh width-32 networks already reach 0.460" in freshness and "not from the width" in freshness
    width = budget_verdict(budget({"cpu profile": 0.65, "fresh narrow": 0.60, "fresh wide": 0.40}))
    assert width.endswith("so the width matters more.")
    assert budget_verdict(budget({"cpu profile": 0.65, "fresh wide": 0.40})) is None   # a fresh variant missing
    assert budget_verdict(budget({"fresh narrow": 0.5, "fresh wide": 0.4})) is None
