"""What a judge sees of a pair: the columns of the per-pair matrices that judges read.

A batch of ``m`` pairs reaches a judge as two float matrices ``left`` and ``right`` of shape
``(m, c)``, one row per pair, whose columns are, in order:

- ``gold``: 1 for the response that wins the pair under the buyer's gold, 0 for the other
  (on the built-in corpus gold is the buyer's target utility; on a preference file without
  attribute scores, the recorded choice). Only judges that declare ``reads_gold``
  (``agents.judges.JUDGE_KINDS``; ``one_coin``) read it: they rate gold;
- the attributes (possibly none), in the order of the buyer's target weights;
- the observable features (such as length), z-scored over the corpus' responses.

The simulator builds these matrices in one place (``sim.judge_view``); this module only
names their layout, so that judges know nothing of corpora.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

GOLD_COLUMN = "gold"
"""Name of the first column: 1 for the pair's gold winner, 0 for its loser."""


@dataclass(frozen=True)
class PairColumns:
    """The layout ``(gold, *attributes, *features)`` of the per-pair matrices.

    Parameters
    ----------
    attributes : tuple of str
        Attribute names, in the order of the target weights; empty when the data has no
        attribute scores.
    features : tuple of str
        Observable feature names.
    """

    attributes: tuple[str, ...]
    features: tuple[str, ...] = ()

    @property
    def names(self) -> tuple[str, ...]:
        """Every column name, in order."""
        return (GOLD_COLUMN, *self.attributes, *self.features)

    @property
    def gold(self) -> int:
        """Position of the ``gold`` column."""
        return 0

    @property
    def attribute_positions(self) -> np.ndarray:
        """Positions of the attribute columns, in the order of the target weights."""
        return np.arange(1, 1 + len(self.attributes))

    def feature_position(self, name: str) -> int:
        """Position of feature ``name``; unknown names raise naming ``bias_feature``."""
        if name not in self.features:
            raise ValueError(
                f"bias_feature: {name!r} is not a feature of these pairs; use one of "
                f"{list(self.features)}"
            )
        return 1 + len(self.attributes) + self.features.index(name)
