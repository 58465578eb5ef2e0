"""What a mechanism decides: labels bought from each seller and what each is paid."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Outcome:
    """Allocation and payments of one clearing.

    ``allocation[i]`` is the number of labels bought from seller ``i`` (int >= 0) and
    ``payments[i]`` the *total* payment to seller ``i`` (finite float).

    Utilities are quasi-linear (docs/architecture.md): seller utility = payment - cost * allocation;
    buyer utility = sum(value * allocation) - sum(payments).
    """

    allocation: np.ndarray
    payments: np.ndarray

    def __post_init__(self) -> None:
        allocation = np.asarray(self.allocation)
        payments = np.asarray(self.payments, dtype=float)
        if allocation.ndim != 1 or payments.ndim != 1:
            raise ValueError("allocation, payments: must be 1-D arrays, one entry per seller")
        if allocation.shape != payments.shape:
            raise ValueError(
                f"payments: has {payments.shape[0]} entries but allocation has "
                f"{allocation.shape[0]}; give one per seller"
            )
        if allocation.size and (
            not np.all(np.isfinite(allocation)) or np.any(allocation != np.round(allocation))
        ):
            raise ValueError("allocation: every entry must be a whole number of labels")
        allocation = allocation.astype(np.int64)
        if np.any(allocation < 0):
            raise ValueError("allocation: every entry must be >= 0")
        if not np.all(np.isfinite(payments)):
            raise ValueError("payments: every entry must be finite")
        object.__setattr__(self, "allocation", allocation)
        object.__setattr__(self, "payments", payments)

    @classmethod
    def empty(cls, n_sellers: int) -> Outcome:
        return cls(np.zeros(n_sellers, dtype=np.int64), np.zeros(n_sellers))

    @property
    def units(self) -> int:
        return int(self.allocation.sum())

    @property
    def spend(self) -> float:
        return float(self.payments.sum())

    def seller_utilities(self, costs) -> np.ndarray:
        """payment_i - cost_i * allocation_i for each seller."""
        return self.payments - np.asarray(costs, dtype=float) * self.allocation

    def buyer_utility(self, values) -> float:
        """sum_i value_i * allocation_i - sum_i payment_i."""
        return float(np.dot(np.asarray(values, dtype=float), self.allocation) - self.spend)
