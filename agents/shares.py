"""Shares of a population by type: checked, turned into exact counts, assigned at random."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np


def check_shares(mix: dict[str, float], known) -> dict[str, float]:
    """``mix`` if it names only ``known`` types with finite shares >= 0 summing to 1."""
    unknown = sorted(set(mix) - set(known))
    if unknown:
        raise ValueError(f"unknown type(s) {unknown}; use {list(known)}")
    shares = np.array([float(v) for v in mix.values()])
    if np.any(~np.isfinite(shares)) or np.any(shares < 0):
        raise ValueError("every share must be a finite number >= 0")
    if not np.isclose(shares.sum(), 1.0, rtol=0, atol=1e-9):
        raise ValueError(f"shares sum to {shares.sum()}; make them sum to 1")
    return mix


def counts_in_shares(mix: Mapping[str, float], n: int) -> np.ndarray:
    """Members of each type of ``mix`` (shares summing to 1) among ``n``, by largest remainder.

    Each type gets ``floor(n * share)`` members; the members left over go to the types with
    the largest remainders (ties in the mapping's order), so every count is within one of
    ``n * share`` and the counts sum to ``n``.
    """
    exact = np.array([float(share) for share in mix.values()]) * n
    counts = np.floor(exact).astype(int)
    leftover = n - int(counts.sum())
    counts[np.argsort(-(exact - counts), kind="stable")[:leftover]] += 1
    return counts


def assign_in_shares(mix: Mapping[str, float], n: int, rng: np.random.Generator) -> np.ndarray:
    """Type names for ``n`` members: :func:`counts_in_shares`, then a random order."""
    names = np.array(list(mix), dtype=object)
    return rng.permutation(np.repeat(names, counts_in_shares(mix, n)))
