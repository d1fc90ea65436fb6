"""Sec. II, Fig. 1: a real-space RG of a chain with binary isometries, executed on numbers.

The paper's RG maps the variables of two neighbouring links to one coarse-grained variable
with an isometry U, level by level, so that a chain of L = 2^n sites becomes 1 site after n
scale transformations ("by isometry we mean there are fewer DOFs after the mapping").
:func:`isometry_tree` does exactly that to a random vector of a chain of d-dimensional
sites: every U maps the d^2 states of a pair to d states and satisfies U U^T = 1. The U are
random (QR of a Gaussian matrix), so the numbers show the counting, not a physical RG: a
real RG chooses each U to keep the relevant part of the operator, e.g. the dominant
eigenvectors of a reduced density matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# d^L numbers are held in memory; keep the illustration small.
MAX_STATE_SIZE = 2 ** 22


def rg_levels(length) -> int:
    """n for a chain of length L = 2^n >= 2 (the number of binary scale transformations);
    ValueError for anything else."""
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)):
        raise ValueError(f"length must be an int, a power of 2 >= 2, got {length!r}")
    length = int(length)
    if length < 2 or length & (length - 1):
        raise ValueError(f"length must be a power of 2 >= 2 (binary isometries pair up the sites "
                         f"at every level), got {length}")
    return length.bit_length() - 1


def random_isometry(d_in: int, d_out: int, rng: np.random.Generator) -> np.ndarray:
    """A (d_out, d_in) matrix U with orthonormal rows, U U^T = 1 (needs d_out <= d_in):
    the transpose of the Q factor of a Gaussian (d_in, d_out) matrix."""
    if not 1 <= d_out <= d_in:
        raise ValueError(f"an isometry maps d_in={d_in} states onto at most as many, got d_out={d_out}")
    q, r = np.linalg.qr(rng.standard_normal((d_in, d_out)))
    return (q * np.sign(np.diag(r))).T   # sign fix: Q is then Haar-distributed


def apply_pairwise(state: np.ndarray, isometries: list[np.ndarray], d: int) -> np.ndarray:
    """One scale transformation: isometries[k] acts on sites 2k and 2k+1 of ``state``
    (a vector of a chain of d-dimensional sites, site 0 the most significant index);
    the result is the vector of the coarse chain, one d-dimensional site per pair."""
    sites = len(isometries)
    psi = state.reshape((d * d,) * sites)
    for axis, u in enumerate(isometries):
        psi = np.moveaxis(np.tensordot(u, psi, axes=([1], [axis])), 0, axis)
    return psi.reshape(-1)


@dataclass(frozen=True)
class IsometryTree:
    """What :func:`isometry_tree` did: one row per level (see ``rows``), the isometries of
    every scale transformation (``isometries[k - 1]`` are the U^(k)), and the vector at
    every level (``states[0]`` is the input)."""

    length: int
    bond_dim: int
    isometries: list[list[np.ndarray]]
    states: list[np.ndarray]

    @property
    def rows(self) -> list[dict]:
        d, rows = self.bond_dim, []
        norm0 = float(np.linalg.norm(self.states[0]))
        for level, psi in enumerate(self.states):
            sites = self.length >> level
            rows.append({
                "level": level,
                "isometries applied": len(self.isometries[level - 1]) if level else 0,
                "sites": sites,
                "lattice sites per site": 2 ** level,
                "states per site": d,
                "states per site, untruncated": d ** (2 ** level),
                "vector dimension": psi.size,
                "vector dimension, untruncated": d ** self.length,
                "norm kept": float(np.linalg.norm(psi)) / norm0,
            })
        return rows


def isometry_tree(length: int = 8, bond_dim: int = 2, seed: int = 0) -> IsometryTree:
    """Fig. 1 on numbers: a random unit vector of a chain of ``length`` sites of dimension
    ``bond_dim`` = d, coarse-grained by L/2 isometries U^(1), then L/4 U^(2), ..., one U^(n).
    Each U is a random (d, d^2) isometry, U U^T = 1. Level k keeps L/2^k sites of d states,
    a vector of d^(L/2^k) numbers, where the untruncated blocks would need d^L."""
    levels = rg_levels(length)
    if isinstance(bond_dim, bool) or not isinstance(bond_dim, int) or bond_dim < 1:
        raise ValueError(f"bond_dim must be a positive int, got {bond_dim!r}")
    if bond_dim ** length > MAX_STATE_SIZE:
        raise ValueError(f"bond_dim**length = {bond_dim}**{length} numbers is more than this "
                         f"illustration holds ({MAX_STATE_SIZE})")
    rng = np.random.default_rng(seed)
    psi = rng.standard_normal(bond_dim ** length)
    states, isometries = [psi / np.linalg.norm(psi)], []
    for level in range(1, levels + 1):
        us = [random_isometry(bond_dim ** 2, bond_dim, rng) for _ in range(length >> level)]
        isometries.append(us)
        states.append(apply_pairwise(states[-1], us, bond_dim))
    return IsometryTree(length=length, bond_dim=bond_dim, isometries=isometries, states=states)
