import numpy as np
import pytest
import sympy

from cgcore.symbolic import X, cg_polynomial, coefficient_matrix, monomial_basis, two_level_cg

x1, x2, x3, x4 = X


@pytest.fixture(scope="module")
def cg():
    return two_level_cg()


def test_shapes_and_bases(cg):
    assert cg.W.shape == (15, 15) and cg.pattern.shape == (15, 15) and cg.conv_pattern.shape == (15, 15)
    # Eq. (A2), term by term
    assert cg.a == [1, x1, x1**2, x1**3, x1**4, x2, x2**2, x2**3, x2**4,
                    x1 * x2, x1 * x2**2, x1**2 * x2, x1**2 * x2**2, x1 * x2**3, x1**3 * x2]
    assert cg.b == [t.subs({x1: x3, x2: x4}, simultaneous=True) for t in cg.a]
    assert len(set(cg.a)) == 15


def test_z_equals_a_W_bT(cg):
    product = (sympy.Matrix([cg.a]) * cg.W * sympy.Matrix([cg.b]).T)[0, 0]
    assert sympy.expand(product - cg.z) == 0


def test_z_is_two_cgs(cg):
    """z is the order-2 CG of (y1, y2), y1 and y2 those of (x1, x2) and (x3, x4)."""
    assert cg.y1.free_symbols & set(X) == {x1, x2}
    assert cg.y2.free_symbols & set(X) == {x3, x4}
    assert sympy.Poly(cg.y1, *X).total_degree() == 2
    assert len(sympy.Poly(cg.y1, *X).terms()) == 6   # 1, x1, x2, x1^2, x1 x2, x2^2


def test_terms_named_in_the_text_appear(cg):
    """Sec. III: x_i^3, x_i^4, x1 x3, x1 x2 x3, x1 x2 x3 x4 show up in z."""
    monomials = {sympy.Mul(*(x**e for x, e in zip(X, powers)))
                 for powers in sympy.Poly(cg.z, *X).monoms()}
    for term in [x1**3, x2**3, x3**3, x4**3, x1**4, x2**4, x3**4, x4**4,
                 x1 * x3, x1 * x2 * x3, x1 * x2 * x3 * x4]:
        assert term in monomials, term
    assert x1**3 * x3 not in monomials   # degree 3 in one cluster times the other: impossible


def test_degree_of_z_is_four(cg):
    assert sympy.Poly(cg.z, *X).total_degree() == 4


def test_pattern(cg):
    # The b = 1 column is all 1 (y1^2 holds every monomial of degree <= 4 in x1, x2) and
    # the cubic/quartic b-terms only meet a = 1 (they come from y2^2 alone).
    assert cg.pattern[:, 0].all() and cg.pattern[0, :].all()
    assert cg.pattern[1:, [3, 4, 7, 8]].sum() == 0
    assert (cg.pattern == cg.pattern.T).all()
    assert cg.pattern.sum() == 54
    assert set(np.unique(cg.pattern)) == {0, 1}


def test_convolution_entries(cg):
    """Fig. 10's red boxes: a linear CG only gives 1, x1, x2, x3, x4."""
    assert sorted(zip(*np.nonzero(cg.conv_pattern))) == [(0, 0), (0, 1), (0, 5), (1, 0), (5, 0)]
    assert (cg.pattern >= cg.conv_pattern).all()


def test_coefficient_matrix_rejects_terms_outside_the_basis():
    a, b = monomial_basis(x1, x2), monomial_basis(x3, x4)
    with pytest.raises(ValueError, match="not a product"):
        coefficient_matrix(x1**5, a, b)


def test_cg_polynomial_counts_terms():
    assert len(cg_polynomial((x1, x2), "p").args) == 6
    assert len(cg_polynomial(X, "p", order=3).args) == 35   # C(4 + 3, 3)
