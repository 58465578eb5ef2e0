"""``MarketModel``: the closed loop as a Mesa model, one round per ``step()``
(docs/architecture.md, "The loop").

The model orchestrates; the agents decide. Annotators ask and label through Mesa's
``AgentSet``; the ``agents.buyer.Buyer`` values each seller, sets the round's budget and
demand, clears the mechanism, deals the bought labels out to golden checks and items, picks
the items and the golden checks, learns each seller's quality from the labels and aggregates
them into training pairs. The
model holds the corpus's pools, the reward model that trains on the pairs, and the records:
the DataCollector's rounds and annotators tables, the transactions table and the label log.
``model.steps`` counts rounds from 1; the tables' ``round`` counts from 0.

Gold is the buyer's target utility over attributes, or, on a preference file without
attribute scores, the choice the file recorded (``Corpus.gold_left_wins``). Everything
random comes from the model's ``numpy.random.Generator`` (``Model(seed=...)``) and the reward
model's seeded torch generator.
"""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from agents.annotator import HUMAN, Annotator, label_by_annotators
from agents.buyer import Buyer
from agents.population import build_population
from analysis.records import (
    ANNOTATOR_COLUMNS,
    PURCHASED_LABEL_COLUMNS,
    ROUND_METRICS,
    TRANSACTION_COLUMNS,
)
from sim.config import MarketConfig, mechanism_from_config
from sim.corpus import Corpus, gold_pairs, oriented_pairs, weight_vector
from sim.judge_view import JudgeView
from sim.label_log import LabelLog
from sim.reward import RewardModel
from sim.rlaif_seller import build_rlaif_sellers
from sim.round_record import ROUND_REPORTERS, RoundRecord, transaction_table

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

    Attributes
    ----------
    rlaif_model_ : RewardModel or None
        The RLAIF sellers' reward model (``sim.rlaif_seller``); None without them.
    rlaif_accuracy_ : float
        Its accuracy on the evaluation pairs; NaN without RLAIF sellers.
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
        self.mechanism = mechanism_from_config(config.mechanism)
        self.target_weights = weight_vector(config.buyer.target_weights)
        annotators = build_population(
            self, config.population, self.target_weights, layout=self._view.layout
        )
        self._split_pairs()
        self.reward_model = reward_model or RewardModel(
            config.reward_model.to_settings(seed=config.seed, progress=progress)
        )
        rlaif, self.rlaif_model_, self.rlaif_accuracy_ = build_rlaif_sellers(
            self, config, self.corpus, self.regular_pool, self.eval_pairs
        )
        self.buyer = Buyer(self, config.buyer, [a.unique_id for a in annotators + rlaif])
        self.reward_accuracy_ = float("nan")
        self.last_round: RoundRecord | None = None
        self._log = LabelLog(self.corpus.prompt_ids(np.arange(self.corpus.n_responses)))
        self.datacollector = mesa.DataCollector(
            model_reporters={
                key: (lambda model, report=ROUND_REPORTERS[key]: report(model.last_round))
                for key in ROUND_METRICS
            },
            agenttype_reporters={
                Annotator: {
                    "round": lambda a: a.model.round,
                    "cost": "cost",
                    "skill": "skill",
                    "kind": "kind",
                    "ask": lambda a: a.history[-1]["ask"],
                    "units": lambda a: a.history[-1]["units"],
                    "payment": lambda a: a.history[-1]["payment"],
                    "utility": lambda a: a.history[-1]["utility"],
                    "quality_estimate": lambda a: a.model.buyer.quality_of(a.unique_id),
                }
            },
            tables={"transactions": list(TRANSACTION_COLUMNS)},
        )

    @property
    def annotators(self) -> mesa.agent.AgentSet:
        """The sellers, in the order of the round's ask and allocation arrays."""
        return self.agents_by_type[Annotator]

    @property
    def round(self) -> int:
        """The round under way or last finished, from 0 (Mesa's ``steps`` counts from 1)."""
        return self.steps - 1

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

    # ------------------------------------------------------------------ one round

    def step(self) -> None:
        """One sealed-bid round: the sellers ask, the buyer values each seller and clears the
        mechanism, the winners label the items and then the golden checks the buyer picks,
        the buyer learns from the labels and trains its reward model on their votes, the
        sellers learn from the outcome."""
        annotators = self.annotators
        sellers = self._seller_table()
        asks = np.array(annotators.map("make_ask"))
        outcome, values, demand = self.buyer.procure(
            self.mechanism,
            asks,
            sellers["capacity"].to_numpy(),
            int(self._unlabelled.sum()),
            (sellers["kind"] != HUMAN).to_numpy(),
        )
        slots = self.buyer.deal(outcome.allocation)
        items = self.buyer.choose_items(self._unlabelled, slots.n_items, self._margin)
        self._unlabelled[items] = False
        regular_pairs = self.regular_pool.iloc[items[slots.regular_item]]
        regular = self._label(slots.regular_seller, regular_pairs, golden=False)
        golden_rows = self.buyer.golden_items(len(self.gold_pool), slots.golden_seller.size)
        golden = self._label(slots.golden_seller, self.gold_pool.iloc[golden_rows], golden=True)
        self._log.append(pd.concat([regular, golden], ignore_index=True))
        self.buyer.learn_quality(golden, regular, self._predict_left, self.reward_accuracy_)
        self._train(*self.buyer.training_pairs(regular, self._log.frame(golden=False), values))
        self.reward_accuracy_ = self.reward_model.accuracy(self.eval_pairs)
        for annotator, ask, units, payment in zip(
            annotators, asks, outcome.allocation, outcome.payments, strict=True
        ):
            annotator.observe(ask, int(units), float(payment))
        self._record(sellers, asks, values, outcome, demand, regular)

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

    def _seller_table(self) -> pd.DataFrame:
        """``annotator, cost, skill, capacity, kind`` of every seller, read from the agents."""
        return pd.DataFrame(
            {
                "annotator": self.annotators.get("unique_id"),
                "cost": self.annotators.get("cost"),
                "skill": self.annotators.get("skill"),
                "capacity": self.annotators.get("capacity"),
                "kind": self.annotators.get("kind"),
            }
        )

    def _margin(self, pool: np.ndarray) -> np.ndarray:
        """The reward model's ``|r(left) - r(right)|`` on regular pool rows ``pool``."""
        pairs = self.regular_pool.iloc[pool]
        left, right = pairs["left"].to_numpy(), pairs["right"].to_numpy()
        return np.abs(self._scores(left) - self._scores(right))

    def _predict_left(self, labels: pd.DataFrame) -> np.ndarray | None:
        """Whether the reward model prefers each label's left response (None: not trained)."""
        if self.reward_model.n_pairs_fitted_ == 0:
            return None
        left, right = labels["left"].to_numpy(), labels["right"].to_numpy()
        return self._scores(left) > self._scores(right)

    def _scores(self, response_ids: np.ndarray) -> np.ndarray:
        return self.reward_model.score(
            self.corpus.prompts(response_ids), self.corpus.texts(response_ids)
        )

    def _label(
        self, seller_positions: np.ndarray, pairs: pd.DataFrame, golden: bool
    ) -> pd.DataFrame:
        """Each listed seller judges its pair; one row per label (crowd-kit's format plus)."""
        left, right = pairs["left"].to_numpy(), pairs["right"].to_numpy()
        seen_left, seen_right = self._view.sides(left, right, pairs["gold_left"].to_numpy())
        workers = self.buyer.annotator_ids[seller_positions]
        left_wins = label_by_annotators(self.annotators, workers, seen_left, seen_right)
        return pd.DataFrame(
            {
                "round": self.round,
                "worker": workers,
                "pair_id": pairs["pair_id"].to_numpy(),
                "left": left,
                "right": right,
                "label": np.where(left_wins, left, right),
                "correct": left_wins == pairs["gold_left"].to_numpy(),
                "golden": golden,
            },
            columns=list(PURCHASED_LABEL_COLUMNS),
        )

    def _train(self, votes: pd.DataFrame, weights: np.ndarray | None) -> None:
        """Continue training the reward model on the round's votes (tied votes decide none)."""
        if not len(votes):
            return
        left, right = votes["left"].to_numpy(), votes["right"].to_numpy()
        pairs = oriented_pairs(self.corpus, left, right, votes["label"].to_numpy() == left)
        self.reward_model.fit(pairs, weights=weights)

    def _record(self, sellers, asks, values, outcome, demand, regular) -> None:
        """The round's transactions and its DataCollector rows."""
        transactions = transaction_table(self.round, sellers, asks, values, outcome)
        for row in transactions.to_dict("records"):
            self.datacollector.add_table_row("transactions", row)
        self.last_round = RoundRecord(
            round=self.round,
            sellers=sellers,
            transactions=transactions,
            regular=regular,
            values=values,
            demand=demand,
            cumulative_spend=self.buyer.spent_,
            reward_accuracy=self.reward_accuracy_,
            cycle_rate=self._log.cycle_rate(),
        )
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ results

    def labels(self) -> pd.DataFrame:
        """Every label bought so far (regular and golden)."""
        return self._log.frame().copy()

    def results(self) -> dict[str, pd.DataFrame]:
        """``rounds`` (model level), ``annotators`` (per annotator per round),
        ``transactions`` and ``labels`` as DataFrames."""
        annotators = self.datacollector.get_agenttype_vars_dataframe(Annotator).reset_index()
        annotators = annotators.rename(columns={"AgentID": "annotator"})
        return {
            "rounds": self.datacollector.get_model_vars_dataframe().reset_index(drop=True),
            "annotators": annotators[list(ANNOTATOR_COLUMNS)],
            "transactions": self.datacollector.get_table_dataframe("transactions"),
            "labels": self.labels(),
        }
