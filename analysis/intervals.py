"""Means over seeds with 95% Student-t intervals, for one outcome or for paired differences.

A run's outcome is one draw per seed. Across ``n`` seeds the 95% interval of the mean is
``mean ± t_{0.975, n-1} s / sqrt(n)`` (Student t, ``s`` the sample standard deviation),
undefined (NaN) for ``n = 1``.

Comparisons pair by seed: every mechanism runs on the same seeds (common random numbers:
the same annotators, costs, judges and evaluation pairs), so the difference of two mechanisms
is taken seed by seed and its interval is the t-interval of those ``n`` differences (the
paired t-interval). Pairing removes the variation between populations, which is most of the
spread; the t-interval is exact for normal differences and holds its level well at the small
``n`` of a demo (3 to 10), where a bootstrap of 3 points cannot (it never reaches outside the
observed range). ``tests/analysis/test_intervals.py`` checks its coverage by Monte Carlo.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

CONFIDENCE = 0.95


def _finite(values) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values[np.isfinite(values)]


def mean_interval(values) -> tuple[float, float, float, int]:
    """Mean, 95% t-interval (low, high) and count of the finite ``values``."""
    values = _finite(values)
    n = values.size
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(values.mean())
    if n == 1:
        return mean, math.nan, math.nan, 1
    half = stats.t.ppf(0.5 + CONFIDENCE / 2, n - 1) * values.std(ddof=1) / math.sqrt(n)
    return mean, mean - half, mean + half, n


def paired_interval(values, baseline) -> tuple[float, float, float, int]:
    """Mean difference ``values - baseline`` over seeds (arrays aligned by seed) and its 95%
    paired t-interval; seeds where either is missing are left out."""
    return mean_interval(np.asarray(values, dtype=float) - np.asarray(baseline, dtype=float))


def paired_sd(values, baseline) -> float:
    """Sample standard deviation (``ddof=1``) of the differences ``values - baseline`` over
    the seeds where both are known, as :func:`paired_interval` takes them; NaN below two."""
    differences = _finite(np.asarray(values, dtype=float) - np.asarray(baseline, dtype=float))
    return float(differences.std(ddof=1)) if differences.size > 1 else math.nan


def excludes_zero(low: float, high: float) -> bool:
    """Whether an interval lies wholly on one side of 0 (False when undefined)."""
    return bool(np.isfinite(low) and np.isfinite(high) and (low > 0 or high < 0))


def with_interval(mean: float, low: float, high: float, digits: int = 3) -> str:
    """``mean ± half-width`` of a symmetric interval, the mean alone when the interval is
    undefined, ``n/a`` without a mean."""
    if not np.isfinite(mean):
        return "n/a"
    if not (np.isfinite(low) and np.isfinite(high)):
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ± {(high - low) / 2:.{digits}f}"
