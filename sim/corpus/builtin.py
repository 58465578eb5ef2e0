"""The built-in comparison corpus, generated from fact tables and phrases (no download).

See :func:`builtin_corpus` for what it holds; the phrases live in :mod:`sim.corpus.phrases`.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np
import pandas as pd

from sim.corpus.corpus import ATTRIBUTES, TEST_FRACTION, Corpus, assign_test_prompts
from sim.corpus.facts import TOPICS
from sim.corpus.pairs import COMPARISON_COLUMNS, RESPONSE_COLUMNS
from sim.corpus.phrases import (
    FILLER,
    NON_ANSWERS,
    POLITE_CLOSERS,
    POLITE_OPENERS,
    RUDE_CLOSERS,
    RUDE_OPENERS,
    UNSAFE_ADVICE,
)

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
    pairs = pd.DataFrame(pair_rows, columns=[*COMPARISON_COLUMNS, "split"])
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
