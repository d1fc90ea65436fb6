"""The scorecard: every paper claim that has a stored result, paper vs ours vs delta.

Written to ``results/<profile>/scorecard.csv`` with the columns
``claim,paper,ours,unit,delta,result_file``; accuracies are fractions.
"""

from __future__ import annotations

import os
import tempfile

import pandas as pd

from .paper import PAPER
from .results import load_result, result_path, results_root

COLUMNS = ["claim", "paper", "ours", "unit", "delta", "result_file"]


def build_scorecard(profile: str) -> pd.DataFrame:
    from .experiments import EXPERIMENTS

    rows = []
    for experiment, (_, claims) in EXPERIMENTS.items():
        stored = load_result(experiment, profile)
        if stored is None:
            continue
        relative = os.path.relpath(result_path(profile, experiment), results_root().parent)
        for claim, ours in claims(stored["result"]).items():
            ref = PAPER.get(claim)
            paper = ref.value if ref else None
            rows.append({
                "claim": claim,
                "paper": paper,
                "ours": ours,
                "unit": ref.unit if ref else "",
                "delta": (ours - paper) if paper is not None and ours is not None else None,
                "result_file": relative,
            })
    order = {c: i for i, c in enumerate(PAPER)}
    rows.sort(key=lambda r: order.get(r["claim"], len(order)))
    return pd.DataFrame(rows, columns=COLUMNS)


def write_scorecard(profile: str) -> pd.DataFrame:
    table = build_scorecard(profile)
    path = results_root() / profile / "scorecard.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".scorecard.", suffix=".tmp")
    os.close(fd)
    table.to_csv(tmp, index=False)
    os.replace(tmp, path)
    return table
