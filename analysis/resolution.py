"""What a comparison can resolve: the smallest difference its seeds detect, and the resolution
of one evaluation of a reward model.

A paired difference that the 95% interval of :mod:`analysis.intervals` does not separate from
0 is not shown to be 0: the seeds may be too few to see it. :func:`min_detectable_difference`
says how large a difference those seeds would have caught (with power 0.8), so "not
distinguishable" reads as "likely smaller than that". :func:`evaluation_resolution` is the
binomial standard error of one accuracy measurement: a difference below it is smaller than
what one evaluation on the test split resolves, however narrow its interval over seeds.
"""

from __future__ import annotations

import math

from scipy import optimize, stats

from analysis.intervals import CONFIDENCE

POWER = 0.8
"""The power at which a difference counts as detectable (Cohen's conventional 0.8)."""


def _power_gap(noncentrality: float, df: int, critical: float) -> float:
    """Power of the two-sided t test (``df`` degrees of freedom, critical value ``critical``)
    whose statistic is noncentral t with ``noncentrality``, minus :data:`POWER`."""
    upper = stats.nct.sf(critical, df, noncentrality)
    # P(T < -c) by symmetry: scipy's nct.cdf(-c) is NaN at large noncentrality, this is not
    lower = stats.nct.sf(critical, df, -noncentrality)
    return float(upper + lower) - POWER


def min_detectable_difference(sd: float, n: int) -> float:
    """The smallest true mean difference the paired t test at ``n`` seeds detects with power
    :data:`POWER` (0.8): two-sided, at level ``1 - CONFIDENCE`` (5%), the intervals' level.

    With per-seed differences ``D_i ~ N(delta, sigma^2)``, the paired t statistic
    ``T = mean(D) / (s / sqrt(n))`` is noncentral t with ``n - 1`` degrees of freedom and
    noncentrality ``lambda = delta sqrt(n) / sigma``, and the test rejects when
    ``|T| > c = t_{0.975, n-1}``. Its power is

        ``P(lambda) = 1 - F(c; n - 1, lambda) + F(-c; n - 1, lambda)``

    (``F`` the noncentral t distribution function; the second term is computed as
    ``1 - F(c; n - 1, -lambda)``, the same by symmetry), increasing in ``lambda >= 0``. The
    minimum detectable difference is ``sigma lambda* / sqrt(n)`` with ``P(lambda*) = 0.8``,
    found by root finding (Brent). This is the power of the one-sample t test applied to the
    differences (Cohen 1988, *Statistical Power Analysis for the Behavioral Sciences*, 2nd
    ed., ch. 2, the t test for means, paired observations taken as one sample of
    differences; the noncentral-t form as in Julious 2004, *Statistics in Medicine*
    23:1921-1986). For large ``n``, ``lambda* -> z_{0.975} + z_{0.8} = 2.80``.

    Parameters
    ----------
    sd : float
        Standard deviation of the per-seed differences; the observed one stands in for
        ``sigma``, so the result is an estimate.
    n : int
        Seeds (paired differences).

    Returns
    -------
    float
        The difference (in the outcome's units, >= 0); 0 when ``sd`` is 0; NaN when
        ``n < 2`` or ``sd`` is undefined (NaN, infinite or negative).
    """
    if n < 2 or not math.isfinite(sd) or sd < 0:
        return math.nan
    df = n - 1
    critical = stats.t.ppf(0.5 + CONFIDENCE / 2, df)
    high = critical + stats.norm.ppf(POWER)  # lambda* for a normal statistic; t needs more
    while _power_gap(high, df, critical) < 0:
        high *= 2
    root = optimize.brentq(_power_gap, 0.0, high, args=(df, critical), xtol=1e-10)
    return sd * root / math.sqrt(n)


def evaluation_resolution(accuracy: float, n_eval: int) -> float:
    """Binomial standard error of an accuracy measured on ``n_eval`` pairs:
    ``sqrt(a (1 - a) / n_eval)``, ``a`` the accuracy (each pair scored right or wrong).

    On the built-in corpus' whole test split (2,565 pairs) it is 0.9 points at ``a = 0.7``.
    NaN when ``accuracy`` is undefined or ``n_eval < 1``.
    """
    if n_eval < 1 or not math.isfinite(accuracy):
        return math.nan
    return math.sqrt(accuracy * (1 - accuracy) / n_eval)
