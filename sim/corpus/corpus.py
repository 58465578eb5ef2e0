"""The comparison corpus: responses with hidden attribute scores, pairs of responses to the
same prompt, and the gold labels a buyer's target weights define on them.

``sim.corpus.builtin.builtin_corpus(seed)`` generates an embedded corpus (no download);
``sim.corpus.preference_files.load_preferences`` builds a :class:`Corpus` from a user's file
in TRL's ``prompt, chosen, rejected`` format.

Gold (docs/architecture.md): a response's utility is the weighted sum of its attributes,
``u(r) = sum_k w_k a_k(r)``; in a pair, the response with the higher utility under the buyer's
target weights wins, and an exact tie goes to the lower ``response_id``. A corpus without
attribute scores (a user's ``prompt, chosen, rejected`` file) has no utilities: there gold is
the choice the file recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sim.corpus.records import COMPARISON_COLUMNS, RESPONSE_COLUMNS

ATTRIBUTES: tuple[str, ...] = ("correctness", "helpfulness", "harmlessness", "concision", "tone")
"""The hidden attributes of a response, each a score in [0, 1]; the order of matrix columns."""

DEFAULT_TARGET_WEIGHTS: dict[str, float] = {
    "correctness": 0.35,
    "helpfulness": 0.25,
    "harmlessness": 0.2,
    "concision": 0.1,
    "tone": 0.1,
}
"""The buyer's default target weights: they sum to 1 and weigh correctness most."""

SPLITS: tuple[str, ...] = ("train", "test")
TEST_FRACTION = 0.2
"""Default share of prompts held out for testing."""


def weight_vector(weights: Mapping[str, float] | Sequence[float] | np.ndarray) -> np.ndarray:
    """Target weights as a vector in the order of :data:`ATTRIBUTES`.

    Parameters
    ----------
    weights : mapping attribute -> float, or array of shape (5,)
        A mapping may leave attributes out (weight 0) but may not name unknown ones.

    Returns
    -------
    ndarray of float, shape (5,)
    """
    if isinstance(weights, Mapping):
        unknown = sorted(set(weights) - set(ATTRIBUTES))
        if unknown:
            raise ValueError(
                f"weights: unknown attribute(s) {unknown}; use names from {ATTRIBUTES}"
            )
        vector = np.array([float(weights.get(name, 0.0)) for name in ATTRIBUTES])
    else:
        vector = np.asarray(weights, dtype=float)
        if vector.shape != (len(ATTRIBUTES),):
            raise ValueError(
                f"weights: expected {len(ATTRIBUTES)} weights in the order {ATTRIBUTES}, "
                f"got shape {vector.shape}"
            )
    if not np.all(np.isfinite(vector)):
        raise ValueError("weights: every weight must be finite (no NaN or inf)")
    if not np.any(vector != 0):
        raise ValueError("weights: at least one weight must be non-zero")
    return vector


def assign_test_prompts(
    topics: np.ndarray, test_fraction: float, rng: np.random.Generator
) -> np.ndarray:
    """Choose held-out prompts: within each topic, a seeded random ``round(test_fraction * n)``.

    Stratifying by topic keeps every topic in both splits when it has enough prompts.

    Parameters
    ----------
    topics : array of str, shape (p,)
        The topic of each prompt.
    test_fraction : float in [0, 1]
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of bool, shape (p,)
        True for the prompts in the test split.
    """
    if not 0.0 <= test_fraction <= 1.0:
        raise ValueError(f"test_fraction: expected a share in [0, 1], got {test_fraction}")
    topics = np.asarray(topics, dtype=object)
    is_test = np.zeros(topics.shape[0], dtype=bool)
    for topic in sorted(set(topics)):
        members = np.flatnonzero(topics == topic)
        n_test = round(test_fraction * members.size)
        is_test[rng.permutation(members)[:n_test]] = True
    return is_test


class Corpus:
    """Responses with attribute scores and the comparison pairs built on them.

    Parameters
    ----------
    responses : DataFrame
        Columns ``response_id, prompt_id, topic, prompt, text`` and one float column per
        attribute in :data:`ATTRIBUTES` with scores in [0, 1], or all NaN when the corpus
        has no scores. ``response_id`` must equal the row position (0, 1, ...).
    pairs : DataFrame
        Columns ``pair_id, prompt_id, prompt, left, right, split``: ``left`` and ``right``
        are response ids answering prompt ``prompt_id`` and ``split`` is ``"train"`` or
        ``"test"``. Further columns (such as a recorded ``chosen`` id) are kept.
    """

    def __init__(self, responses: pd.DataFrame, pairs: pd.DataFrame) -> None:
        _require_columns("responses", responses, (*RESPONSE_COLUMNS, *ATTRIBUTES))
        _require_columns("pairs", pairs, (*COMPARISON_COLUMNS, "split"))
        n = len(responses)
        if not np.array_equal(responses["response_id"].to_numpy(), np.arange(n)):
            raise ValueError("responses: response_id must equal the row position 0, 1, ..., n-1")
        attributes = responses[list(ATTRIBUTES)].to_numpy(dtype=float)
        missing = np.isnan(attributes)
        if missing.any() and not missing.all():
            raise ValueError("responses: attribute scores must be given for all responses or none")
        if not missing.any() and (attributes.min() < 0 or attributes.max() > 1):
            raise ValueError("responses: attribute scores must lie in [0, 1]")
        left = pairs["left"].to_numpy()
        right = pairs["right"].to_numpy()
        if n == 0 or np.any((left < 0) | (left >= n) | (right < 0) | (right >= n)):
            raise ValueError("pairs: left and right must be response ids of this corpus")
        prompt_of = responses["prompt_id"].to_numpy()
        pair_prompt = pairs["prompt_id"].to_numpy()
        if np.any(prompt_of[left] != pair_prompt) or np.any(prompt_of[right] != pair_prompt):
            raise ValueError("pairs: left and right must both answer the pair's prompt_id")
        if np.any(left == right):
            raise ValueError("pairs: left and right must be different responses")
        unknown_splits = set(pairs["split"]) - set(SPLITS)
        if unknown_splits:
            raise ValueError(f"pairs: split must be one of {SPLITS}, got {sorted(unknown_splits)}")
        self._responses = responses.reset_index(drop=True)
        self._pairs = pairs.reset_index(drop=True)
        self._attributes = attributes
        self._texts = responses["text"].to_numpy(dtype=object)
        self._prompts = responses["prompt"].to_numpy(dtype=object)
        self._prompt_ids = responses["prompt_id"].to_numpy()

    @property
    def responses(self) -> pd.DataFrame:
        """A copy of the responses table."""
        return self._responses.copy()

    @property
    def n_responses(self) -> int:
        """Number of responses; their ids are ``0 .. n_responses - 1``."""
        return len(self._texts)

    @property
    def has_attributes(self) -> bool:
        """Whether responses carry attribute scores (needed by judges and gold labels)."""
        return not np.isnan(self._attributes).any()

    def pairs(self, split: str) -> pd.DataFrame:
        """The comparison pairs of one split, ``pair_id, prompt_id, prompt, left, right``.

        No prompt has pairs in both splits. Corpora loaded from preference files add the
        column ``chosen``: the response id the file recorded as preferred.
        """
        if split not in SPLITS:
            raise ValueError(f"split: expected one of {SPLITS}, got {split!r}")
        chosen = self._pairs[self._pairs["split"] == split]
        return chosen.drop(columns="split").reset_index(drop=True)

    def texts(self, ids) -> list[str]:
        """The texts of responses ``ids``, in order."""
        return self._texts[self._positions(ids)].tolist()

    def prompts(self, ids) -> list[str]:
        """The prompt each of responses ``ids`` answers, in order."""
        return self._prompts[self._positions(ids)].tolist()

    def prompt_ids(self, ids) -> np.ndarray:
        """The prompt id of each of responses ``ids``."""
        return self._prompt_ids[self._positions(ids)]

    def attribute_matrix(self, ids) -> np.ndarray:
        """Attribute scores of responses ``ids``: shape (m, 5), columns as in ATTRIBUTES."""
        positions = self._positions(ids)
        if not self.has_attributes:
            raise ValueError(
                "attributes: this corpus has no attribute scores; load a file with "
                "chosen_<attribute> and rejected_<attribute> columns to get them"
            )
        return self._attributes[positions].copy()

    def utility(self, ids, weights) -> np.ndarray:
        """Utility ``u(r) = sum_k w_k a_k(r)`` of responses ``ids`` under ``weights``."""
        return self.attribute_matrix(ids) @ weight_vector(weights)

    def gold_left_wins(self, pairs: pd.DataFrame, weights) -> np.ndarray:
        """Gold label per pair: True where ``left`` has the higher utility under ``weights``.

        An exact tie goes to the lower response id, so the label does not depend on which
        response is shown on the left. Without attribute scores, gold is the recorded
        choice: True where ``left`` is the pair's ``chosen`` response (the column that
        preference files add to :meth:`pairs`), and ``weights`` is not used.
        """
        _require_columns("pairs", pairs, ("left", "right"))
        left = pairs["left"].to_numpy()
        right = pairs["right"].to_numpy()
        if not self.has_attributes:
            if "chosen" not in pairs.columns:
                raise ValueError(
                    "pairs: this corpus has no attribute scores, so gold is the recorded "
                    "choice; give pairs with their chosen column (from Corpus.pairs)"
                )
            return pairs["chosen"].to_numpy() == left
        u_left = self.utility(left, weights)
        u_right = self.utility(right, weights)
        return (u_left > u_right) | ((u_left == u_right) & (left < right))

    def _positions(self, ids) -> np.ndarray:
        array = np.asarray(ids)
        if array.ndim != 1 or not (array.size == 0 or np.issubdtype(array.dtype, np.integer)):
            raise ValueError("ids: expected a 1-D sequence of integer response ids")
        bad = array[(array < 0) | (array >= len(self._texts))]
        if bad.size:
            raise ValueError(f"ids: unknown response id(s) {bad[:5].tolist()}")
        return array.astype(np.int64)


def _require_columns(name: str, frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing column(s) {missing}; expected {list(columns)}")
