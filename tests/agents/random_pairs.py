"""Random pairs in a named layout (``agents.pair_view``), for judge tests."""

import numpy as np

from agents.pair_view import PairLayout, Responses


def random_sides(layout: PairLayout, m: int, rng: np.random.Generator, *, equal=False):
    """``m`` pairs carrying ``layout``: a random gold side, uniform attribute scores (equal on
    both sides when ``equal``), standard normal features, response ids ``0 .. 2m - 1``."""
    gold_left = rng.random(m) < 0.5
    width = len(layout.attributes)
    attributes_left, attributes_right = rng.random((m, width)), rng.random((m, width))
    if equal:
        attributes_right = attributes_left.copy()
    left_features = {name: rng.normal(size=m) for name in layout.features}
    right_features = {name: rng.normal(size=m) for name in layout.features}
    left = Responses(attributes_left, left_features, gold_left.astype(float), np.arange(m))
    right = Responses(
        attributes_right, right_features, (~gold_left).astype(float), m + np.arange(m)
    )
    return left, right
