"""The paper's own numbers: the only hand-typed values in the book.

Every entry is a claim of Yang, Xie & Yang, with the place it is stated. Accuracies
are fractions (0.98, not 98 %). ``value=None`` marks a claim the paper makes only in a
figure whose numbers the text does not give; the scorecard shows ours with an empty
paper column.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    claim: str
    value: float | None
    unit: str
    source: str
    note: str = ""


CLAIMS: tuple[Claim, ...] = (
    # --- Sec. III, direct Taylor expansion (Eq. 3, Fig. 2) on 7x7 MNIST
    Claim("taylor_order1_acc", None, "fraction", "Fig. 2", "plotted only; no number in the text"),
    Claim("taylor_order2_acc", None, "fraction", "Fig. 2", "plotted only; no number in the text"),
    Claim("taylor_order3_acc", None, "fraction", "Fig. 2", "plotted only; no number in the text"),
    Claim("taylor_order4_acc", 0.98, "fraction", "Sec. III, Fig. 2", "'about 98%'"),
    Claim("taylor_order4_terms", 293_000, "count", "Sec. III",
          "'about 293 thousand'; the exact count is C(53,4) = 292,825"),
    Claim("taylor_order4_params", 1_460_000, "count", "Sec. III (TaylorNet paragraph)",
          "'the original Taylor expansions (1.46 million)'; matches neither 292,825 nor 10x that"),
    Claim("taylor_prune50_acc", 0.98, "fraction", "Sec. III",
          "'the accuracy remains unchanged when N0 is reduced by half'"),
    Claim("taylor_prune30_acc", 0.98 - 0.0083, "fraction", "Sec. III",
          "'drops only by 0.83 percent when N0 is reduced to 30%'"),
    Claim("taylor_prune10_acc", 0.85, "fraction", "Sec. III", "'about 85%' at 10% of N0"),
    Claim("taylor_features_speedup", None, "ratio", "(ours)",
          "scikit-learn PolynomialFeatures time / cgcore time; no paper value"),
    Claim("resnet_mnist7_acc", 0.99, "fraction", "Sec. III", "'about 99%' with 1.3 M parameters"),
    Claim("resnet_mnist7_params", 1_300_000, "count", "Sec. III", "'1.3 million parameters'"),
)

PAPER = {c.claim: c for c in CLAIMS}


def paper_value(claim: str) -> float | None:
    if claim not in PAPER:
        raise KeyError(f"unknown claim {claim!r}; known: {', '.join(PAPER)}")
    return PAPER[claim].value
