"""Monte Carlo helper for checking mechanisms against closed forms."""

from __future__ import annotations

import numpy as np

#: Allowed distance between a simulated mean and its closed form, in standard errors.
STANDARD_ERRORS = 4.0


def assert_mean_matches(samples, expected: float) -> None:
    """Fail unless the sample mean is within ``STANDARD_ERRORS`` standard errors of ``expected``.

    The standard error is the sample standard deviation over ``sqrt(len(samples))``;
    a 4 SE band fails a correct mechanism with probability about 6e-5 (normal tails).
    """
    samples = np.asarray(samples, dtype=float)
    standard_error = samples.std(ddof=1) / np.sqrt(samples.size)
    gap = abs(samples.mean() - expected)
    assert gap <= STANDARD_ERRORS * standard_error, (
        f"mean {samples.mean():.5f} vs closed form {expected:.5f}: "
        f"{gap / standard_error:.1f} standard errors apart"
    )
