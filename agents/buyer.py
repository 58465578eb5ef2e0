"""The buyer: what it wants labelled, what it can spend, and how good it believes each seller is."""

from __future__ import annotations

from collections.abc import Sequence

import mesa
import numpy as np
from scipy import stats


class Buyer(mesa.Agent):
    """A mesa agent that buys preference labels and learns annotator quality.

    Quality ``q_i`` of annotator ``i`` is the probability that its label agrees with the gold
    label. The buyer holds a Beta(``alpha_i``, ``beta_i``) posterior over it; observing ``s``
    correct and ``f`` incorrect labels gives Beta(``alpha_i + s``, ``beta_i + f``)
    (Beta-Bernoulli conjugacy; e.g. Gelman et al., *Bayesian Data Analysis*, 3rd ed., sec. 2.4).

    Parameters
    ----------
    model : mesa.Model
    target_weights : array of float, shape (k,)
        The buyer's utility weights over response attributes; they define gold labels.
    budget : float
        Total money for the whole run (>= 0).
    demand_per_round : int
        Labels wanted per round (>= 0).
    n_rounds : int
        Rounds the budget must last (>= 1), used for pacing.
    annotator_ids : sequence of int
        ``unique_id`` of each annotator; estimates are stored in this order.
    prior_alpha, prior_beta : float
        Beta prior on every annotator's quality (> 0); the default Beta(1, 1) is uniform.
    base_value : float
        Value of a label from a perfectly reliable annotator (>= 0).
    """

    def __init__(
        self,
        model: mesa.Model,
        target_weights,
        budget: float,
        demand_per_round: int,
        n_rounds: int,
        annotator_ids: Sequence[int],
        prior_alpha: float = 1.0,
        prior_beta: float = 1.0,
        base_value: float = 1.0,
    ) -> None:
        super().__init__(model)
        weights = np.asarray(target_weights, dtype=float)
        if weights.ndim != 1 or weights.size == 0 or not np.all(np.isfinite(weights)):
            raise ValueError("target_weights: expected a non-empty 1-D array of finite numbers")
        if np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError("target_weights: weights must be >= 0 with a positive sum")
        for name, value in (("budget", budget), ("base_value", base_value)):
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"{name}: must be a finite number >= 0, got {value!r}")
        for name, value, least in (
            ("demand_per_round", demand_per_round, 0),
            ("n_rounds", n_rounds, 1),
        ):
            if isinstance(value, bool) or int(value) != value or value < least:
                raise ValueError(f"{name}: must be a whole number >= {least}, got {value!r}")
        for name, value in (("prior_alpha", prior_alpha), ("prior_beta", prior_beta)):
            if not np.isfinite(value) or value <= 0:
                raise ValueError(f"{name}: must be a finite number > 0, got {value!r}")
        ids = [int(i) for i in annotator_ids]
        if len(set(ids)) != len(ids):
            raise ValueError("annotator_ids: every id must be distinct")
        self.target_weights = weights
        self.budget = float(budget)
        self.demand_per_round = int(demand_per_round)
        self.n_rounds = int(n_rounds)
        self.base_value = float(base_value)
        self.annotator_ids = np.array(ids, dtype=np.int64)
        self._position = {uid: i for i, uid in enumerate(ids)}
        self.alpha_ = np.full(len(ids), float(prior_alpha))
        self.beta_ = np.full(len(ids), float(prior_beta))
        self.spent_ = 0.0
        self.rounds_done_ = 0

    def _positions(self, annotator_ids) -> np.ndarray:
        try:
            return np.array([self._position[int(uid)] for uid in annotator_ids], dtype=np.int64)
        except KeyError as exc:
            raise ValueError(
                f"annotator_ids: unknown annotator {exc.args[0]}; use ids given to the Buyer"
            ) from None

    def update_quality(self, annotator_ids, correct_counts, incorrect_counts) -> None:
        """Conjugate update: ``alpha += correct``, ``beta += incorrect`` (repeated ids add up)."""
        positions = self._positions(annotator_ids)
        counts = {}
        for name, data in (
            ("correct_counts", correct_counts),
            ("incorrect_counts", incorrect_counts),
        ):
            array = np.asarray(data, dtype=float)
            if array.shape != positions.shape:
                raise ValueError(f"{name}: give one count per annotator id ({positions.size})")
            if not np.all(np.isfinite(array)) or np.any(array < 0):
                raise ValueError(f"{name}: counts must be finite and >= 0")
            counts[name] = array
        np.add.at(self.alpha_, positions, counts["correct_counts"])
        np.add.at(self.beta_, positions, counts["incorrect_counts"])

    def quality_mean(self) -> np.ndarray:
        """Posterior mean ``alpha / (alpha + beta)`` per annotator."""
        return self.alpha_ / (self.alpha_ + self.beta_)

    def quality_interval(self, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Equal-tailed posterior credible interval per annotator, ``(lower, upper)``."""
        if not 0 < level < 1:
            raise ValueError(f"level: must lie in (0, 1), got {level!r}")
        tail = (1.0 - level) / 2.0
        return (
            stats.beta.ppf(tail, self.alpha_, self.beta_),
            stats.beta.ppf(1.0 - tail, self.alpha_, self.beta_),
        )

    def value_per_label(self, quality=None) -> np.ndarray:
        """Value of one label per annotator: ``base_value * max(2 q - 1, 0)``.

        A label that is right with probability ``q`` adds ``+1`` to the vote margin for the
        gold answer with probability ``q`` and ``-1`` otherwise, an expected
        ``2 q - 1``: the informative part of the label. A coin-flipper (``q = 1/2``) is
        worth nothing; a label worse than chance is valued at 0 rather than negative
        because the buyer does not plan to flip it. ``quality`` defaults to the posterior
        mean (a plug-in choice of this project).
        """
        q = self.quality_mean() if quality is None else np.asarray(quality, dtype=float)
        if np.any(~np.isfinite(q)) or np.any((q < 0) | (q > 1)):
            raise ValueError("quality: every entry must lie in [0, 1]")
        return self.base_value * np.maximum(2.0 * q - 1.0, 0.0)

    @property
    def remaining_budget(self) -> float:
        return self.budget - self.spent_

    def round_budget(self) -> float:
        """Even pacing: remaining budget / remaining rounds (all of it in the last round)."""
        rounds_left = max(self.n_rounds - self.rounds_done_, 1)
        return self.remaining_budget / rounds_left

    def record_round(self, spend: float) -> None:
        """Book a finished round's total payments against the budget."""
        spend = float(spend)
        if not np.isfinite(spend) or spend < 0:
            raise ValueError(f"spend: must be a finite number >= 0, got {spend!r}")
        if spend > self.remaining_budget * (1 + 1e-12) + 1e-12:
            raise ValueError(
                f"spend: {spend} exceeds the remaining budget {self.remaining_budget}; "
                "clear the round with a budget no larger than round_budget()"
            )
        self.spent_ += spend
        self.rounds_done_ += 1
