"""Appendix A, Fig. 4(c) and Fig. 10 (= Fig. S1): the polynomial z after two CG levels.

Four variables in two clusters, y1 = CG(x1, x2), y2 = CG(x3, x4), z = CG(y1, y2), every
CG the generic second-order polynomial of Eq. (4) with its own symbolic coefficients
(p for y1, q for y2, r for z). Expanded, z is a polynomial of degree 4 in x, written as

    z = a W b^T                                                             (Eq. A1)

with a the 15 monomials of degree <= 4 in (x1, x2) and b those in (x3, x4), in the order
of Eq. (A2). Every monomial of z is (one monomial of a) * (one monomial of b), so W is
exact. Fig. 10 marks the nonzero entries of W (drawn with the a-terms as columns and the
b-terms as rows, i.e. W^T) and boxes the five that a plain convolution (order-1 CGs, linear
maps only) would produce: 1, x1, x2, x3, x4.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import sympy

X = sympy.symbols("x1:5")


def cg_polynomial(variables, coefficient: str, order: int = 2) -> sympy.Expr:
    """Eq. (4) for one cluster: sum over all monomials of degree <= order of the variables,
    each with its own symbol, e.g. p_0 + p_1 x1 + p_2 x2 + p_11 x1^2 + p_12 x1 x2 + p_22 x2^2."""
    if order < 1:
        raise ValueError(f"order must be >= 1, got {order}")
    terms = []
    for degree in range(order + 1):
        for combo in itertools.combinations_with_replacement(range(len(variables)), degree):
            name = "".join(str(i + 1) for i in combo) or "0"
            terms.append(sympy.Symbol(f"{coefficient}_{name}") * math.prod(variables[i] for i in combo))
    return sympy.Add(*terms)


def monomial_basis(u: sympy.Symbol, v: sympy.Symbol) -> list[sympy.Expr]:
    """The 15 monomials of degree <= 4 in (u, v), in the order of Eq. (A2)."""
    return [sympy.Integer(1), u, u**2, u**3, u**4, v, v**2, v**3, v**4,
            u * v, u * v**2, u**2 * v, u**2 * v**2, u * v**3, u**3 * v]


def coefficient_matrix(z: sympy.Expr, a: list, b: list, variables=X) -> sympy.Matrix:
    """W with z = a W b^T: W[i, j] is the coefficient of the monomial a[i] * b[j] in z."""
    def exponents(monomial):
        return sympy.Poly(monomial, *variables).monoms()[0]

    row_of = {exponents(m): i for i, m in enumerate(a)}
    col_of = {exponents(m): j for j, m in enumerate(b)}
    W = sympy.zeros(len(a), len(b))
    half = len(variables) // 2
    for powers, coeff in sympy.Poly(z, *variables).terms():
        a_powers = powers[:half] + (0,) * (len(variables) - half)
        b_powers = (0,) * half + powers[half:]
        if a_powers not in row_of or b_powers not in col_of:
            raise ValueError(f"monomial {sympy.Mul(*(x**e for x, e in zip(variables, powers)))} "
                             "is not a product of one term of a and one of b")
        W[row_of[a_powers], col_of[b_powers]] += coeff
    return W


def nonzero_pattern(W: sympy.Matrix) -> np.ndarray:
    """1 where the entry of W is not identically zero (Fig. 10's 1s), else 0."""
    return np.array([[int(sympy.expand(w) != 0) for w in row] for row in W.tolist()], dtype=np.int64)


@dataclass(frozen=True)
class TwoLevelCG:
    """Fig. 4(c) worked out: the intermediate variables, z, and z = a W b^T."""

    x: tuple[sympy.Symbol, ...]
    y1: sympy.Expr
    y2: sympy.Expr
    z: sympy.Expr                 # expanded in x
    a: list[sympy.Expr]
    b: list[sympy.Expr]
    W: sympy.Matrix               # 15 x 15, indexed [a term, b term]
    pattern: np.ndarray           # nonzero entries of W (0/1)
    conv_pattern: np.ndarray      # entries a convolution (order-1 CGs) would produce


def _two_level_z(order: int) -> tuple[sympy.Expr, sympy.Expr, sympy.Expr]:
    x1, x2, x3, x4 = X
    y1 = cg_polynomial((x1, x2), "p", order)
    y2 = cg_polynomial((x3, x4), "q", order)
    y = sympy.symbols("y1 y2")
    z = cg_polynomial(y, "r", order).subs({y[0]: y1, y[1]: y2}, simultaneous=True)
    return y1, y2, sympy.expand(z)


def two_level_cg() -> TwoLevelCG:
    """Appendix A: two successive order-2 CGs on x1..x4, z = a W b^T."""
    x1, x2, x3, x4 = X
    a, b = monomial_basis(x1, x2), monomial_basis(x3, x4)
    y1, y2, z = _two_level_z(order=2)
    W = coefficient_matrix(z, a, b)
    _, _, z_linear = _two_level_z(order=1)
    return TwoLevelCG(x=X, y1=y1, y2=y2, z=z, a=a, b=b, W=W, pattern=nonzero_pattern(W),
                      conv_pattern=nonzero_pattern(coefficient_matrix(z_linear, a, b)))
