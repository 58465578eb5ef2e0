"""A judge that is a model: it prefers the response its scorer scores higher (RLAIF's AI
feedback, Bai et al. 2022, "Constitutional AI"; Lee et al. 2023, "RLAIF"). The scorer is any
function of response ids, e.g. a trained reward model's scores (``sim.rlaif_seller``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import ClassVar

import numpy as np

from agents.judge_inputs import noiseless_choice
from agents.pair_view import pair_sides


class ModelJudge:
    """Left wins where ``score(left ids) > score(right ids)``; an exact tie by a fair coin.

    Not in the ``JUDGES`` registry: it is built from a trained scorer, not from an
    annotator's traits. Its kinds are declared all the same, and tested.

    Parameters
    ----------
    score : callable
        Response ids (int array) to scores (float array of the same shape).
    """

    name = "model"
    kinds: ClassVar[Mapping[str, bool]] = {
        "needs_attributes": False,
        "reads_gold": False,
        "stochastic": False,
        "order_neutral": True,
        "reads_features": True,
    }

    def __init__(self, score: Callable[[np.ndarray], np.ndarray]) -> None:
        self.score = score

    def prefer_left(self, left, right, rng: np.random.Generator) -> np.ndarray:
        left, right = pair_sides(left, right)
        if left.ids is None:
            raise ValueError(
                "judge: a model judge scores the pairs' response ids; give sides with ids "
                "(agents.pair_view.Responses)"
            )
        difference = np.asarray(self.score(left.ids), float) - np.asarray(
            self.score(right.ids), float
        )
        return noiseless_choice(difference, rng)
