"""Dealing bought labels out to items so that no item gets two labels from one seller."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
    """Split the bought labels into golden checks and regular items, and deal them out.

    ``round(golden_rate * units)`` labels, drawn uniformly from all bought labels, go
    to golden items (quality checks with a known answer). The rest form
    ``n_items = regular // labels_per_item`` items of ``labels_per_item`` labels; any
    remainder is also used for golden checks, so every label bought is used. Regular
    slots, grouped by seller, are dealt to items by stride (slot ``k`` -> item
    ``k mod n_items``): a seller with at most ``n_items`` regular slots therefore
    never labels one item twice.
    """
    allocation = np.asarray(allocation, dtype=np.int64)
    seller_of_slot = np.repeat(np.arange(allocation.size), allocation)
    units = seller_of_slot.size
    n_golden = min(round(golden_rate * units), units)
    n_items = (units - n_golden) // labels_per_item
    n_golden = units - n_items * labels_per_item
    golden_mask = np.zeros(units, dtype=bool)
    golden_mask[rng.choice(units, size=n_golden, replace=False)] = True
    regular = seller_of_slot[~golden_mask]
    return LabelSlots(
        n_items=n_items,
        regular_seller=regular,
        regular_item=np.arange(regular.size) % max(n_items, 1),
        golden_seller=seller_of_slot[golden_mask],
    )
