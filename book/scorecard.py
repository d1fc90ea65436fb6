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
# Every claim of the paper that has a stored result, generated from the results store and
# grouped by the paper's sections. `paper` is the paper's own value (from `cgcore.paper`,
# the only hand-typed numbers of the book), `ours` is the stored result of the profile
# below, `delta` = ours − paper. Accuracies are shares of the test set; the verdict rule
# (`cgcore.scorecard.verdict`) follows the profile. The same table is written to
# `results/<profile>/scorecard.csv`, with fixed claim ids to script against (columns
# `claim, paper, ours, unit, delta, result_file, section, label, verdict`).

# %% tags=["parameters"]
import os

profile = os.environ.get("CGBOOK_PROFILE", "cpu")   # smoke | cpu | paper

# %% tags=["remove-input"]
from IPython.display import HTML, display

from cgcore.checks import check_choice
from cgcore.paper import PAPER
from cgcore.profiles import PROFILES
from cgcore.report import format_claims, missing_claims_table, show_markdown
from cgcore.scorecard import VERDICT_RULES, scorecard_blocks, write_scorecard

check_choice("profile", profile, PROFILES)
show_markdown("**The verdict rule:**\n\n" + VERDICT_RULES)
table = write_scorecard(profile)
shown = format_claims(table.set_index("claim"))
shown["the paper's wording"] = [PAPER[c].note if c in PAPER else "" for c in shown.index]

for title, html in scorecard_blocks(shown):
    show_markdown(f"## {title}")
    if title.startswith(("Beyond the paper", "Benchmarks")):   # ours, not the paper's: one click away
        rows = html.count("<tr>") - 1
        html = f"<details><summary>{rows} numbers of ours, with no value in the paper (show)</summary>{html}</details>"
    display(HTML(html))

# %% [markdown]
# Claims with no stored result for this profile (the chapter each belongs to says how to
# compute it):

# %% tags=["remove-input"]
missing = missing_claims_table(table)
display(missing) if len(missing) else show_markdown("none")

# %% [markdown]
# ## What the book costs to recompute
#
# The cost of every stored result of this profile, from its manifest: the run's wall time
# plus the work it read from checkpoints when it resumed an interrupted run (the seconds
# those checkpoints recorded). A dash marks a manifest written before it recorded that, or
# peak memory: if such a run was resumed, its minutes are a lower bound. The seed repeats
# are totalled apart.

# %% tags=["remove-input", "hide-output"]
from cgcore.report import compute_budget, format_budget

format_budget(compute_budget(profile))
