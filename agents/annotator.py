"""An annotator: a seller of preference labels with a private cost, a judge and a bidding rule."""

from __future__ import annotations

import mesa
import numpy as np

from agents.bidding import BiddingStrategy
from agents.judges import Judge
from analysis.records import HUMAN


class Annotator(mesa.Agent):
    """A mesa agent that sells labels at asks set by its bidding strategy.

    Parameters
    ----------
    model : mesa.Model
        The model; its ``rng`` (a ``numpy.random.Generator``) drives asks and, by default,
        labels.
    cost : float
        Private cost of one label (>= 0), known only to the annotator and its bidder.
    capacity : int
        Most labels it can supply per round (>= 0).
    skill : float
        Skill in [0, 1]; the population factory maps it to judge noise.
    judge : Judge
        Decides each pair: ``prefer_left(left, right, rng) -> bool (m,)`` on the two sides'
        named views (``agents.pair_view.Responses``) or bare attribute matrices.
    bidder : BiddingStrategy
        Turns the cost into an ask and learns from outcomes.
    kind : str, default "human"
        Who sells: ``"human"`` or an AI judge's profile name.

    Attributes
    ----------
    history : list of dict
        One entry per observed round: ``ask, units, payment, utility`` where
        ``utility = payment - cost * units`` (quasi-linear, docs/architecture.md).
    """

    def __init__(
        self,
        model: mesa.Model,
        cost: float,
        capacity: int,
        skill: float,
        judge: Judge,
        bidder: BiddingStrategy,
        kind: str = HUMAN,
    ) -> None:
        super().__init__(model)
        self.cost = float(cost)
        self.capacity = int(capacity)
        self.skill = float(skill)
        self.judge = judge
        self.bidder = bidder
        self.kind = kind
        self.history: list[dict[str, float]] = []

    def make_ask(self) -> float:
        """The ask per label for this round, drawn with the model's generator."""
        return float(self.bidder.ask(self.cost, self.model.rng))

    def label(self, left, right, rng: np.random.Generator | None = None) -> np.ndarray:
        """Judge each pair (rows of ``left`` and ``right``): True where the left response is
        preferred.

        ``rng`` defaults to the model's generator; pass one to hold the labelling noise fixed
        (e.g. to compare mechanisms on identical judgements).
        """
        return np.asarray(
            self.judge.prefer_left(left, right, self.model.rng if rng is None else rng),
            dtype=bool,
        )

    def label_assigned(
        self, assigned: np.ndarray, left, right, rng: np.random.Generator | None = None
    ) -> np.ndarray:
        """Judge the pairs assigned to this annotator: rows ``i`` with ``assigned[i] ==
        unique_id``, in row order (no draw when there are none)."""
        rows = np.flatnonzero(assigned == self.unique_id)
        if rows.size == 0:
            return np.zeros(0, dtype=bool)
        return self.label(left[rows], right[rows], rng)

    def observe(self, ask: float, units: int, payment: float) -> None:
        """Record the round's outcome and let the bidding strategy learn from it."""
        utility = float(payment) - self.cost * int(units)
        self.bidder.observe(ask, int(units), float(payment), self.cost)
        self.history.append(
            {"ask": float(ask), "units": int(units), "payment": float(payment), "utility": utility}
        )

    def utilities(self) -> np.ndarray:
        """Realised utility of every observed round, in order."""
        return np.array([entry["utility"] for entry in self.history])


def label_by_annotators(
    annotators: mesa.agent.AgentSet,
    assigned: np.ndarray,
    left,
    right,
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Pair ``i`` judged by the annotator whose ``unique_id`` is ``assigned[i]``: True where
    left wins.

    ``left`` and ``right`` are the sides the judges read, one row per pair. The
    annotators label through the AgentSet, each its own rows, in the set's order, drawing
    from ``rng`` (None: the model's generator).
    """
    assigned = np.asarray(assigned)
    shares = annotators.map("label_assigned", assigned, left, right, rng)
    rank = {uid: k for k, uid in enumerate(annotators.get("unique_id"))}
    unknown = sorted(set(assigned.tolist()) - set(rank))
    if unknown:
        raise ValueError(f"assigned: no annotator has unique_id {unknown[0]}; use ids of the set")
    order = np.argsort([rank[uid] for uid in assigned.tolist()], kind="stable")
    left_wins = np.zeros(assigned.size, dtype=bool)
    left_wins[order] = np.concatenate([np.zeros(0, dtype=bool), *shares])
    return left_wins
