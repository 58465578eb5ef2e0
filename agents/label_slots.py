"""Who labels what in a round: the buyer deals the labels it bought out to golden checks and
regular items, and picks which unlabelled pairs become the items."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from mechanisms.item_filling import items_fillable

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


def regular_items(units: int, labels_per_item: int, golden_rate: float) -> int:
    """The most regular items ``units`` bought labels can fill: ``(units - golden) //
    labels_per_item`` with ``golden = min(round(golden_rate * units), units)``."""
    return (units - min(round(golden_rate * units), units)) // labels_per_item


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
