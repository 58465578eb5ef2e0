"""The paired t-interval covers a known difference at its stated rate (Monte Carlo)."""

import math

import numpy as np
import pytest
from scipy import stats

from analysis.intervals import CONFIDENCE, excludes_zero, mean_interval, paired_interval

REPS = 4000
"""Monte Carlo repetitions: the coverage estimate's standard error is about 0.0034."""


def _coverage(n_seeds: int, interval, rng) -> float:
    """Share of experiments whose interval covers the true difference ``delta``.

    Each seed is a population whose effect (sd 5) both mechanisms share (common random
    numbers); each mechanism adds its own noise (sd 1); the true difference is 0.03.
    """
    delta, covered = 0.03, 0
    for _ in range(REPS):
        population = rng.normal(0.0, 5.0, n_seeds)
        baseline = 0.6 + population + rng.normal(0.0, 1.0, n_seeds)
        other = 0.6 + delta + population + rng.normal(0.0, 1.0, n_seeds)
        _, low, high, _ = interval(other, baseline)
        covered += low <= delta <= high
    return covered / REPS


@pytest.mark.parametrize("n_seeds", [3, 5, 10])
def test_paired_interval_covers_a_known_difference_at_its_level(n_seeds):
    rng = np.random.default_rng(n_seeds)
    coverage = _coverage(n_seeds, paired_interval, rng)
    se = math.sqrt(CONFIDENCE * (1 - CONFIDENCE) / REPS)
    assert abs(coverage - CONFIDENCE) < 4 * se, coverage


def test_a_normal_interval_at_three_seeds_is_caught_undercovering():
    """The check can fail: z instead of t at n = 3 covers about 80%, not 95%."""

    def z_interval(values, baseline):
        diff = np.asarray(values) - np.asarray(baseline)
        half = stats.norm.ppf(0.975) * diff.std(ddof=1) / math.sqrt(diff.size)
        return diff.mean(), diff.mean() - half, diff.mean() + half, diff.size

    coverage = _coverage(3, z_interval, np.random.default_rng(0))
    assert coverage < CONFIDENCE - 4 * math.sqrt(CONFIDENCE * (1 - CONFIDENCE) / REPS)


def test_ignoring_the_pairing_would_hide_the_difference():
    """With a large shared population effect, the unpaired interval of one mechanism's mean
    spans far more than the paired interval of the difference."""
    rng = np.random.default_rng(1)
    population = rng.normal(0.0, 5.0, 5)
    baseline = population + rng.normal(0.0, 0.01, 5)
    other = population + 0.5 + rng.normal(0.0, 0.01, 5)
    _, low, high, _ = paired_interval(other, baseline)
    assert excludes_zero(low, high)
    _, alone_low, alone_high, _ = mean_interval(other)
    assert alone_high - alone_low > 50 * (high - low)


def test_one_seed_has_no_interval_and_nan_is_left_out():
    mean, low, high, n = mean_interval([0.7])
    assert mean == 0.7 and n == 1 and math.isnan(low) and math.isnan(high)
    mean, low, high, n = mean_interval([0.6, np.nan, 0.8])
    assert n == 2 and mean == pytest.approx(0.7) and low < 0.7 < high
    assert not excludes_zero(math.nan, 1.0)
