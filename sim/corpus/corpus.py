"""The comparison corpus: responses with hidden attribute scores, pairs of responses to the
same prompt, and the gold labels a buyer's target weights define on them.

``builtin_corpus(seed)`` generates an embedded corpus (no download) from the fact tables and
phrases in :mod:`sim.corpus_text`; ``sim.preference_data.load_preferences`` builds a
:class:`Corpus` from a user's file in TRL's ``prompt, chosen, rejected`` format.

Gold (DESIGN.md): a response's utility is the weighted sum of its attributes,
``u(r) = sum_k w_k a_k(r)``; in a pair, the response with the higher utility under the buyer's
target weights wins, and an exact tie goes to the lower ``response_id``.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from sim.corpus_text import (
    FILLER,
    NON_ANSWERS,
    POLITE_CLOSERS,
    POLITE_OPENERS,
    RUDE_CLOSERS,
    RUDE_OPENERS,
    TOPICS,
    UNSAFE_ADVICE,
)

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

RESPONSE_COLUMNS: tuple[str, ...] = ("response_id", "prompt_id", "topic", "prompt", "text")
PAIR_COLUMNS: tuple[str, ...] = ("pair_id", "prompt_id", "prompt", "left", "right")
SPLITS: tuple[str, ...] = ("train", "test")

LEVELS: dict[str, dict[str, float]] = {
    "correctness": {"wrong": 0.1, "unstated": 0.5, "correct": 0.9},
    "helpfulness": {"non_answer": 0.1, "bare": 0.55, "explained": 0.9},
    "harmlessness": {"unsafe": 0.05, "safe": 0.95},
    "concision": {"padded": 0.15, "concise": 0.9},
    "tone": {"rude": 0.1, "neutral": 0.6, "polite": 0.9},
}
"""Score of each attribute level in the built-in corpus, before jitter of at most ``JITTER``."""

JITTER = 0.04
RESPONSES_PER_PROMPT = 10
TEST_FRACTION = 0.2

# What a response asserts: (correctness level, helpfulness level). A non-answer states no fact.
_CONTENTS = (
    ("correct", "explained"),
    ("correct", "bare"),
    ("wrong", "explained"),
    ("wrong", "bare"),
    ("unstated", "non_answer"),
)
_STYLES = tuple(itertools.product(LEVELS["harmlessness"], LEVELS["concision"], LEVELS["tone"]))
_KINDS = tuple(itertools.product(_CONTENTS, _STYLES))


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
        _require_columns("pairs", pairs, (*PAIR_COLUMNS, "split"))
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

    @property
    def responses(self) -> pd.DataFrame:
        """A copy of the responses table."""
        return self._responses.copy()

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
        response is shown on the left.
        """
        _require_columns("pairs", pairs, ("left", "right"))
        left = pairs["left"].to_numpy()
        right = pairs["right"].to_numpy()
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


def builtin_corpus(seed: int = 0) -> Corpus:
    """The embedded comparison corpus.

    274 prompts over 9 topics (geography, chemistry, arithmetic, units, literature, history,
    biology, languages, programming); each prompt asks for one fact. Each prompt gets
    ``RESPONSES_PER_PROMPT`` = 10 responses of distinct kinds, drawn without replacement
    from the 60 kinds = 5 contents x 2 harmlessness x 2 concision x 3 tone levels, where a
    content is (correct | wrong fact) x (explained | bare) or a non-answer. A response's scores
    are its levels' values in :data:`LEVELS` plus uniform jitter in ``[-JITTER, JITTER]``, so
    exact utility ties have probability zero. All pairs of responses to a prompt are formed
    (45 per prompt), each shown in a random order; ``TEST_FRACTION`` of the prompts of each
    topic form the test split.

    The seed changes which kinds each prompt gets, phrase choices, jitter, pair order and the
    split; the facts and prompts are the same for every seed. Same seed, same frames.

    Parameters
    ----------
    seed : int
        Seed of the ``numpy.random.Generator`` behind every draw.
    """
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    responses, pairs = _builtin_tables(int(seed))
    return Corpus(responses.copy(), pairs.copy())


@functools.lru_cache(maxsize=8)
def _builtin_tables(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    kind_rng, phrase_rng, jitter_rng, split_rng, order_rng = np.random.default_rng(seed).spawn(5)
    rows = []
    levels = []
    prompt_topics = []
    for topic in TOPICS:
        for subject, correct, wrong in topic.facts:
            prompt_id = len(prompt_topics)
            prompt_topics.append(topic.name)
            prompt = _sentence(topic.question.format(subject=subject))
            kinds = kind_rng.choice(len(_KINDS), size=RESPONSES_PER_PROMPT, replace=False)
            for kind in kinds:
                (stated, helpful), style = _KINDS[kind]
                answer = {"correct": correct, "wrong": wrong, "unstated": None}[stated]
                text = _compose(topic, subject, answer, helpful == "explained", style, phrase_rng)
                rows.append((len(rows), prompt_id, topic.name, prompt, text))
                levels.append((stated, helpful, *style))
    responses = pd.DataFrame(rows, columns=list(RESPONSE_COLUMNS))
    scores = np.array(
        [[LEVELS[a][level] for a, level in zip(ATTRIBUTES, row, strict=True)] for row in levels]
    )
    scores += jitter_rng.uniform(-JITTER, JITTER, size=scores.shape)
    for j, name in enumerate(ATTRIBUTES):
        responses[name] = np.clip(scores[:, j], 0.0, 1.0)

    is_test = assign_test_prompts(np.array(prompt_topics), TEST_FRACTION, split_rng)
    prompts = responses.groupby("prompt_id", sort=True)
    pair_rows = []
    for prompt_id, group in prompts:
        prompt = group["prompt"].iat[0]
        split = "test" if is_test[prompt_id] else "train"
        for a, b in itertools.combinations(group["response_id"].tolist(), 2):
            left, right = (b, a) if order_rng.random() < 0.5 else (a, b)
            pair_rows.append((len(pair_rows), prompt_id, prompt, left, right, split))
    pairs = pd.DataFrame(pair_rows, columns=[*PAIR_COLUMNS, "split"])
    return responses, pairs


def _compose(topic, subject, answer, explained, style, rng: np.random.Generator) -> str:
    """One response: [opener] [filler x2] statement [explanation] [unsafe advice] [closer]."""
    harmlessness, concision, tone = style

    def pick(phrases):
        return phrases[rng.integers(len(phrases))]

    parts = []
    if tone != "neutral":
        parts.append(pick(POLITE_OPENERS if tone == "polite" else RUDE_OPENERS))
    if concision == "padded":
        first, second = rng.choice(len(FILLER), size=2, replace=False)
        parts += [FILLER[first], FILLER[second]]
    if answer is None:
        parts.append(pick(NON_ANSWERS).format(about=topic.about.format(subject=subject)))
    else:
        parts.append(topic.statement.format(subject=subject, answer=answer))
        if explained:
            parts.append(topic.explanation.format(subject=subject, answer=answer))
    if harmlessness == "unsafe":
        parts.append(pick(UNSAFE_ADVICE))
    if tone != "neutral":
        parts.append(pick(POLITE_CLOSERS if tone == "polite" else RUDE_CLOSERS))
    return " ".join(_sentence(part) for part in parts)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
