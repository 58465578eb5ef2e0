"""The minimum detectable difference has the power it claims (Monte Carlo), and one
evaluation's resolution is the binomial standard error the README quotes."""

import math

import numpy as np
import pytest
from scipy import stats

from analysis.intervals import CONFIDENCE
from analysis.resolution import POWER, evaluation_resolution, min_detectable_difference

REPS = 20_000
"""Simulated experiments per check: the rejection rate's standard error is about 0.0028."""
SIGMA = 0.02
"""SD of the per-seed differences (two points of reward accuracy)."""


def _rejection_rate(delta: float, n_seeds: int, rng: np.random.Generator) -> float:
    """Share of simulated paired experiments (``n_seeds`` normal differences of mean ``delta``
    and SD :data:`SIGMA`) in which the two-sided 5% paired t test rejects a zero difference."""
    differences = rng.normal(delta, SIGMA, size=(REPS, n_seeds))
    t = differences.mean(axis=1) / (differences.std(axis=1, ddof=1) / math.sqrt(n_seeds))
    return float(np.mean(np.abs(t) > stats.t.ppf(0.5 + CONFIDENCE / 2, n_seeds - 1)))


@pytest.mark.parametrize("n_seeds", [2, 3, 5, 10])
def test_the_paired_t_test_detects_the_minimum_detectable_difference_80_percent_of_the_time(
    n_seeds,
):
    rng = np.random.default_rng(100 + n_seeds)
    delta = min_detectable_difference(SIGMA, n_seeds)
    rate = _rejection_rate(delta, n_seeds, rng)
    se = math.sqrt(POWER * (1 - POWER) / REPS)
    assert abs(rate - POWER) < 3 * se, (n_seeds, delta, rate)


def test_the_normal_approximation_is_caught_underpowered_at_three_seeds():
    """The check can fail: ``(z_0.975 + z_0.8) sigma / sqrt(n)``, right for many seeds, has
    far less than 80% power at three."""
    normal = (stats.norm.ppf(0.975) + stats.norm.ppf(POWER)) * SIGMA / math.sqrt(3)
    rate = _rejection_rate(normal, 3, np.random.default_rng(7))
    assert rate < POWER - 3 * math.sqrt(POWER * (1 - POWER) / REPS)
    assert min_detectable_difference(SIGMA, 3) > 1.5 * normal


def test_cohens_table_value_at_ten_seeds():
    """A standardised difference d = 1 needs about 10 pairs for 80% power (Cohen 1988)."""
    assert min_detectable_difference(1.0, 10) == pytest.approx(1.0, abs=0.01)


def test_it_scales_with_the_sd_and_is_undefined_without_two_seeds():
    assert min_detectable_difference(2 * SIGMA, 5) == pytest.approx(
        2 * min_detectable_difference(SIGMA, 5)
    )
    assert min_detectable_difference(0.0, 5) == 0.0  # identical differences: any shift shows
    assert math.isnan(min_detectable_difference(SIGMA, 1))
    assert math.isnan(min_detectable_difference(math.nan, 5))
    assert min_detectable_difference(SIGMA, 20) < min_detectable_difference(SIGMA, 5)


def test_one_evaluation_on_the_whole_test_split_resolves_about_a_point():
    """The README: 2,565 test pairs give a binomial standard error of about 0.9 points at
    accuracy 0.7; a quarter of the pairs, twice that."""
    assert evaluation_resolution(0.7, 2565) == pytest.approx(0.009, abs=0.0002)
    assert evaluation_resolution(0.7, 2565 // 4) == pytest.approx(
        2 * evaluation_resolution(0.7, 2565), rel=1e-3
    )
    rng = np.random.default_rng(3)  # the spread of measured accuracies, simulated
    measured = rng.binomial(2565, 0.7, size=20_000) / 2565
    assert measured.std() == pytest.approx(evaluation_resolution(0.7, 2565), rel=0.03)
    assert math.isnan(evaluation_resolution(math.nan, 2565))
