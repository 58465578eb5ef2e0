"""What a round records: its transactions (one row per seller that sold or was paid) and its
row of round metrics (``analysis.records.ROUND_METRICS``), each metric a DataCollector
reporter that computes its value from the model's last round."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import metrics
from analysis.records import TRANSACTION_COLUMNS
from mechanisms import Outcome


@dataclass(frozen=True)
class RoundRecord:
    """The finished round as the reporters read it.

    ``sellers`` holds one row per annotator (``annotator, cost, skill, capacity``, in the
    market's seller order), ``transactions`` the round's trades
    (``analysis.records.TRANSACTION_COLUMNS``), ``regular`` its regular labels, ``values``
    the buyer's value per label from each seller and ``demand`` the labels it asked for.
    """

    round: int
    sellers: pd.DataFrame
    transactions: pd.DataFrame
    regular: pd.DataFrame
    values: np.ndarray
    demand: int
    cumulative_spend: float
    reward_accuracy: float
    cycle_rate: float


def transaction_table(
    round_: int, sellers: pd.DataFrame, asks: np.ndarray, values: np.ndarray, outcome: Outcome
) -> pd.DataFrame:
    """One row per seller that sold or was paid (``analysis.records.TRANSACTION_COLUMNS``)."""
    traded = np.flatnonzero((outcome.allocation > 0) | (outcome.payments != 0))
    return pd.DataFrame(
        {
            "round": round_,
            "annotator": sellers["annotator"].to_numpy()[traded],
            "units": outcome.allocation[traded],
            "ask": asks[traded],
            "payment": outcome.payments[traded],
            "cost": sellers["cost"].to_numpy()[traded],
            "value": values[traded],
            "skill": sellers["skill"].to_numpy()[traded],
        },
        columns=list(TRANSACTION_COLUMNS),
    )


def _efficiency(record: RoundRecord) -> float:
    first_best = metrics.max_welfare(
        record.values,
        record.sellers["cost"].to_numpy(),
        record.sellers["capacity"].to_numpy(),
        record.demand,
    )
    return metrics.allocative_efficiency(metrics.welfare(record.transactions), first_best)


def _label_accuracy(record: RoundRecord) -> float:
    return float(record.regular["correct"].mean()) if len(record.regular) else float("nan")


def _top_skill_spend_share(record: RoundRecord) -> float:
    skills = pd.Series(record.sellers["skill"].to_numpy(), index=record.sellers["annotator"])
    return metrics.top_skill_spend_share(record.transactions, skills)


ROUND_REPORTERS: dict[str, Callable[[RoundRecord], float]] = {
    "round": lambda record: record.round,
    "spend": lambda record: metrics.spend(record.transactions),
    "cumulative_spend": lambda record: record.cumulative_spend,
    "labels": lambda record: metrics.labels_bought(record.transactions),
    "label_accuracy": _label_accuracy,
    "reward_accuracy": lambda record: record.reward_accuracy,
    "buyer_utility": lambda record: metrics.buyer_utility(record.transactions),
    "seller_surplus": lambda record: metrics.seller_surplus(record.transactions),
    "welfare": lambda record: metrics.welfare(record.transactions),
    "efficiency": _efficiency,
    "overpayment": lambda record: metrics.overpayment(record.transactions),
    "top_skill_spend_share": _top_skill_spend_share,
    "cycle_rate": lambda record: record.cycle_rate,
    "mean_value": lambda record: float(np.mean(record.values)),
}
"""One reporter per round metric, in ``ROUND_METRICS`` order: the metric of a finished round."""
