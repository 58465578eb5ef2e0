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
from sim.corpus.phrases import (
    CONFIDENT_PHRASES,
    FILLER,
    HEDGED_PHRASES,
    NON_ANSWERS,
    POLITE_CLOSERS,
    POLITE_OPENERS,
    PROMPT_FRAMES,
    RUDE_CLOSERS,
    RUDE_OPENERS,
    UNSAFE_ADVICE,
)
from sim.corpus.records import COMPARISON_COLUMNS, RESPONSE_COLUMNS

LEVELS: dict[str, dict[str, float]] = {
    "correctness": {"wrong": 0.1, "unstated": 0.5, "correct": 0.9},
    "helpfulness": {"non_answer": 0.1, "bare": 0.55, "explained": 0.9},
    "harmlessness": {"unsafe": 0.05, "safe": 0.95},
    "concision": {"padded": 0.15, "concise": 0.9},
    "tone": {"rude": 0.1, "neutral": 0.6, "polite": 0.9},
}
"""Score of each attribute level in the built-in corpus, before jitter of at most ``JITTER``."""

JITTER = 0.04
RESPONSES_PER_PROMPT = 6
FACT_STRIDE = 4
"""Every fourth fact of each topic's table is asked (72 of 274). The number of facts sets how
many labels it takes to learn them: a label teaches about the facts of its pair, so with F
facts n labels show each about n / F times. ``bench/bench_sensitivity.py`` measured the market's
reward model on gold labels (whole test split, chunks of 50 to 3,200 labels): with all 274
facts asked 3 ways the curve rose only 7.9 points from 100 to 3,200 labels (seed 0) and reached
0.839 on every train pair; with 139 facts asked 6 ways it rose 13.4 +- 0.7 points (3 seeds),
flat from 100 to 800 labels because the style attributes are learned from the first hundred
and the facts mostly after 800; with 92 facts asked 9 ways, +16.9 +- 0.6 with 100 -> 200 adding
1.2 points; with 72 facts asked 12 ways (every prompt count about the same), +20.3 +- 1.0 and
each doubling from 100 to 3,200 at least 1.7 points: the corpus adopted."""
CONFIDENCE_LEVELS: tuple[str, ...] = ("confident", "neutral", "hedged")
"""Wording of a stated answer, drawn uniformly and independently of every attribute."""

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
_MOST_FILLER = 3


def builtin_corpus(seed: int = 0) -> Corpus:
    """The embedded comparison corpus.

    72 facts over 9 topics (geography, chemistry, arithmetic, units, literature, history,
    biology, languages, programming; every ``FACT_STRIDE``-th fact of the tables in
    :mod:`sim.corpus.facts`), each asked in 12 ways (3 phrasings x 4 :data:`PROMPT_FRAMES`):
    864 prompts, so the same fact recurs across prompts and a reward model can learn from train
    labels which answer is right and use it on unseen test prompts. Each prompt gets
    ``RESPONSES_PER_PROMPT`` = 6 responses of distinct kinds, drawn without replacement from the
    60 kinds = 5 contents x 2 harmlessness x 2 concision x 3 tone levels, where a content is
    (correct | wrong fact) x (explained | bare) or a non-answer. Every level has many surface
    forms in varied positions and lengths (:mod:`sim.corpus.phrases`, the topic's several
    statement and explanation templates); a stated answer is also worded confidently, neutrally
    or with a hedge (:data:`CONFIDENCE_LEVELS`, independent of the attributes). A response's
    scores are its levels' values in :data:`LEVELS` plus uniform jitter in ``[-JITTER,
    JITTER]``, so exact utility ties have probability zero. All pairs of responses to a prompt
    are formed (15 per prompt, 12,960 in all), each shown in a random order; ``TEST_FRACTION``
    of the prompts of each topic form the test split. Train and test share no prompt; a test
    prompt's fact is almost always asked in a train prompt too (unless all of its 12 asks were
    drawn for the test split).

    The seed changes which kinds each prompt gets, phrase choices and positions, jitter,
    pair order and the split; the facts and prompts are the same for every seed. Same
    seed, same frames.

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
        for subject, correct, wrong in topic.facts[::FACT_STRIDE]:
            for question, frame in itertools.product(topic.questions, PROMPT_FRAMES):
                prompt_id = len(prompt_topics)
                prompt_topics.append(topic.name)
                prompt = frame.format(question=_sentence(question.format(subject=subject)))
                kinds = kind_rng.choice(len(_KINDS), size=RESPONSES_PER_PROMPT, replace=False)
                for kind in kinds:
                    (stated, helpful), style = _KINDS[kind]
                    answer = {"correct": correct, "wrong": wrong, "unstated": None}[stated]
                    text = _compose(
                        topic, subject, answer, helpful == "explained", style, phrase_rng
                    )
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
    """One response, built around its body (the statement and explanation, or a non-answer).

    Each level's phrases are picked at random and placed at random: the confident or hedged
    wording before or after the statement, one to ``_MOST_FILLER`` filler sentences before
    or after the body, unsafe advice at either end of the body, and a polite or rude
    opener, closer or both.
    """
    harmlessness, concision, tone = style

    def pick(phrases):
        return phrases[rng.integers(len(phrases))]

    def either_end(parts: list[str], extra: list[str]) -> list[str]:
        return extra + parts if rng.random() < 0.5 else parts + extra

    if answer is None:
        body = [pick(NON_ANSWERS).format(about=topic.about.format(subject=subject))]
    else:
        body = [pick(topic.statements).format(subject=subject, answer=answer)]
        confidence = CONFIDENCE_LEVELS[rng.integers(len(CONFIDENCE_LEVELS))]
        if confidence != "neutral":
            wording = CONFIDENT_PHRASES if confidence == "confident" else HEDGED_PHRASES
            body = either_end(body, [pick(wording)])
        if explained:
            body.append(pick(topic.explanations).format(subject=subject, answer=answer))
    if harmlessness == "unsafe":
        body = either_end(body, [pick(UNSAFE_ADVICE)])
    if concision == "padded":
        count = rng.integers(1, _MOST_FILLER + 1)
        body = either_end(body, [FILLER[i] for i in rng.choice(len(FILLER), count, replace=False)])
    if tone != "neutral":
        polite = tone == "polite"
        opener = [pick(POLITE_OPENERS if polite else RUDE_OPENERS)]
        closer = [pick(POLITE_CLOSERS if polite else RUDE_CLOSERS)]
        placement = rng.integers(3)
        body = (opener if placement != 1 else []) + body + (closer if placement != 0 else [])
    return " ".join(_sentence(part) for part in body)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
