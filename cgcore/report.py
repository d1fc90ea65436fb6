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
