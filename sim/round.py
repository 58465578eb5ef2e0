"""The pure pieces of one market round (``sim.market.MarketModel.step``): dealing bought
labels out to items, choosing the items, the evidence a round gives about each annotator's
quality, the votes that become training pairs, and the round's transactions and metrics.

Nothing here holds state: each function takes what it needs and draws from the ``rng`` it
is given.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis import metrics
from analysis.aggregation import LABEL_COLUMNS, PairwiseDawidSkene, majority_vote
from mechanisms import Outcome
from mechanisms.item_filling import items_fillable
from mechanisms.vickrey_feedback import quality_weight

UNCERTAINTY_POOL_FACTOR = 4
"""Uncertainty sampling scores this many random candidates per item it needs."""


@dataclass(frozen=True)
class LabelSlots:
    """Who labels what this round.

    ``regular_seller[s]`` and ``regular_item[s]`` give the seller position and item
    index (0 .. ``n_items - 1``) of regular slot ``s``; ``golden_seller`` lists the seller
    position of each golden slot.
    """

    n_items: int
    regular_seller: np.ndarray
    regular_item: np.ndarray
    golden_seller: np.ndarray


def deal_slots(
    allocation: np.ndarray,
    labels_per_item: int,
    golden_rate: float,
    rng: np.random.Generator,
) -> LabelSlots:
    """Split the bought labels into golden checks and regular items, and deal them out so
    that every item's labels come from distinct sellers.

    About ``round(golden_rate * units)`` labels go to golden items (quality checks with a
    known answer). The rest form ``n_items`` items of ``labels_per_item`` labels: the
    largest number up to ``(units - golden) // labels_per_item`` that the sellers can fill
    with at most one label each per item (``mechanisms.item_filling.items_fillable``; a
    seller selling more labels than there are items cannot give all of them to distinct
    items). Regular slots are drawn at random among the bought labels, at most
    ``n_items`` from any seller; every other label is used for golden checks, so every
    label bought is used. Regular slots, grouped by seller, are dealt to items by stride
    (slot ``k`` -> item ``k mod n_items``), so no seller labels one item twice: a
    mechanism that pairs winners on items (``vickrey_feedback``) has its pairing kept.
    """
    allocation = np.asarray(allocation, dtype=np.int64)
    seller_of_slot = np.repeat(np.arange(allocation.size), allocation)
    units = seller_of_slot.size
    n_golden = min(round(golden_rate * units), units)
    n_items = items_fillable(allocation, (units - n_golden) // labels_per_item, labels_per_item)
    regular_mask = np.zeros(units, dtype=bool)
    taken = np.zeros(allocation.size, dtype=np.int64)
    wanted, dealt = n_items * labels_per_item, 0
    for slot in rng.permutation(units):
        if dealt == wanted:
            break
        seller = seller_of_slot[slot]
        if taken[seller] < n_items:
            taken[seller] += 1
            dealt += 1
            regular_mask[slot] = True
    regular = seller_of_slot[regular_mask]
    return LabelSlots(
        n_items=n_items,
        regular_seller=regular,
        regular_item=np.arange(regular.size) % max(n_items, 1),
        golden_seller=seller_of_slot[~regular_mask],
    )


def label_by_seller(sellers, positions, left, right, rng=None) -> np.ndarray:
    """Each pair ``i`` judged by seller ``sellers[positions[i]]``: True where left wins.

    ``left`` and ``right`` are the pair matrices the judges read, one row per pair; the
    sellers label in the order of their positions, each drawing from ``rng`` (None: its
    model's generator).
    """
    left_wins = np.zeros(len(positions), dtype=bool)
    for position in np.unique(positions):
        rows = np.flatnonzero(positions == position)
        left_wins[rows] = sellers[position].label(left[rows], right[rows], rng)
    return left_wins


def choose_items(
    unlabelled: np.ndarray,
    n_items: int,
    rng: np.random.Generator,
    margin: Callable[[np.ndarray], np.ndarray] | None = None,
) -> np.ndarray:
    """Indices of ``n_items`` pairs among the ``unlabelled`` ones (a boolean mask).

    Without ``margin``, uniformly at random. With it (uncertainty sampling, Lewis & Gale
    1994), ``UNCERTAINTY_POOL_FACTOR * n_items`` random candidates are scored by
    ``margin(candidates)`` (the reward model's ``|r(left) - r(right)|``) and the smallest
    margins win.
    """
    candidates = np.flatnonzero(unlabelled)
    if n_items > candidates.size:
        raise ValueError(
            f"buyer: the corpus has {candidates.size} unlabelled train pairs left but "
            f"{n_items} are wanted; lower buyer.demand_per_round or buyer.rounds"
        )
    if margin is None or n_items == 0:
        return rng.choice(candidates, size=n_items, replace=False)
    pool_size = min(candidates.size, UNCERTAINTY_POOL_FACTOR * n_items)
    pool = rng.choice(candidates, size=pool_size, replace=False)
    return pool[np.argsort(margin(pool), kind="stable")[:n_items]]


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


def training_votes(
    regular: pd.DataFrame, aggregation: str, regular_history: pd.DataFrame
) -> pd.DataFrame:
    """One consensus label per pair labelled this round: ``left, right, label``.

    ``majority``: the majority of this round's labels of the pair. ``dawid_skene``: the
    one-coin Dawid-Skene posterior label (``analysis.aggregation.PairwiseDawidSkene``)
    fitted on every regular label so far (``regular_history``), for this round's pairs.
    """
    crowd = regular[list(LABEL_COLUMNS)]
    if aggregation == "majority":
        return majority_vote(crowd)
    fitted = PairwiseDawidSkene().fit(regular_history[list(LABEL_COLUMNS)])
    this_round = pd.MultiIndex.from_frame(majority_input_pairs(crowd))
    decided = fitted.labels_.set_index(["left", "right"]).reindex(this_round).dropna()
    return decided.reset_index()


def qa_dpo_weights(
    regular: pd.DataFrame, votes: pd.DataFrame, quality_bid: pd.Series
) -> np.ndarray:
    """QA-DPO loss weight of each training pair, ``w = 0.5 + sigmoid(b_a - b_r)``.

    Zhang & Duan (2024, arXiv:2409.18417) weight a DPO pair by the quality bids of the
    two winners behind its chosen and rejected response
    (``mechanisms.vickrey_feedback.quality_weight``). Sellers here sell labels, not
    responses, so a label carries its seller's quality bid to the side it chose: ``b`` of
    a seller is ``quality_bid[worker]``, the buyer's value per label from it this round
    (``base_value * (2q - 1)``, the quality ``vickrey_feedback`` ranks it by), and for the
    pair of ``votes`` row ``i``, ``b_a`` sums it over this round's labels of that pair for
    the chosen response, ``b_r`` over those for the rejected one. Two agreeing winners give
    their pair more weight than one winner against an equally trusted other (``w = 1``);
    one label alone gets ``0.5 + sigmoid(b)``. Majority voting drops tied items, so after it
    every pair of a two-label item has two agreeing winners and ``b_r = 0``; a split reaches
    training only under ``dawid_skene`` aggregation.
    """
    low = np.minimum(regular["left"].to_numpy(), regular["right"].to_numpy())
    high = np.maximum(regular["left"].to_numpy(), regular["right"].to_numpy())
    bids = quality_bid.reindex(regular["worker"].to_numpy()).to_numpy(dtype=float)
    support = pd.DataFrame({"low": low, "high": high, "label": regular["label"], "bid": bids})
    by_side = support.groupby(["low", "high", "label"])["bid"].sum()
    vote_low = np.minimum(votes["left"].to_numpy(), votes["right"].to_numpy())
    vote_high = np.maximum(votes["left"].to_numpy(), votes["right"].to_numpy())
    chosen = votes["label"].to_numpy()
    rejected = np.where(chosen == vote_low, vote_high, vote_low)
    b_a = by_side.reindex(list(zip(vote_low, vote_high, chosen, strict=True)), fill_value=0.0)
    b_r = by_side.reindex(list(zip(vote_low, vote_high, rejected, strict=True)), fill_value=0.0)
    return quality_weight(b_a.to_numpy(), b_r.to_numpy())


def majority_input_pairs(crowd: pd.DataFrame) -> pd.DataFrame:
    """The distinct unordered pairs of ``crowd`` in canonical (sorted) orientation."""
    low = np.minimum(crowd["left"].to_numpy(), crowd["right"].to_numpy())
    high = np.maximum(crowd["left"].to_numpy(), crowd["right"].to_numpy())
    return pd.DataFrame({"left": low, "right": high}).drop_duplicates()


@dataclass(frozen=True)
class Sellers:
    """The population's fixed traits, by seller position."""

    ids: np.ndarray
    costs: np.ndarray
    skills: np.ndarray
    capacities: np.ndarray


def transaction_table(
    round_: int, sellers: Sellers, asks: np.ndarray, values: np.ndarray, outcome: Outcome
) -> pd.DataFrame:
    """One row per seller that sold or was paid (``analysis.metrics.TRANSACTION_COLUMNS``)."""
    traded = np.flatnonzero((outcome.allocation > 0) | (outcome.payments != 0))
    return pd.DataFrame(
        {
            "round": round_,
            "annotator": sellers.ids[traded],
            "units": outcome.allocation[traded],
            "ask": asks[traded],
            "payment": outcome.payments[traded],
            "cost": sellers.costs[traded],
            "value": values[traded],
            "skill": sellers.skills[traded],
        },
        columns=list(metrics.TRANSACTION_COLUMNS),
    )


def round_metrics(
    round_: int,
    sellers: Sellers,
    transactions: pd.DataFrame,
    regular: pd.DataFrame,
    values: np.ndarray,
    demand: int,
    cumulative_spend: float,
    reward_accuracy: float,
    cycle_rate: float,
) -> dict[str, float]:
    """The round's row of ``analysis.outcomes.ROUND_METRICS``."""
    first_best = metrics.max_welfare(values, sellers.costs, sellers.capacities, demand)
    realised = metrics.welfare(transactions)
    return {
        "round": round_,
        "spend": metrics.spend(transactions),
        "cumulative_spend": cumulative_spend,
        "labels": metrics.labels_bought(transactions),
        "label_accuracy": float(regular["correct"].mean()) if len(regular) else float("nan"),
        "reward_accuracy": reward_accuracy,
        "buyer_utility": metrics.buyer_utility(transactions),
        "seller_surplus": metrics.seller_surplus(transactions),
        "welfare": realised,
        "efficiency": metrics.allocative_efficiency(realised, first_best),
        "overpayment": metrics.overpayment(transactions),
        "top_skill_spend_share": metrics.top_skill_spend_share(
            transactions, pd.Series(sellers.skills, index=sellers.ids)
        ),
        "cycle_rate": cycle_rate,
        "mean_value": float(np.mean(values)),
    }
