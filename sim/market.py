"""``MarketModel``: the closed loop of DESIGN.md as a Mesa model, one round per ``step()``.

A round:

1. The buyer values a label from each annotator at ``base_value * max(2 q - 1, 0)``
   (``agents.buyer.Buyer.value_per_label``) and sets the round's budget (even pacing, or
   all that is left). ``q`` is the posterior mean of the annotator's accuracy, or with
   ``valuation = "optimistic"`` (default) its ``optimism`` posterior quantile: optimism
   in the face of uncertainty (the UCB principle, Auer, Cesa-Bianchi & Fischer 2002) so
   that annotators never bought from, whose estimate stays at the prior, still get tried.
2. Annotators ask; the mechanism clears ``Market(values, capacities, demand, budget)``.
   ``buyer.demand_mode = "fixed"`` (default) asks for ``demand_per_round`` labels;
   ``"budget"`` buys as many as the round's budget buys under the mechanism
   (:mod:`sim.budget_clearing`), so a mechanism that pays less buys more.
   In fixed mode, a mechanism that does not declare ``budget_feasible`` cannot be trusted
   with the budget, so it runs wrapped in ``mechanisms.budget_capped.BudgetCapped``:
   offered values are scaled so that no clearing can exceed the round's budget, the ranking
   of annotators by value is kept and truthfulness is untouched. Welfare and buyer utility
   are always measured at the unscaled values.
3. Bought labels are dealt out (``sim.round.deal_slots``): a ``golden_rate`` share
   to golden items whose answer the buyer knows, the rest to items picked at random or
   by the reward model's uncertainty (smallest ``|r(left) - r(right)|``).
4. Winners label with their judges, which see each pair through ``sim.judge_view`` (gold,
   attribute scores where the data has them, observable features); labels are aggregated
   per item (majority or one-coin Dawid-Skene) into training pairs; with
   ``buyer.pair_weights = "qa_dpo"`` each pair's loss is weighted by the quality bids of
   the winners behind it (``sim.round.qa_dpo_weights``, Zhang & Duan 2024).
5. The reward model continues training on the round's pairs (so after round ``t`` it
   has made ``epochs`` passes over every label bought so far, in purchase order) and
   is scored on held-out gold pairs: the whole test split, or ``reward_model.eval_pairs``
   of them drawn at random.

Gold is the buyer's target utility over attributes, or, on a preference file without
attribute scores, the choice the file recorded (``Corpus.gold_left_wins``).
6. Feedback (switchable): each annotator's Beta posterior counts golden answers as
   right/wrong, and agreement with the reward model's pre-training prediction on
   regular items as fractional evidence of weight ``max(0, 2 a - 1)``, where ``a``
   is the model's last measured reward accuracy (a model at chance is no evidence).

Everything random comes from the model's ``numpy.random.Generator`` (``Model(seed=...)``)
and the reward model's seeded torch generator.
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from agents.annotator import Annotator
from agents.buyer import Buyer
from agents.population import build_population
from analysis import metrics
from analysis.outcomes import ROUND_METRICS
from mechanisms import Market
from mechanisms.budget_capped import BudgetCapped
from sim.budget_clearing import clear_within_budget, most_labels
from sim.config import MarketConfig, mechanism_from_config
from sim.corpus import Corpus, gold_pairs, oriented_pairs, weight_vector
from sim.judge_view import JudgeView
from sim.label_log import PURCHASED_LABEL_COLUMNS, LabelLog
from sim.reward import RewardModel
from sim.round import (
    Sellers,
    choose_items,
    deal_slots,
    label_by_seller,
    qa_dpo_weights,
    quality_evidence,
    round_metrics,
    training_votes,
    transaction_table,
)

GOLD_POOL_SIZE = 200
"""Train pairs set aside as golden items (answer known to the buyer), at most a tenth."""


def eval_pair_count(eval_pairs: int | None, n_test: int) -> int:
    """How many held-out gold pairs reward accuracy is measured on: the whole test split of
    ``n_test`` pairs (``eval_pairs`` None), or ``reward_model.eval_pairs`` of them, at most
    the split."""
    return n_test if eval_pairs is None else min(eval_pairs, n_test)


class MarketModel(mesa.Model):
    """The preference-label market, built from a :class:`~sim.config.MarketConfig`.

    Parameters
    ----------
    config : MarketConfig
    corpus : Corpus, optional
        Defaults to the config's ``[corpus]`` (``CorpusConfig.load``): the built-in corpus or
        a preference file. Without attribute scores, the population's judges must be
        ``one_coin`` or ``spammer`` (``MarketConfig.check_data``).
    reward_model : RewardModel, optional
        Defaults to one built from ``config.reward_model`` with ``seed=config.seed``.
    progress : bool
        Show a progress bar over rounds (and the reward model's own for long fits).
    """

    def __init__(
        self,
        config: MarketConfig,
        corpus: Corpus | None = None,
        reward_model: RewardModel | None = None,
        progress: bool = False,
    ) -> None:
        super().__init__(seed=config.seed)
        self.config = config
        self.progress = progress
        self.corpus = config.corpus.load() if corpus is None else corpus
        config.check_data(self.corpus)
        self._view = JudgeView(self.corpus)
        mechanism = mechanism_from_config(config.mechanism)
        self._unwrapped = mechanism
        if not mechanism.properties.get("budget_feasible", False):
            mechanism = BudgetCapped(mechanism)
        self.mechanism = mechanism
        buyer = config.buyer
        self.target_weights = weight_vector(buyer.target_weights)
        self.sellers: list[Annotator] = build_population(
            self, config.population.to_spec(), self.target_weights, columns=self._view.columns
        )
        self.buyer = Buyer(
            self,
            target_weights=self.target_weights,
            budget=buyer.budget,
            demand_per_round=buyer.demand_per_round,
            n_rounds=buyer.rounds,
            annotator_ids=[a.unique_id for a in self.sellers],
            prior_alpha=buyer.quality_prior[0],
            prior_beta=buyer.quality_prior[1],
            base_value=buyer.base_value,
        )
        self._traits = Sellers(
            ids=np.array([a.unique_id for a in self.sellers]),
            costs=np.array([a.cost for a in self.sellers]),
            skills=np.array([a.skill for a in self.sellers]),
            capacities=np.array([a.capacity for a in self.sellers]),
        )
        self._split_pairs()
        self.reward_model = reward_model or RewardModel(
            config.reward_model.to_settings(seed=config.seed, progress=progress)
        )
        self.reward_accuracy_ = float("nan")
        self.round_ = 0
        self._last_row: dict[str, float] = {}
        self._log = LabelLog(self.corpus.prompt_ids(np.arange(self.corpus.n_responses)))
        self.datacollector = mesa.DataCollector(
            model_reporters={key: _reporter(key) for key in ROUND_METRICS},
            agenttype_reporters={
                Annotator: {
                    "cost": "cost",
                    "skill": "skill",
                    "ask": lambda a: a.history[-1]["ask"],
                    "units": lambda a: a.history[-1]["units"],
                    "payment": lambda a: a.history[-1]["payment"],
                    "utility": lambda a: a.history[-1]["utility"],
                    "quality_estimate": lambda a: a.model.quality_of(a.unique_id),
                }
            },
            tables={"transactions": list(metrics.TRANSACTION_COLUMNS)},
        )

    # ------------------------------------------------------------------ set-up

    def _split_pairs(self) -> None:
        """Gold pool and regular pool from the train split; evaluation pairs from test (all of
        them, or ``eval_pairs`` drawn at random)."""
        train = self.corpus.pairs("train")
        train = train.assign(gold_left=self.corpus.gold_left_wins(train, self.target_weights))
        order = self.rng.permutation(len(train))
        n_gold = min(GOLD_POOL_SIZE, len(train) // 10)
        self.gold_pool = train.iloc[np.sort(order[:n_gold])].reset_index(drop=True)
        self.regular_pool = train.iloc[np.sort(order[n_gold:])].reset_index(drop=True)
        self._unlabelled = np.ones(len(self.regular_pool), dtype=bool)
        test = self.corpus.pairs("test")
        if self.config.reward_model.eval_pairs is not None:
            n_eval = eval_pair_count(self.config.reward_model.eval_pairs, len(test))
            test = test.iloc[np.sort(self.rng.choice(len(test), n_eval, replace=False))]
        self.eval_pairs = gold_pairs(self.corpus, test, self.target_weights)

    def _valued_quality(self) -> np.ndarray:
        if self.config.buyer.valuation == "mean":
            return self.buyer.quality_mean()
        level = 2.0 * self.config.buyer.optimism - 1.0
        return self.buyer.quality_interval(level)[1]

    def quality_of(self, unique_id: int) -> float:
        """The buyer's posterior mean quality of annotator ``unique_id``."""
        return float(self.buyer.quality_mean()[self.buyer._positions([unique_id])[0]])

    # ------------------------------------------------------------------ one round

    def step(self) -> None:
        buyer_cfg = self.config.buyer
        values = self.buyer.value_per_label(self._valued_quality())
        asks = np.array([a.make_ask() for a in self.sellers])
        budget = self.buyer.round_budget() if buyer_cfg.pacing else self.buyer.remaining_budget
        budget = max(budget, 0.0)  # spend may overshoot by float rounding (SPEND_TOLERANCE)
        if buyer_cfg.demand_mode == "budget":
            most = most_labels(
                int(self._traits.capacities.sum()),
                int(self._unlabelled.sum()),
                buyer_cfg.labels_per_item,
                buyer_cfg.golden_rate,
            )
            outcome = clear_within_budget(
                self._unwrapped, asks, values, self._traits.capacities, budget, most, self.rng
            )
            demand = outcome.units  # efficiency: against the best use of the labels bought
        else:
            demand = buyer_cfg.demand_per_round
            market = Market(values, self._traits.capacities, demand=demand, budget=budget)
            outcome = self.mechanism.run(asks, market, self.rng)
        self.buyer.record_round(outcome.spend)

        slots = deal_slots(
            outcome.allocation, buyer_cfg.labels_per_item, buyer_cfg.golden_rate, self.rng
        )
        items = self._choose_items(slots.n_items)
        regular = self._label(
            slots.regular_seller, self.regular_pool.iloc[items[slots.regular_item]], golden=False
        )
        golden_rows = self.rng.choice(len(self.gold_pool), size=slots.golden_seller.size)
        golden = self._label(slots.golden_seller, self.gold_pool.iloc[golden_rows], golden=True)
        self._log.append(pd.concat([regular, golden], ignore_index=True))

        if buyer_cfg.feedback:
            self._update_quality(regular, golden)
        votes = None
        if len(regular):
            votes = training_votes(regular, buyer_cfg.aggregation, self._log.frame(golden=False))
        if votes is not None and len(votes):  # tied votes decide no pair
            left, right = votes["left"].to_numpy(), votes["right"].to_numpy()
            weights = None
            if buyer_cfg.pair_weights == "qa_dpo":
                weights = qa_dpo_weights(regular, votes, pd.Series(values, index=self._traits.ids))
            self.reward_model.fit(
                oriented_pairs(self.corpus, left, right, votes["label"].to_numpy() == left),
                weights=weights,
            )
        self.reward_accuracy_ = self.reward_model.accuracy(self.eval_pairs)

        for i, seller in enumerate(self.sellers):
            seller.observe(asks[i], int(outcome.allocation[i]), float(outcome.payments[i]))
        transactions = transaction_table(self.round_, self._traits, asks, values, outcome)
        for row in transactions.to_dict("records"):
            self.datacollector.add_table_row("transactions", row)
        self._last_row = round_metrics(
            self.round_,
            self._traits,
            transactions,
            regular,
            values,
            demand,
            cumulative_spend=self.buyer.spent_,
            reward_accuracy=self.reward_accuracy_,
            cycle_rate=self._log.cycle_rate(),
        )
        self.round_ += 1
        self.datacollector.collect(self)

    def run(self) -> MarketModel:
        """Run every configured round (with a progress bar when ``progress``)."""
        for _ in tqdm(
            range(self.config.buyer.rounds),
            desc=f"{self.config.mechanism.name} rounds",
            disable=not self.progress,
            leave=False,
        ):
            self.step()
        return self

    # ------------------------------------------------------------------ pieces of a round

    def _choose_items(self, n_items: int) -> np.ndarray:
        """Indices into the regular pool of ``n_items`` unlabelled pairs (then marked used)."""
        margin = None
        if self.config.buyer.item_selection == "uncertainty":

            def margin(pool: np.ndarray) -> np.ndarray:
                pairs = self.regular_pool.iloc[pool]
                left, right = pairs["left"].to_numpy(), pairs["right"].to_numpy()
                return np.abs(self._scores(left) - self._scores(right))

        chosen = choose_items(self._unlabelled, n_items, self.rng, margin)
        self._unlabelled[chosen] = False
        return chosen

    def _update_quality(self, regular: pd.DataFrame, golden: pd.DataFrame) -> None:
        """Beta-posterior updates from golden answers and agreement with the reward model."""
        predicted_left = None
        if len(regular) and self.reward_model.n_pairs_fitted_ > 0:
            left, right = regular["left"].to_numpy(), regular["right"].to_numpy()
            predicted_left = self._scores(left) > self._scores(right)
        workers, right, wrong = quality_evidence(
            golden, regular, predicted_left, self.reward_accuracy_
        )
        if workers.size:
            self.buyer.update_quality(workers, right, wrong)

    def _scores(self, response_ids: np.ndarray) -> np.ndarray:
        return self.reward_model.score(
            self.corpus.prompts(response_ids), self.corpus.texts(response_ids)
        )

    def _label(
        self, seller_positions: np.ndarray, pairs: pd.DataFrame, golden: bool
    ) -> pd.DataFrame:
        """Each listed seller judges its pair; one row per label (crowd-kit's format plus)."""
        left, right = pairs["left"].to_numpy(), pairs["right"].to_numpy()
        seen_left, seen_right = self._view.matrices(left, right, pairs["gold_left"].to_numpy())
        left_wins = label_by_seller(self.sellers, seller_positions, seen_left, seen_right)
        return pd.DataFrame(
            {
                "round": self.round_,
                "worker": self._traits.ids[seller_positions],
                "pair_id": pairs["pair_id"].to_numpy(),
                "left": left,
                "right": right,
                "label": np.where(left_wins, left, right),
                "correct": left_wins == pairs["gold_left"].to_numpy(),
                "golden": golden,
            },
            columns=list(PURCHASED_LABEL_COLUMNS),
        )

    # ------------------------------------------------------------------ results

    def labels(self) -> pd.DataFrame:
        """Every label bought so far (regular and golden)."""
        return self._log.frame().copy()

    def results(self) -> dict[str, pd.DataFrame]:
        """``rounds`` (model level), ``annotators`` (per annotator per round),
        ``transactions`` and ``labels`` as DataFrames."""
        annotators = self.datacollector.get_agenttype_vars_dataframe(Annotator).reset_index()
        annotators = annotators.rename(columns={"Step": "round", "AgentID": "annotator"})
        annotators["round"] -= 1
        return {
            "rounds": self.datacollector.get_model_vars_dataframe().reset_index(drop=True),
            "annotators": annotators,
            "transactions": self.datacollector.get_table_dataframe("transactions"),
            "labels": self.labels(),
        }


def _reporter(key: str):
    return lambda model: model._last_row[key]
