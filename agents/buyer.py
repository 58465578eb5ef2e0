"""The buyer: what a label is worth to it, what it spends, which labels it buys and what it
learns about each seller's quality."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import mesa
import numpy as np
import pandas as pd
from scipy import stats

from agents.budget_clearing import clear_within_budget, most_labels, within_budget
from agents.label_slots import LabelSlots, choose_items, deal_slots
from agents.training_votes import qa_dpo_weights, training_votes
from mechanisms import Market, Outcome
from mechanisms.budget_capped import BudgetCapped
from mechanisms.protocol import Mechanism


class Buyer(mesa.Agent):
    """A mesa agent that buys preference labels and learns annotator quality.

    Quality ``q_i`` of annotator ``i`` is the probability that its label agrees with the gold
    label. The buyer holds a Beta(``alpha_i``, ``beta_i``) posterior over it; observing ``s``
    correct and ``f`` incorrect labels gives Beta(``alpha_i + s``, ``beta_i + f``)
    (Beta-Bernoulli conjugacy; Gelman et al., *Bayesian Data Analysis*, 3rd ed., sec. 2.4).

    Parameters
    ----------
    model : mesa.Model
    settings : sim.config.BuyerConfig
        The buyer's declared settings (budget, rounds, demand, valuation, item selection,
        aggregation, pair weights, feedback, ...), validated where they are declared.
    annotator_ids : sequence of int
        ``unique_id`` of each annotator; estimates are stored in this order.
    """

    def __init__(self, model: mesa.Model, settings, annotator_ids: Sequence[int]) -> None:
        super().__init__(model)
        ids = [int(i) for i in annotator_ids]
        if len(set(ids)) != len(ids):
            raise ValueError("annotator_ids: every id must be distinct")
        self.settings = settings
        self.annotator_ids = np.array(ids, dtype=np.int64)
        self._position = {uid: i for i, uid in enumerate(ids)}
        prior_alpha, prior_beta = settings.quality_prior
        self.alpha_ = np.full(len(ids), float(prior_alpha))
        self.beta_ = np.full(len(ids), float(prior_beta))
        self.spent_ = 0.0
        self.rounds_done_ = 0

    # ------------------------------------------------------------------ quality

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

    def quality_of(self, unique_id: int) -> float:
        """Posterior mean quality of annotator ``unique_id``."""
        return float(self.quality_mean()[self._positions([unique_id])[0]])

    def quality_interval(self, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        """Equal-tailed posterior credible interval per annotator, ``(lower, upper)``."""
        if not 0 < level < 1:
            raise ValueError(f"level: must lie in (0, 1), got {level!r}")
        tail = (1.0 - level) / 2.0
        return (
            stats.beta.ppf(tail, self.alpha_, self.beta_),
            stats.beta.ppf(1.0 - tail, self.alpha_, self.beta_),
        )

    def learn_quality(
        self,
        golden: pd.DataFrame,
        regular: pd.DataFrame,
        predict_left: Callable[[pd.DataFrame], np.ndarray | None],
        reward_accuracy: float,
    ) -> None:
        """Update the posteriors from a round's labels (``settings.feedback``; else nothing).

        ``predict_left(regular)`` is the reward model's prediction for each regular label's
        pair (None before it has been trained); see :func:`quality_evidence`.
        """
        if not self.settings.feedback:
            return
        predicted_left = predict_left(regular) if len(regular) else None
        workers, right, wrong = quality_evidence(golden, regular, predicted_left, reward_accuracy)
        if workers.size:
            self.update_quality(workers, right, wrong)

    # ------------------------------------------------------------------ what it offers

    def value_per_label(self, quality=None) -> np.ndarray:
        """Value of one label per annotator: ``base_value * max(2 q - 1, 0)``.

        A label right with probability ``q`` adds ``+1`` to the vote margin of the gold
        answer with probability ``q`` and ``-1`` otherwise: ``2 q - 1`` in expectation, the
        informative part of the label (a label worse than chance is worth 0: the buyer does
        not plan to flip it). ``quality`` defaults to the posterior mean (a plug-in choice).
        """
        q = self.quality_mean() if quality is None else np.asarray(quality, dtype=float)
        if np.any(~np.isfinite(q)) or np.any((q < 0) | (q > 1)):
            raise ValueError("quality: every entry must lie in [0, 1]")
        return self.settings.base_value * np.maximum(2.0 * q - 1.0, 0.0)

    def valued_quality(self) -> np.ndarray:
        """The quality a label is valued at: the posterior mean (``valuation = "mean"``) or the
        ``optimism`` quantile (``"optimistic"``): optimism in the face of uncertainty (the UCB
        principle, Auer, Cesa-Bianchi & Fischer 2002), so that a seller never bought from
        still gets tried."""
        if self.settings.valuation == "mean":
            return self.quality_mean()
        return self.quality_interval(2.0 * self.settings.optimism - 1.0)[1]

    @property
    def remaining_budget(self) -> float:
        return self.settings.budget - self.spent_

    def round_budget(self) -> float:
        """This round's budget: with ``pacing``, the remaining budget over the remaining rounds
        (all of it in the last round); without, all that is left."""
        if not self.settings.pacing:
            return max(self.remaining_budget, 0.0)
        rounds_left = max(self.settings.rounds - self.rounds_done_, 1)
        return max(self.remaining_budget / rounds_left, 0.0)

    # ------------------------------------------------------------------ what it buys

    def procure(
        self,
        mechanism: Mechanism,
        asks: np.ndarray,
        capacities: np.ndarray,
        items_left: int,
        ai_sellers: np.ndarray | None = None,
    ) -> tuple[Outcome, np.ndarray, int]:
        """Clear the round and book its spend: ``(outcome, values, demand)``.

        ``demand_mode = "fixed"`` asks for ``demand_per_round`` labels; a mechanism that does
        not declare ``budget_feasible`` then runs inside ``mechanisms.budget_capped``, which
        scales the offered values so that no clearing exceeds the round's budget.
        ``"budget"`` buys as many labels as the round's budget buys under the mechanism
        (``agents.budget_clearing``), and the demand is what it bought.

        With ``ai_budget_share = s`` the round is two markets, each cleared by the mechanism:
        the AI sellers (``ai_sellers``, a mask over the sellers: AI judges and RLAIF sellers)
        get ``s`` of the round's budget and ``round(s * demand_per_round)`` of a fixed demand
        (Python's rounding, half to even), the humans the rest; in budget mode the humans buy
        at most what the items left hold beside the AI sellers' labels. Budget an AI channel
        leaves unspent is not moved to the humans.
        """
        values = self.value_per_label(self.valued_quality())
        budget, share = self.round_budget(), self.settings.ai_budget_share
        if share is None:
            outcome, demand = self._clear(mechanism, asks, values, capacities, budget, items_left)
            self.record_round(outcome.spend)
            return outcome, values, demand
        if ai_sellers is None:
            raise ValueError("ai_sellers: ai_budget_share splits the sellers; give the AI mask")
        allocation, payments = np.zeros(len(asks), dtype=np.int64), np.zeros(len(asks))
        demand = 0
        fixed_ai = round(share * self.settings.demand_per_round)
        for channel, part, fixed in (
            (ai_sellers, share, fixed_ai),
            (~ai_sellers, 1 - share, self.settings.demand_per_round - fixed_ai),
        ):
            sub = (mechanism, asks[channel], values[channel], capacities[channel])
            bought = int(allocation.sum())
            outcome, channel_demand = self._clear(*sub, part * budget, items_left, fixed, bought)
            allocation[channel], payments[channel] = outcome.allocation, outcome.payments
            demand += channel_demand
        outcome = Outcome(allocation, payments)
        self.record_round(outcome.spend)
        return outcome, values, demand

    @property
    def _item_rule(self) -> tuple[int, float]:
        return self.settings.labels_per_item, self.settings.golden_rate

    def _clear(
        self, mechanism, asks, values, capacities, budget, items_left, demand=None, bought=0
    ) -> tuple[Outcome, int]:
        """One clearing among ``asks``' sellers, beside ``bought`` labels already bought this
        round: ``(outcome, demand)`` (:meth:`procure`)."""
        settings, rng = self.settings, self.model.rng
        if settings.demand_mode == "budget":
            most = most_labels(int(capacities.sum()) + bought, items_left, *self._item_rule)
            outcome = clear_within_budget(
                mechanism, asks, values, capacities, budget, most - bought, rng
            )
            return outcome, outcome.units
        if not mechanism.properties.get("budget_feasible", False):
            mechanism = BudgetCapped(mechanism)
        demand = settings.demand_per_round if demand is None else demand
        market = Market(values, capacities, demand=demand, budget=budget)
        return mechanism.run(asks, market, rng), demand

    def record_round(self, spend: float) -> None:
        """Book a finished round's total payments against the budget."""
        spend = float(spend)
        if not np.isfinite(spend) or spend < 0:
            raise ValueError(f"spend: must be a finite number >= 0, got {spend!r}")
        if not within_budget(spend, self.remaining_budget):
            raise ValueError(
                f"spend: {spend} exceeds the remaining budget {self.remaining_budget}; "
                "clear the round with a budget no larger than round_budget()"
            )
        self.spent_ += spend
        self.rounds_done_ += 1

    def deal(self, allocation: np.ndarray) -> LabelSlots:
        """Split the bought labels into golden checks and items (``agents.label_slots``)."""
        settings = self.settings
        return deal_slots(
            allocation, settings.labels_per_item, settings.golden_rate, self.model.rng
        )

    def choose_items(
        self, unlabelled: np.ndarray, n_items: int, margin: Callable[[np.ndarray], np.ndarray]
    ) -> np.ndarray:
        """``n_items`` of the ``unlabelled`` pairs, at random or (``item_selection =
        "uncertainty"``) those of smallest reward margin ``margin(candidates)``."""
        uncertain = self.settings.item_selection == "uncertainty"
        return choose_items(unlabelled, n_items, self.model.rng, margin if uncertain else None)

    def golden_items(self, pool_size: int, n_checks: int) -> np.ndarray:
        """Rows of the golden pool, drawn with replacement, for ``n_checks`` golden labels."""
        return self.model.rng.choice(pool_size, size=n_checks)

    def training_pairs(
        self, regular: pd.DataFrame, history: pd.DataFrame, values: np.ndarray
    ) -> tuple[pd.DataFrame, np.ndarray | None]:
        """The round's training votes (``left, right, label``) by its ``aggregation`` over this
        round's regular labels (``history``: every regular label so far), and their loss
        weights (``pair_weights = "qa_dpo"``; else None)."""
        if not len(regular):
            return regular.iloc[:0][["left", "right", "label"]], None
        votes = training_votes(regular, self.settings.aggregation, history)
        if self.settings.pair_weights != "qa_dpo" or not len(votes):
            return votes, None
        return votes, qa_dpo_weights(regular, votes, pd.Series(values, index=self.annotator_ids))


def quality_evidence(
    golden: pd.DataFrame,
    regular: pd.DataFrame,
    predicted_left: np.ndarray | None,
    reward_accuracy: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per label: the worker, and the evidence that it was right and that it was wrong.

    A golden answer counts fully (1 right or 1 wrong). A regular label counts as evidence
    of weight ``max(0, 2a - 1)`` for agreement with the reward model's prediction
    ``predicted_left`` (None: no model yet, no such evidence), where ``a`` is the model's
    last measured reward accuracy: a model at chance is no evidence.
    """
    workers = [golden["worker"].to_numpy()]
    right = [golden["correct"].to_numpy(dtype=float)]
    weight_of = [np.ones(len(golden))]
    if len(regular) and predicted_left is not None:
        weight = max(0.0, 2.0 * reward_accuracy - 1.0)
        agrees = (regular["label"].to_numpy() == regular["left"].to_numpy()) == predicted_left
        workers.append(regular["worker"].to_numpy())
        right.append(np.where(agrees, weight, 0.0))
        weight_of.append(np.full(len(regular), weight))
    workers, right, weight_of = map(np.concatenate, (workers, right, weight_of))
    return workers, right, weight_of - right
