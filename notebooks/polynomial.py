# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Beyond the paper: the polynomial inside a trained TaylorNet
#
# The paper builds TaylorNet so that it *is* a Taylor expansion: every CG layer is a
# second-order polynomial of its cluster, so a network of $L$ CG layers (batch norm is an
# affine map once trained) is a polynomial of its input of degree $2^L$. The paper stops
# there. A reader of Sec. III asks next: is the trained network really of that degree, how
# much of it lives in each degree, and does it put its quadratic weight on *local*
# products, as the premise of the CG operation (and the paper's reading of Fig. 3) says?
# This chapter reads both out of the trained networks of the TaylorNet chapter
# (`cgcore.experiments.polynomial`).

# %% tags=["parameters"]
import os

profile = os.environ.get("CGBOOK_PROFILE", "cpu")         # smoke | cpu | paper
recompute = os.environ.get("CGBOOK_RECOMPUTE", "auto")    # auto | always | never

# %% tags=["remove-input"]
import numpy as np
import pandas as pd
from IPython.display import display

from cgcore import plots
from cgcore.checks import check_choice
from cgcore.experiments import run_or_load
from cgcore.profiles import PROFILES
from cgcore.report import claims_table, format_claims, manifest_summary, show_markdown

check_choice("profile", profile, PROFILES)

# %% [markdown]
# ## The degree along rays
#
# For pairs of test images $x_0, x_1$ we evaluate the logits on the segment
# $t \mapsto f(x_0 + t\,(x_1 - x_0))$, $t \in [-1, 1]$, in float64 at Chebyshev nodes and fit a
# Chebyshev series up to degree $2^L + 8$ (`cgcore.layers.coefficients_along_ray`). A
# polynomial of degree $2^L$ is fitted exactly, so the coefficients beyond $2^L$ are rounding
# noise: the largest of them is the floor, and the highest degree more than ten times above
# it is what the trained network measurably uses.

# %% tags=["hide-input"]
stored = run_or_load("taylornet_polynomial", profile, recompute=recompute)
result = stored["result"]
spectra = {name: (np.median(np.asarray(s["coefficients"]), axis=0), s["expected_degree"])
           for name, s in result["networks"].items()}
fig = plots.degree_spectrum(spectra, title="Trained TaylorNets: logits along segments between test images")

# %% tags=["remove-input", "hide-output"]
manifest_summary(stored["manifest"])

# %% tags=["hide-input"]
BANDS = [(0, 0), (1, 1), (2, 2), (3, 4), (5, 8), (9, 16)]
rows = []
for name, s in result["networks"].items():
    share = np.asarray(s["energy_share"])
    row = {"network": name, "CG layers": s["cg_layers"], "degree 2^L": s["expected_degree"],
           "highest degree above the floor": s["highest_degree"], "floor": f"{s['floor']:.1e}"}
    for lo, hi in BANDS:
        if lo <= s["expected_degree"]:
            label = f"degree {lo}" if lo == hi else f"degrees {lo}-{min(hi, s['expected_degree'])}"
            row[label] = f"{share[lo:hi + 1].sum():.1e}"
    rows.append(row)
display(pd.DataFrame(rows).set_index("network"))
text = []
for name, s in result["networks"].items():
    share = np.asarray(s["energy_share"])
    text.append(f"**{name}**: {share[:3].sum():.2%} of the energy along the segments lies in degrees 0 to 2, and the "
                f"highest degree above the floor is {s['highest_degree']} of the {s['expected_degree']} the "
                f"architecture allows" + (" (all of them)." if s["highest_degree"] == s["expected_degree"] else
                                            ": the higher coefficients are smaller than float64 can resolve."))
steep = all(np.all(np.diff(np.log10(np.asarray(s["energy_share"])[2:s["highest_degree"] + 1])) < -1)
            for s in result["networks"].values())
show_markdown(
    " ".join(text) + " (Energy: each degree's squared Chebyshev coefficient, the largest over the logits, as a "
    "share of the total, averaged over the segments.) "
    + ("On the scale of the data both networks are polynomials of low effective degree: from the second degree "
       "up to the highest one measured, each degree carries less than a tenth of the energy of the one before."
       if steep else "The energy does not fall by a factor of ten from each degree to the next."))

# %% [markdown]
# ## Where the quadratic weight sits
#
# The second-order Taylor coefficients of each logit at the mean test image (the Hessian,
# halved on the diagonal; `cgcore.taylor.quadratic_coefficients_at`), in the pixels of the
# 7×7 image, drawn as Fig. 3 draws the direct expansion's: levels by magnitude against the
# distance between the two pixels of a product.

# %%
quadratic = result["quadratic"]
fig = plots.quadratic_levels(quadratic, by="magnitude",
                             title=f"Trained {quadratic['network']}: quadratic coefficients at the mean image")

# %% [markdown]
# And per class, as Fig. 13 draws them: each logit's 49 × 49 map of coefficients of
# $x_i x_j$, coloured by level (levels by magnitude over all classes), with the count of
# coefficients per level under each map. Near pairs sit close to the diagonal, and pixels
# one row apart seven places from it.

# %%
fig = plots.quadratic_maps(quadratic, by="magnitude",
                           title=f"Trained {quadratic['network']}: $x_i x_j$ coefficients per class, by level")

# %% tags=["hide-input"]
ours = quadratic["locality"]
rows = {f"TaylorNet ({quadratic['network']}), pixels x, at the mean test image": ours}
direct = result.get("direct_quadratic_locality")
if direct:
    rows["direct expansion, order 4 (Taylor chapter), standardised u = (x − x̄)/s, at the mean image"] = direct
table = pd.DataFrame(rows).T.rename(columns={
    "top_near": "top fifth at distance ≤ 1.5", "all_near": "all pairs at ≤ 1.5",
    "top_far": "top fifth at distance ≥ 5", "all_far": "all pairs at ≥ 5"})
display(table.map("{:.1%}".format))
verdict = (f"The largest fifth of the TaylorNet's quadratic coefficients puts {ours['top_near']:.1%} of its members on "
           f"pixel pairs at distance ≤ 1.5, where {ours['all_near']:.1%} of all pairs lie")
verdict += (": the hierarchical CG does favour near pairs." if ours["top_near"] > 1.5 * ours["all_near"] else
            ": no clear preference for near pairs.")
if direct:
    more = "more" if ours["top_near"] > direct["top_near"] else "less"
    verdict += (f" The direct expansion of the Taylor chapter, with no hierarchy, puts {direct['top_near']:.1%} there "
                f"in its standardised variables: the TaylorNet concentrates {more} of its large quadratic weight on "
                "near pairs than it. (Each is read in its own variables; the Taylor chapter also reads the direct "
                "expansion in the paper's raw pixels at the black image.)")
show_markdown(verdict)

# %% [markdown]
# ## Claims of this chapter

# %% tags=["hide-input"]
format_claims(claims_table(profile, prefix=("taylornet_mnist_degree", "taylornet_mnist7_degree",
                                            "taylornet_mnist7_quadratic")), compact=True)
