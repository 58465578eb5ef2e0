"""Labels of a population outside a market: each pair judged by ``per_item`` distinct random
annotators, as the market's winners judge it (``sim.judge_view``), for benchmarks and studies
that need crowd labels without an auction."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd

from agents.annotator import Annotator, label_by_annotators
from agents.population import PopulationSpec, build_population
from sim.corpus import DEFAULT_TARGET_WEIGHTS, Corpus, weight_vector
from sim.judge_view import JudgeView


def crowd_labels(
    corpus: Corpus,
    pairs: pd.DataFrame,
    per_item: int,
    rng: np.random.Generator,
    spec: PopulationSpec | None = None,
) -> pd.DataFrame:
    """One row per label in crowd-kit's format (``worker, left, right, label``).

    A population of ``spec`` (default ``PopulationSpec()``) is built on a Mesa model of its
    own under the default target weights, drawing from ``rng``; pair ``i`` of ``pairs``
    (``left, right`` response ids) is labelled by ``per_item`` distinct annotators drawn
    uniformly (the first ``per_item`` of a random permutation), whose rows come first.
    ``worker`` is the annotator's ``unique_id``.
    """
    spec = PopulationSpec() if spec is None else spec
    if not 1 <= per_item <= spec.n_annotators:
        raise ValueError(f"per_item: must be in 1..{spec.n_annotators}, got {per_item!r}")
    weights = weight_vector(DEFAULT_TARGET_WEIGHTS)
    view = JudgeView(corpus)
    model = mesa.Model(rng=rng)
    annotators = build_population(model, spec, weights, rng, layout=view.layout)
    n = len(pairs)
    left = np.repeat(pairs["left"].to_numpy(), per_item)
    right = np.repeat(pairs["right"].to_numpy(), per_item)
    workers = np.argsort(rng.random((n, len(annotators))), axis=1)[:, :per_item].ravel()
    gold_left = np.repeat(corpus.gold_left_wins(pairs, weights), per_item)
    seen_left, seen_right = view.sides(left, right, gold_left)
    ids = np.array([annotator.unique_id for annotator in annotators])
    left_wins = label_by_annotators(
        model.agents_by_type[Annotator], ids[workers], seen_left, seen_right, rng
    )
    label = np.where(left_wins, left, right)
    return pd.DataFrame({"worker": ids[workers], "left": left, "right": right, "label": label})
