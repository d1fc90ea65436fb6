"""The paper's reference values (cgcore.paper): one labelled entry per claim, and every
claim an experiment stores has one."""

import pytest

from cgcore.paper import CIFAR10_CAVEAT, CLAIMS, PAPER, SIZED_TO_MATCH, claim_label, paper_value


def test_paper_values_are_labelled_and_unique():
    assert len(PAPER) == len(CLAIMS)
    assert paper_value("taylor_order4_acc") == 0.98
    for claim in CLAIMS:
        assert claim.source
        if claim.unit == "fraction" and claim.value is not None:
            assert 0 < claim.value <= 1, claim
    with pytest.raises(KeyError, match="unknown claim"):
        paper_value("nosuch")


def test_every_claim_has_a_label_and_cifar10_claims_carry_the_jpeg_caveat():
    for claim in PAPER:
        assert claim_label(claim) != claim, claim
        if "cifar10" in claim and PAPER[claim].unit == "fraction":
            assert CIFAR10_CAVEAT in claim_label(claim), claim


def test_sized_to_match_counts_are_paper_counts():
    assert SIZED_TO_MATCH <= set(PAPER)
    assert all(PAPER[c].unit == "count" and PAPER[c].value is not None for c in SIZED_TO_MATCH)

