"""Freezing a ``scipy.stats`` distribution named in a config, with errors that name its field."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from scipy import stats


def frozen_distribution(
    name_field: str,
    name,
    params: Mapping[str, float],
    *,
    params_field: str | None = None,
    low: float = -np.inf,
    high: float = np.inf,
):
    """``scipy.stats.<name>(**params)``, checked to be a proper distribution on ``[low, high]``.

    Parameters
    ----------
    name_field, params_field : str
        The config fields holding the name and the parameters, used in error messages
        (``params_field`` defaults to ``name_field``).
    name : str
        A continuous ``scipy.stats`` distribution, e.g. ``"lognorm"``.
    params : mapping
        Its parameters, e.g. ``{"s": 0.5, "scale": 0.1}``.
    low, high : float
        The support must lie inside ``[low, high]`` (costs: ``[0, inf)``; skills: ``[0, 1]``).

    Raises
    ------
    ValueError
        One line naming the field: an unknown name, parameters scipy refuses or that give
        no finite median, or a support outside ``[low, high]``.
    """
    params_field = params_field or name_field
    family = getattr(stats, name, None) if isinstance(name, str) else None
    if not isinstance(family, stats.rv_continuous):
        raise ValueError(
            f"{name_field}: {name!r} is not a continuous scipy.stats distribution; "
            "use a name such as 'uniform', 'lognorm', 'gamma' or 'beta'"
        )
    try:
        frozen = family(**dict(params))
        lo, hi = frozen.support()
        median = frozen.ppf(0.5)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{params_field}: not valid for {name!r} ({exc})") from None
    if not np.isfinite(median):
        raise ValueError(f"{params_field}: {dict(params)} are not valid parameters of {name!r}")
    if lo < low or hi > high:
        raise ValueError(
            f"{name_field}: support [{lo}, {hi}] of {name!r} with {dict(params)} "
            f"leaves [{low}, {high}]; choose parameters inside it"
        )
    return frozen
