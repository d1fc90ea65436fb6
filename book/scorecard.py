# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Scorecard: the paper's numbers against ours
#
# Every claim of the paper that has a stored result, generated from the results store.
# `paper` is the paper's own value (from `cgcore.paper`, the only hand-typed numbers of
# the book), `ours` is the stored result of the profile below, `delta` = ours − paper.
# Accuracies are fractions of the test set. The same table is written to
# `results/<profile>/scorecard.csv` (columns `claim,paper,ours,unit,delta,result_file`),
# with fixed claim ids to script against.

# %% tags=["parameters"]
import os

profile = os.environ.get("CGBOOK_PROFILE", "cpu")   # smoke | cpu | paper

# %%
from cgcore.paper import PAPER
from cgcore.profiles import PROFILES
from cgcore.data import check_choice
from cgcore.report import format_claims
from cgcore.scorecard import write_scorecard

check_choice("profile", profile, PROFILES)
table = write_scorecard(profile)
shown = format_claims(table.set_index("claim"))
shown["paper's wording"] = [PAPER[c].note if c in PAPER else "" for c in shown.index]
shown

# %% [markdown]
# Claims of the paper with no stored result yet (later chapters add them):

# %%
missing = [c for c in PAPER if c not in set(table["claim"])]
print(", ".join(missing) if missing else "none")
