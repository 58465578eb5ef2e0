"""Data sets of ``bench_reward_model.py``: the labels a market buys, long multi-turn texts,
ranked and spread gold comparisons, and a user's own pairs file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.corpus import DEFAULT_TARGET_WEIGHTS, TRL_COLUMNS, gold_pairs, to_trl
from sim.crowd_labels import crowd_labels

LONG_TOKENS = (150, 250)
"""Tokens per (prompt, response) of the long-text set."""

# ---------------------------------------------------------------- data sets


def gold_trl_pairs(corpus, pairs: pd.DataFrame) -> pd.DataFrame:
    return gold_pairs(corpus, pairs, DEFAULT_TARGET_WEIGHTS)


def purchased_labels(corpus, n: int, per_item: int, rng: np.random.Generator) -> pd.DataFrame:
    """``ceil(n / per_item)`` random train pairs, each labelled by ``per_item`` distinct
    annotators of the default population (``sim.crowd_labels``), exported one row per label."""
    pairs = corpus.pairs("train")
    items = pairs.iloc[rng.choice(len(pairs), size=-(-n // per_item), replace=False)]
    return to_trl(crowd_labels(corpus, items, per_item, rng), corpus)[list(TRL_COLUMNS)]


def ranked_pairs(corpus, n: int, per_prompt: int, rng: np.random.Generator) -> pd.DataFrame:
    """``per_prompt`` random comparisons on each of ``n / per_prompt`` random train prompts."""
    pairs = corpus.pairs("train")
    prompts = rng.choice(pairs["prompt_id"].unique(), size=n // per_prompt, replace=False)
    chosen = [
        rng.choice(np.flatnonzero(pairs["prompt_id"].to_numpy() == p), per_prompt, replace=False)
        for p in prompts
    ]
    rows = rng.permutation(np.concatenate(chosen))
    return gold_trl_pairs(corpus, pairs.iloc[rows])


def spread_pairs(corpus, split: str, n: int, rng: np.random.Generator) -> pd.DataFrame:
    pairs = corpus.pairs(split)
    return gold_trl_pairs(corpus, pairs.iloc[rng.choice(len(pairs), n, replace=False)])


def multi_turn_prompts(corpus, split: str, tokenizer, rng: np.random.Generator) -> dict:
    """For each prompt of ``split``, a multi-turn exchange that ends in it: earlier turns are
    other prompts of the split with one of their responses, added in random order while each
    (prompt, response) of the prompt stays within ``LONG_TOKENS`` (BERT pair encoding), until
    the shortest reaches the lower end."""
    responses = corpus.responses
    prompts = corpus.pairs(split)["prompt"].unique()
    pool = responses[responses["prompt"].isin(prompts)].reset_index(drop=True)

    def tokens(texts) -> np.ndarray:
        encoded = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return np.array([len(ids) for ids in encoded])

    response_tokens = tokens(pool["text"])
    turns = ("User: " + pool["prompt"] + "\nAssistant: " + pool["text"] + "\n").tolist()
    turn_tokens = tokens(turns)
    special = 3  # [CLS] prompt [SEP] response [SEP]
    exchanges = {}
    for prompt in prompts:
        own = (pool["prompt"] == prompt).to_numpy()
        final = f"User: {prompt}\nAssistant: "
        size = int(tokens([final])[0])
        low = LONG_TOKENS[0] - special - int(response_tokens[own].min())
        high = LONG_TOKENS[1] - special - int(response_tokens[own].max())
        history = []
        for j in rng.permutation(len(turns)):
            if size >= low:
                break
            if not own[j] and size + turn_tokens[j] <= high:
                history.append(turns[j])
                size += int(turn_tokens[j])
        exchanges[prompt] = "".join(history) + final
    return exchanges


def long_text(frame: pd.DataFrame, exchanges: dict) -> pd.DataFrame:
    return frame.assign(prompt=frame["prompt"].map(exchanges))


def file_sets(path: Path, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Pairs in TRL's ``prompt, chosen, rejected`` columns from a JSONL, CSV or Parquet file,
    split by prompt: a random fifth of the prompts is held out."""
    readers = {
        ".jsonl": lambda p: pd.read_json(p, lines=True),
        ".json": pd.read_json,
        ".csv": pd.read_csv,
        ".parquet": pd.read_parquet,
    }
    if path.suffix.lower() not in readers:
        raise SystemExit(f"--data: {path} must end in one of {sorted(readers)}")
    frame = readers[path.suffix.lower()](path)
    missing = [c for c in TRL_COLUMNS if c not in frame.columns]
    if missing:
        raise SystemExit(
            f"--data: {path} lacks the columns {missing} (TRL's prompt, chosen, rejected)"
        )
    frame = frame[list(TRL_COLUMNS)].dropna()
    if not all(frame[c].map(type).eq(str).all() for c in TRL_COLUMNS):
        raise SystemExit(f"--data: {path}: every prompt, chosen and rejected must be a string")
    prompts = frame["prompt"].unique()
    held = set(rng.choice(prompts, size=max(1, len(prompts) // 5), replace=False))
    test = frame["prompt"].isin(held)
    if test.all() or not test.any():
        raise SystemExit(f"--data: {path} needs at least two distinct prompts")
    return frame[~test].reset_index(drop=True), frame[test].reset_index(drop=True)


def text_tokens(tokenizer, frame: pd.DataFrame, max_length: int) -> np.ndarray:
    """Tokens of each distinct (prompt, response) of ``frame`` as prefmarket encodes it."""
    keys = set(zip(frame["prompt"], frame["chosen"], strict=True))
    keys |= set(zip(frame["prompt"], frame["rejected"], strict=True))
    prompts, responses = zip(*sorted(keys), strict=True)
    encoded = tokenizer(
        list(prompts), list(responses), truncation="longest_first", max_length=max_length
    )
    return np.array([len(ids) for ids in encoded["input_ids"]])
