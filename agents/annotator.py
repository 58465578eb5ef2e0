"""An annotator: a seller of preference labels with a private cost, a judge and a bidding rule."""

from __future__ import annotations

import mesa
import numpy as np

from agents.bidding import BiddingStrategy
from agents.judges import Judge


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
        Decides each pair: ``prefer_left(left, right, rng) -> bool (m,)`` on the pair
        matrices of ``agents.judges`` (attribute vectors, or ``agents.pair_columns``).
    bidder : BiddingStrategy
        Turns the cost into an ask and learns from outcomes.

    Attributes
    ----------
    history : list of dict
        One entry per observed round: ``ask, units, payment, utility`` where
        ``utility = payment - cost * units`` (quasi-linear, DESIGN.md).
    """

    def __init__(
        self,
        model: mesa.Model,
        cost: float,
        capacity: int,
        skill: float,
        judge: Judge,
        bidder: BiddingStrategy,
    ) -> None:
        super().__init__(model)
        cost = float(cost)
        if not np.isfinite(cost) or cost < 0:
            raise ValueError(f"cost: must be a finite number >= 0, got {cost!r}")
        if isinstance(capacity, bool) or int(capacity) != capacity or capacity < 0:
            raise ValueError(f"capacity: must be a whole number >= 0, got {capacity!r}")
        skill = float(skill)
        if not 0.0 <= skill <= 1.0:
            raise ValueError(f"skill: must lie in [0, 1], got {skill!r}")
        if not callable(getattr(judge, "prefer_left", None)):
            raise ValueError(f"judge: needs a prefer_left(left, right, rng) method, got {judge!r}")
        if not (
            callable(getattr(bidder, "ask", None)) and callable(getattr(bidder, "observe", None))
        ):
            raise ValueError(
                f"bidder: needs ask(cost, rng) and observe(...) methods, got {bidder!r}"
            )
        self.cost = cost
        self.capacity = int(capacity)
        self.skill = skill
        self.judge = judge
        self.bidder = bidder
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
