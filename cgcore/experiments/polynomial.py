"""Beyond the paper: the polynomial inside a trained TaylorNet.

A TaylorNet in eval mode (batch norm an affine map) is a polynomial of its input of degree
2^L, L the number of CG layers. Two read-outs of the trained networks of
``cgcore.experiments.taylornet``:

* **degree along rays**: t -> logits(x0 + t (x1 - x0)) for pairs of test images, fitted in
  float64 by Chebyshev series beyond 2^L: how much of the function lives in each degree, and
  the highest degree above the floor that the degrees beyond 2^L (rounding noise) set;
* **quadratic coefficients** at the mean test image (the Hessian of every logit),
  drawn as Figs. 3 and 13 draw the direct expansion's, to ask whether the hierarchical CG
  puts its quadratic weight on near pixel pairs.

Config keys: ``networks`` (TaylorNet experiments), ``rays``, ``extra_degrees`` (fitted
beyond 2^L), ``hessian_network`` (7x7 networks only: N = 49 variables), ``seed``.
"""

from __future__ import annotations

import numpy as np
import torch

from ..checks import check_choice
from ..layers import CG2d, coefficients_along_ray
from ..results import load_result
from ..taylor import locality_shares, quadratic_coefficients_at
from .taylornet import TAYLORNETS, trained_network

NAME = "taylornet_polynomial"


def cg_layers(model: torch.nn.Module) -> int:
    return sum(isinstance(m, CG2d) for m in model.modules())


def degree_spectrum(model, test, rays: int, extra: int, seed: int) -> dict:
    """Chebyshev coefficients of the logits along ``rays`` segments between random pairs of
    test images (float64), up to degree 2^L + ``extra``; the floor is the largest coefficient
    beyond 2^L over all rays (where the exact polynomial has none)."""
    model = model.double()
    expected = 2 ** cg_layers(model)
    g = torch.Generator().manual_seed(seed)
    pairs = torch.randperm(len(test), generator=g)[:2 * rays].view(rays, 2)
    spectra = []
    for i, j in pairs.tolist():
        x0 = test.images[i:i + 1].double()
        spectra.append(coefficients_along_ray(model, test.images[j:j + 1].double() - x0, expected + extra, origin=x0))
    spectra = np.stack(spectra)                      # (rays, degrees)
    floor = float(spectra[:, expected + 1:].max())
    above = np.nonzero((spectra > 10 * floor).any(0))[0]
    energy = spectra[:, :expected + 1] ** 2
    energy = energy / energy.sum(1, keepdims=True)
    model.float()
    return {"expected_degree": expected, "cg_layers": cg_layers(model), "coefficients": spectra.tolist(),
            "floor": floor, "highest_degree": int(above.max()),
            "energy_share": energy.mean(0).tolist()}


def quadratic_at_mean(model, images: torch.Tensor) -> dict:
    """The logits' second-order coefficients at the mean image (pixel variables), as the
    upper triangles that Figs. 3 and 13 are drawn from, and their locality."""
    side = images.shape[-1]
    mean = images.double().mean(0, keepdim=True)
    maps = quadratic_coefficients_at(model.double(), mean)
    model.float()
    iu = np.triu_indices(side * side)
    upper = maps[:, iu[0], iu[1]]
    return {"side": side, "upper": upper.tolist(), "locality": locality_shares(upper, side)}


def run(config: dict, profile: str, progress: bool = True) -> dict:
    for name in config["networks"]:
        check_choice("networks", name, TAYLORNETS)
    out = {"networks": {}}
    for name in config["networks"]:
        model, net_config, test = trained_network(name, profile, progress=progress)
        out["networks"][name] = degree_spectrum(model, test, config["rays"], config["extra_degrees"], config["seed"])
        if name == config["hessian_network"]:
            out["quadratic"] = {"network": name, **quadratic_at_mean(model, test.images)}
    # the direct expansion's quadratic weights (stored in the variables u = (x - x0) / s of its
    # expansion at the mean image: its Hessian there up to one scale) for comparison
    direct = load_result("taylor_expansion", profile)
    if direct is not None and direct["result"].get("quadratic"):
        q = direct["result"]["quadratic"]
        out["direct_quadratic_locality"] = locality_shares(np.asarray(q["upper"]), q["side"])
    return out


def claims(result: dict) -> dict[str, float]:
    """taylornet_mnist7_degree, and the top-quintile share of the quadratic weights at pixel
    distance <= 1.5 (``taylornet_mnist7_quadratic_local_share``)."""
    out = {}
    for name, spectrum in result["networks"].items():
        out[f"{name}_degree"] = spectrum["highest_degree"]
    if "quadratic" in result:
        out[f"{result['quadratic']['network']}_quadratic_local_share"] = result["quadratic"]["locality"]["top_near"]
    return out


def runners() -> dict:
    return {NAME: (run, claims)}
