"""Tables for the book, built from stored results (pandas DataFrames)."""

from __future__ import annotations

import pandas as pd

from .paper import PAPER
from .scorecard import build_scorecard


def manifest_summary(manifest: dict) -> pd.DataFrame:
    """What produced a stored result, as a two-column table."""
    git = manifest.get("git", {})
    versions = manifest.get("versions", {})
    rows = {
        "experiment": manifest["experiment"],
        "profile": manifest["profile"],
        "seed": manifest.get("seed"),
        "git commit": (git.get("commit") or "unknown")[:12] + (" (dirty)" if git.get("dirty") else ""),
        "device": f"{manifest.get('device')} ({manifest.get('device_name')}, {manifest.get('threads')} threads)",
        "wall time": f"{manifest['wall_time_s'] / 60:.1f} min",
        "date": manifest.get("date"),
        "versions": ", ".join(f"{k} {v}" for k, v in versions.items() if v),
    }
    return pd.DataFrame({"": list(rows), "value": list(rows.values())}).set_index("")


def claims_table(profile: str, prefix: str | tuple[str, ...] = "") -> pd.DataFrame:
    """Scorecard rows whose claim id starts with ``prefix`` (or any of a tuple of
    prefixes), with the paper's source and note."""
    table = build_scorecard(profile)
    prefixes = (prefix,) if isinstance(prefix, str) else tuple(prefix)
    table = table[[claim.startswith(prefixes) for claim in table["claim"]]].copy()
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


def format_claims(table: pd.DataFrame) -> pd.DataFrame:
    """Fractions as percentages, counts with separators, deltas signed."""
    shown = table.copy()
    for column in ("paper", "ours", "delta"):
        shown[column] = [_format(v, u, column == "delta") for v, u in zip(table[column], table["unit"])]
    return shown


def budget_table(stored: dict) -> pd.DataFrame:
    """A stored ``distill_budget`` run as a table: one row per variant (and "initial", the
    real images the references start from), with its settings and unseen-network scores."""
    config, rows = stored["manifest"]["config"], []
    for variant, scores in stored["result"]["variants"].items():
        distilled = variant in config["variants"]
        settings = {**config["distill"], **config["variants"].get(variant, {})}
        networks = ("—" if not distilled else "fresh each iteration" if settings["pool_size"] is None
                    else f"pool of {settings['pool_size']}")
        rows.append({"variant": variant,
                     "iterations": settings["iterations"] if distilled else 0,
                     "width": settings["width"] if distilled else "—",
                     "networks": networks,
                     "Eq. (5) in unseen networks": f"{scores['eq5_loss']:.4g}",
                     "gap to class mean (real image ≈ 1)": f"{scores['gap_to_class_mean']:.3f}",
                     "wall time": f"{scores['seconds']:.0f} s"})
    return pd.DataFrame(rows).set_index("variant")


def budget_verdict(stored: dict) -> str | None:
    """Which shortcut of the cpu profile costs the most, read off a stored ``distill_budget``
    run with the "cpu profile" variant and two fresh-network variants of different widths
    (None when the run does not have them)."""
    config = stored["manifest"]["config"]
    gap = {variant: scores["gap_to_class_mean"] for variant, scores in stored["result"]["variants"].items()}
    fresh = [v for v, settings in config["variants"].items() if settings.get("pool_size", 0) is None and v in gap]
    if "cpu profile" not in gap or len(fresh) != 2:
        return None
    widths = {v: config["variants"][v].get("width", config["distill"]["width"]) for v in fresh}
    narrow, wide = sorted(fresh, key=widths.get)
    width = widths[narrow]
    text = f"the gap goes from {gap['cpu profile']:.3f} (cpu profile) to {gap[wide]:.3f} ({wide}); "
    if gap["cpu profile"] - gap[narrow] > gap[narrow] - gap[wide]:
        return text + (f"fresh width-{width} networks already reach {gap[narrow]:.3f}, so most of it comes "
                       "from drawing a fresh network at every iteration, not from the width.")
    return text + f"fresh width-{width} networks reach only {gap[narrow]:.3f}, so the width matters more."
