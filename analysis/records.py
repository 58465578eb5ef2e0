"""The tables a market writes and analysis reads, each declared once: its columns in order,
each column's dtype and meaning.

A table is a :class:`Schema` of :class:`Column` declarations; ``<NAME>_COLUMNS`` is its tuple
of names, what producers pass as ``columns=`` and checks test for. The corpus's own tables
(responses, comparisons, TRL pairs) are declared in :mod:`sim.corpus.records`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One column: ``name``, ``dtype`` (as ``DataFrame.dtypes`` names it) and ``meaning``
    (one line)."""

    name: str
    dtype: str
    meaning: str


@dataclass(frozen=True)
class Metric(Column):
    """A column of the rounds table that is also a market metric: ``label`` (short display
    name) and ``over_rounds`` (how a run's figure is made from its rounds, by a rule of
    :mod:`analysis.outcomes`; None: not a run outcome)."""

    label: str
    over_rounds: str | None


@dataclass(frozen=True)
class Schema:
    """A table: its ``name`` and its ``columns``, in order."""

    name: str
    columns: tuple[Column, ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def dtypes(self) -> dict[str, str]:
        return {column.name: column.dtype for column in self.columns}


# ---------------------------------------------------------------- labels

_ROUND = Column("round", "int64", "round index, from 0")
_WORKER = Column("worker", "int64", "the annotator who labelled (its unique_id)")
_LEFT = Column("left", "int64", "response id shown first")
_RIGHT = Column("right", "int64", "response id shown second")
_LABEL = Column("label", "int64", "the preferred response's id (equals left or right)")

LABELS = Schema("labels", (_WORKER, _LEFT, _RIGHT, _LABEL))
"""crowd-kit's long pairwise format, one row per label; ``analysis.aggregation`` takes any
hashable ids."""
LABEL_COLUMNS = LABELS.names

PURCHASED_LABELS = Schema(
    "purchased labels",
    (
        _ROUND,
        _WORKER,
        Column("pair_id", "int64", "the corpus comparison labelled"),
        _LEFT,
        _RIGHT,
        _LABEL,
        Column("correct", "bool", "the label agrees with gold"),
        Column("golden", "bool", "a golden (known-answer) item, not a regular one"),
    ),
)
"""Every label a market bought (its ``labels`` table): crowd-kit's columns plus the round,
the corpus pair, agreement with gold, and whether the item was golden."""
PURCHASED_LABEL_COLUMNS = PURCHASED_LABELS.names

# ---------------------------------------------------------------- trades

_ANNOTATOR = Column("annotator", "int64", "the seller (its unique_id)")
_COST = Column("cost", "float64", "the seller's true (private) cost per label")
_SKILL = Column("skill", "float64", "the seller's skill in [0, 1]")
_ASK = Column("ask", "float64", "the seller's ask per label this round")
_UNITS = Column("units", "int64", "labels bought from the seller this round")
_PAYMENT = Column("payment", "float64", "total payment to the seller this round")

TRANSACTIONS = Schema(
    "transactions",
    (
        _ROUND,
        _ANNOTATOR,
        _UNITS,
        _ASK,
        _PAYMENT,
        _COST,
        Column("value", "float64", "the buyer's value per label from the seller this round"),
        _SKILL,
    ),
)
"""One row per seller that sold or was paid in a round (input of :mod:`analysis.metrics`)."""
TRANSACTION_COLUMNS = TRANSACTIONS.names

HUMAN = "human"
"""The ``kind`` of a human seller; an AI judge seller's is its profile name."""
_KIND = Column("kind", "str", "who sells: 'human', an AI judge's profile name, or 'rlaif'")

ANNOTATOR_ROUNDS = Schema(
    "annotators",
    (
        _ROUND,
        _ANNOTATOR,
        _COST,
        _SKILL,
        _ASK,
        _UNITS,
        _PAYMENT,
        Column("utility", "float64", "payment - cost * units (quasi-linear)"),
        Column("quality_estimate", "float64", "the buyer's posterior mean of its quality"),
        _KIND,
    ),
)
"""One row per annotator per round, sold or not (a market's ``annotators`` table)."""
ANNOTATOR_COLUMNS = ANNOTATOR_ROUNDS.names

# ---------------------------------------------------------------- rounds

METRICS: tuple[Metric, ...] = (
    Metric("round", "int64", "round index, from 0", "round", None),
    Metric("spend", "float64", "payments this round", "spend", None),
    Metric("cumulative_spend", "float64", "total spend", "spend", "last"),
    Metric("labels", "int64", "labels bought", "labels", "sum"),
    Metric(
        "label_accuracy", "float64", "share of bought labels that agree with gold",
        "label acc.", "weighted:labels",
    ),
    Metric(
        "reward_accuracy", "float64", "reward accuracy after the last round", "reward acc.",
        "last",
    ),
    Metric("buyer_utility", "float64", "buyer's utility, all rounds", "buyer utility", "sum"),
    Metric("seller_surplus", "float64", "sellers' surplus, all rounds", "seller surplus", "sum"),
    Metric("welfare", "float64", "total welfare, all rounds", "welfare", "sum"),
    Metric(
        "efficiency", "float64", "allocative efficiency, mean over rounds", "efficiency", "mean"
    ),
    Metric(
        "overpayment", "float64", "payments / true costs of bought labels, all rounds",
        "overpayment", "pooled_overpayment",
    ),
    Metric(
        "top_skill_spend_share", "float64",
        "share of spend to the top skill quartile, all rounds", "top-skill share",
        "weighted:spend",
    ),
    Metric("cycle_rate", "float64", "cycle rate in the purchased labels", "cycle rate", "last"),
    Metric(
        "mean_value", "float64", "buyer's mean value per label this round", "mean value", None
    ),
)  # fmt: skip
"""The market metrics, one per column of the rounds table."""

ROUNDS = Schema("rounds", METRICS)
"""One row per round of a market (its ``rounds`` table)."""
ROUND_METRICS = ROUNDS.names

# ---------------------------------------------------------------- comparisons

_MECHANISM = Column("mechanism", "str", "the comparison's row (a mechanism's name)")
_CI_LOW = Column("ci_low", "float64", "lower end of the 95% interval")
_CI_HIGH = Column("ci_high", "float64", "upper end of the 95% interval")
_N_SEEDS = Column("n_seeds", "int64", "seeds behind the figure")
_BUDGET = Column("budget", "float64", "the market's total budget")

DIFFERENCES = Schema(
    "differences",
    (
        _MECHANISM,
        Column("baseline", "str", "the row subtracted"),
        Column("outcome", "str", "the outcome compared (analysis.outcomes.OUTCOMES)"),
        Column("difference", "float64", "mean of mechanism minus baseline, seed by seed"),
        _CI_LOW,
        _CI_HIGH,
        Column("n_seeds", "int64", "seeds paired"),
        Column("excludes_zero", "bool", "the 95% paired interval excludes 0"),
        Column(
            "min_detectable", "float64",
            "smallest difference detected at these seeds with power 0.8 "
            "(analysis.resolution.min_detectable_difference)",
        ),
    ),
)  # fmt: skip
"""Paired differences (``differences.csv``; ``scenario_effects.csv`` adds ``scenario``)."""
DIFFERENCE_COLUMNS = DIFFERENCES.names

FRONTIER = Schema(
    "frontier",
    (
        _MECHANISM,
        _BUDGET,
        Column("spend", "float64", "mean total spend over seeds"),
        Column("labels", "float64", "mean labels bought over seeds"),
        Column("reward_accuracy", "float64", "mean final reward accuracy over seeds"),
        _CI_LOW,
        _CI_HIGH,
        _N_SEEDS,
    ),
)
"""The cost-efficiency frontier, one row per row and budget (``frontier.csv``)."""
FRONTIER_COLUMNS = FRONTIER.names

SPEND_NEEDED = Schema(
    "spend needed",
    (
        _MECHANISM,
        Column("target_accuracy", "float64", "the reward accuracy to reach"),
        Column("spend", "float64", "spend at which the mean frontier reaches it (±inf: beyond)"),
        Column("ci_low", "float64", "spend at which the band's upper edge reaches it"),
        Column("ci_high", "float64", "spend at which the band's lower edge reaches it"),
        Column("lowest_spend", "float64", "smallest mean spend run"),
        Column("highest_spend", "float64", "largest mean spend run"),
    ),
)
"""Per row, the spend to reach a target reward accuracy (``spend_needed.csv``)."""
SPEND_NEEDED_COLUMNS = SPEND_NEEDED.names

SHADING = Schema(
    "shading",
    (
        Column("scenario", "str", "the comparison's scenario"),
        _MECHANISM,
        _ROUND,
        Column("ask_over_cost", "float64", "mean ask / cost over seeds"),
        _CI_LOW,
        _CI_HIGH,
        _N_SEEDS,
    ),
)
"""How far sellers shade, per scenario, row and round (``shading.csv``)."""
SHADING_COLUMNS = SHADING.names

SPEND_BY_KIND = Schema(
    "spend by kind",
    (
        _MECHANISM,
        _BUDGET,
        _KIND,
        Column("spend", "float64", "total payments a market to the kind, mean over seeds"),
        Column("labels", "float64", "labels a market from the kind, mean over seeds"),
        Column("label_accuracy", "float64", "share of its regular labels that agree with gold"),
        Column("quality_estimate", "float64", "buyer's posterior mean after the last round"),
    ),
)
"""Per row, budget and seller kind (``spend_by_kind.csv``, ``analysis.seller_kinds``)."""

AI_SHARE = Schema(
    "ai share",
    (
        _MECHANISM,
        _BUDGET,
        Column("ai_share", "float64", "share of spend on AI sellers, mean over seeds"),
        Column("ai_share_low", "float64", "lower end of its 95% interval"),
        Column("ai_share_high", "float64", "upper end of its 95% interval"),
        Column("reward_accuracy", "float64", "mean final reward accuracy over seeds"),
        _CI_LOW,
        _CI_HIGH,
    ),
)
"""Per row and budget, where it lands on the human-AI mix (``ai_share.csv``)."""
