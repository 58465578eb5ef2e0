"""The market a procurement mechanism clears: what the buyer wants and what sellers can supply."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _as_vector(name: str, data, *, dtype, n: int | None) -> np.ndarray:
    try:
        array = np.asarray(data, dtype=dtype)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: expected a 1-D array of numbers ({exc})") from None
    if array.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array, got shape {array.shape}")
    if n is not None and array.shape[0] != n:
        raise ValueError(
            f"{name}: has {array.shape[0]} entries but values has {n}; give one per seller"
        )
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name}: every entry must be finite (no NaN or inf)")
    if np.any(array < 0):
        raise ValueError(f"{name}: every entry must be >= 0, got min {array.min()}")
    return array


@dataclass(frozen=True, eq=False)
class Market:
    """A reverse (procurement) market for preference labels.

    Parameters
    ----------
    values : array of float, shape (n,)
        The buyer's value for one label from each seller (>= 0, finite).
    capacities : array of int, shape (n,)
        The most labels each seller can supply (>= 0).
    demand : int or None
        The most labels the buyer wants in total; ``None`` means no limit.
    budget : float or None
        The most the buyer will pay in total; ``None`` means no limit.

    Every field is validated on construction; a bad field raises ``ValueError``
    whose message starts with the field's name and says what is allowed.
    """

    values: np.ndarray
    capacities: np.ndarray
    demand: int | None = None
    budget: float | None = None

    def __post_init__(self) -> None:
        values = _as_vector("values", self.values, dtype=float, n=None)
        raw_caps = np.asarray(self.capacities)
        capacities = _as_vector("capacities", raw_caps, dtype=float, n=values.shape[0])
        if np.any(capacities != np.floor(capacities)):
            raise ValueError("capacities: every entry must be a whole number of labels")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "capacities", capacities.astype(np.int64))
        if self.demand is not None:
            if isinstance(self.demand, bool) or int(self.demand) != self.demand:
                raise ValueError(f"demand: must be a whole number or None, got {self.demand!r}")
            if self.demand < 0:
                raise ValueError(f"demand: must be >= 0 or None, got {self.demand}")
            object.__setattr__(self, "demand", int(self.demand))
        if self.budget is not None:
            budget = float(self.budget)
            if not np.isfinite(budget) or budget < 0:
                raise ValueError(
                    f"budget: must be a finite number >= 0 or None, got {self.budget!r}"
                )
            object.__setattr__(self, "budget", budget)

    @property
    def n_sellers(self) -> int:
        return int(self.values.shape[0])

    @property
    def total_capacity(self) -> int:
        return int(self.capacities.sum())

    @property
    def effective_demand(self) -> int:
        """``demand`` capped by the total capacity (``None`` reads as all capacity)."""
        if self.demand is None:
            return self.total_capacity
        return min(self.demand, self.total_capacity)

    def check_asks(self, asks) -> np.ndarray:
        """Validate an ask vector against this market and return it as floats."""
        return _as_vector("asks", asks, dtype=float, n=self.n_sellers)

    def __repr__(self) -> str:
        return (
            f"Market(values={np.array2string(self.values, precision=4, separator=', ')}, "
            f"capacities={np.array2string(self.capacities, separator=', ')}, "
            f"demand={self.demand}, budget={self.budget})"
        )
