"""What a judge sees of a batch of pairs: each side's responses, by name.

A batch of ``m`` pairs reaches a judge as two :class:`Responses`, ``left`` and ``right``; row
``i`` of each is one side of pair ``i``. A side carries:

- ``attributes``: the responses' attribute scores, shape ``(m, k)``, in the order of the
  buyer's target weights (``k = 0`` on data without attribute scores);
- ``features``: observable features (such as length) by name, each shape ``(m,)``, z-scored
  over the corpus' responses;
- ``gold``: 1 for the response that wins its pair under the buyer's gold, 0 for the other
  (on the built-in corpus gold is the buyer's target utility; on a preference file without
  attribute scores, the recorded choice), or None where the pairs carry no gold. Only judges
  that declare ``reads_gold`` (``agents.judges.JUDGE_KINDS``) read it: they rate gold;
- ``ids``: the responses' ids, or None.

The simulator builds the market's view in one place (``sim.judge_view``); a bare attribute
matrix is read as a side with attributes alone (:func:`as_responses`), so judges know nothing
of corpora. :class:`PairLayout` names what a view will carry before any pair is drawn, so a
population can refuse judges the data cannot serve.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np


def unknown_feature(name: str, known) -> ValueError:
    """The error for a feature the pairs do not carry (it names ``bias_feature``)."""
    return ValueError(
        f"bias_feature: {name!r} is not a feature of these pairs; use one of {list(known)}"
    )


@dataclass(frozen=True)
class PairLayout:
    """The names a view will carry: attribute names and feature names.

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

    def check_feature(self, name: str) -> None:
        """Refuse a feature the view will not carry (the error names ``bias_feature``)."""
        if name not in self.features:
            raise unknown_feature(name, self.features)


@dataclass(frozen=True)
class Responses:
    """One side of a batch of ``m`` pairs (see the module docstring).

    Parameters
    ----------
    attributes : ndarray of float, shape (m, k)
    features : mapping of str to ndarray of float, shape (m,) each
    gold : ndarray of float, shape (m,), optional
    ids : ndarray of int, shape (m,), optional
    """

    attributes: np.ndarray
    features: Mapping[str, np.ndarray] = field(default_factory=dict)
    gold: np.ndarray | None = None
    ids: np.ndarray | None = None

    def __len__(self) -> int:
        return self.attributes.shape[0]

    def __getitem__(self, rows) -> Responses:
        """The same side for the pairs ``rows`` (an index array or mask)."""
        return Responses(
            self.attributes[rows],
            {name: values[rows] for name, values in self.features.items()},
            None if self.gold is None else self.gold[rows],
            None if self.ids is None else self.ids[rows],
        )

    def feature(self, name: str) -> np.ndarray:
        """Feature ``name`` of each response; a feature not carried raises naming
        ``bias_feature``."""
        try:
            return self.features[name]
        except KeyError:
            raise unknown_feature(name, self.features) from None


def as_responses(side, name: str = "left") -> Responses:
    """``side`` as :class:`Responses`: a 2-D array is read as attribute scores alone; errors
    name the side (``name``)."""
    if isinstance(side, Responses):
        return side
    attributes = np.asarray(side, dtype=float)
    if attributes.ndim != 2:
        raise ValueError(f"{name}: expected shape (pairs, attributes), got {attributes.shape}")
    return Responses(attributes)


def pair_sides(left, right) -> tuple[Responses, Responses]:
    """``left`` and ``right`` as two sides of the same pairs: same number of pairs and of
    attributes, the same feature names, gold and ids on both sides or on neither."""
    left, right = as_responses(left, "left"), as_responses(right, "right")
    if right.attributes.shape != left.attributes.shape:
        raise ValueError(
            f"right: shape {right.attributes.shape} differs from left {left.attributes.shape}; "
            "give one row per pair"
        )
    if (
        set(right.features) != set(left.features)
        or (left.gold is None) != (right.gold is None)
        or (left.ids is None) != (right.ids is None)
    ):
        raise ValueError(
            "right: carries other features, gold or ids than left; give both sides alike"
        )
    return left, right
