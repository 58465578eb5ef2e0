"""The training pairs a round's labels make: one consensus label per pair (majority or
Dawid-Skene) and, under ``pair_weights = "qa_dpo"``, each pair's loss weight."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.aggregation import PairwiseDawidSkene, majority_vote
from analysis.records import LABEL_COLUMNS
from mechanisms.vickrey_feedback import quality_weight


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
