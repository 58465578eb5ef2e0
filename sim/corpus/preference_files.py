"""Users' own preference data in TRL's ``prompt, chosen, rejected`` format: read and validate
it, turn it into a :class:`~sim.corpus.Corpus` the market can run on, and export a corpus's
gold-labelled pairs in the same format.

File contract
-------------
One comparison per record, with fields

- ``prompt``, ``chosen``, ``rejected``: non-empty strings, ``chosen`` different from
  ``rejected`` (TRL's standard, non-conversational preference format);
- ``topic`` (optional): a non-empty string; every record of a prompt must give the same
  topic; records without the column get ``"user"``;
- attribute scores (optional, UltraFeedback style): for every attribute ``a`` in
  :data:`sim.corpus.ATTRIBUTES`, the numbers ``chosen_a`` and ``rejected_a`` in [0, 1] — all
  ten or none. UltraFeedback's 1-5 ratings map to [0, 1] as ``(rating - 1) / 4``. A response
  (the same prompt and text) that occurs in several records must get the same scores in each.
  An absent, null or blank score is missing; NaN and infinities are refused as not finite.
  Judges and gold labels need these scores; without them the corpus still carries the
  recorded preference in the ``chosen`` column of its pairs.

Each record is one label. A record that repeats an earlier one (the same prompt, chosen and
rejected) and a comparison recorded both ways (the same prompt and pair, chosen and rejected
swapped) load as given, with a :class:`DuplicateComparisonWarning` that counts them: several
annotators' labels look like that, but so does a file concatenated twice.

Other fields are ignored. The format follows the extension: ``.jsonl`` (one JSON object per
line; blank lines are skipped; places are given as ``line N`` of the file), ``.csv`` (a header
row, then one record per row) and ``.parquet``; for these two, places are ``row N``, counting
records from 1. A malformed or unreadable file raises :class:`DataFileError` naming the file,
the line or row and the field, and nothing is loaded.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.corpus.corpus import (
    ATTRIBUTES,
    DEFAULT_TARGET_WEIGHTS,
    TEST_FRACTION,
    Corpus,
    assign_test_prompts,
)
from sim.corpus.pairs import oriented_pairs
from sim.corpus.preference_records import (
    FORMATS,
    SCORE_FIELDS,
    DataFileError,
    read_records,
    validated_frame,
)
from sim.corpus.records import COMPARISON_COLUMNS


def load_preferences(
    path: str | Path, *, seed: int = 0, test_fraction: float = TEST_FRACTION
) -> Corpus:
    """Load a preference file into a :class:`~sim.corpus.Corpus`.

    Parameters
    ----------
    path : str or Path
        A ``.jsonl``, ``.csv`` or ``.parquet`` file following the module's contract.
    seed : int
        Seeds the order in which each pair is shown and the train/test split.
    test_fraction : float
        Share of each topic's prompts held out for the test split.

    Raises
    ------
    DataFileError
        The file is missing or unreadable, has an unknown extension, or breaks the contract.

    Warns
    -----
    DuplicateComparisonWarning
        When records repeat or contradict one another (they load as given).
    """
    source = str(path)
    records, locations = read_records(Path(path), source)
    frame = validated_frame(records, locations, source)
    return _build_corpus(frame, seed, test_fraction)


def corpus_from_comparisons(
    frame: pd.DataFrame, *, seed: int = 0, test_fraction: float = TEST_FRACTION
) -> Corpus:
    """Build a :class:`~sim.corpus.Corpus` from a DataFrame in the file contract's columns.

    Errors and warnings name ``"DataFrame"`` and the row, counting from 1.
    """
    records = frame.to_dict(orient="records")
    locations = [f"row {k}" for k in range(1, len(records) + 1)]
    return _build_corpus(validated_frame(records, locations, "DataFrame"), seed, test_fraction)


def export_preferences(
    corpus: Corpus, split: str, path: str | Path, weights=DEFAULT_TARGET_WEIGHTS
) -> pd.DataFrame:
    """Write a split's pairs with gold labels in TRL's format, scores included.

    ``chosen`` is the gold winner under ``weights`` (see ``Corpus.gold_left_wins``); the
    format follows the extension of ``path``. Returns the frame written.
    """
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise DataFileError(str(path), "path", f"unknown extension {path.suffix!r}; use {FORMATS}")
    pairs = corpus.pairs(split)
    left_wins = corpus.gold_left_wins(pairs, weights)
    chosen = np.where(left_wins, pairs["left"], pairs["right"])
    rejected = np.where(left_wins, pairs["right"], pairs["left"])
    frame = oriented_pairs(corpus, pairs["left"], pairs["right"], left_wins)
    frame["topic"] = corpus.responses["topic"].to_numpy()[chosen]
    for side, ids in (("chosen", chosen), ("rejected", rejected)):
        scores = corpus.attribute_matrix(ids)
        for j, attribute in enumerate(ATTRIBUTES):
            frame[f"{side}_{attribute}"] = scores[:, j]
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        lines = (json.dumps(record) for record in frame.to_dict(orient="records"))
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    elif suffix == ".csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return frame


def _build_corpus(frame: pd.DataFrame, seed: int, test_fraction: float) -> Corpus:
    """Responses are the distinct (prompt, text) pairs in order of first appearance (a
    record's chosen text before its rejected one); each record is one pair, shown in a seeded
    random order, that keeps its recorded winner as ``chosen``."""
    order_rng, split_rng = np.random.default_rng(seed).spawn(2)
    n = len(frame)
    prompts = np.concatenate([frame["prompt"].to_numpy(), frame["prompt"].to_numpy()])
    texts = np.concatenate([frame["chosen"].to_numpy(), frame["rejected"].to_numpy()])
    topics = np.concatenate([frame["topic"].to_numpy(), frame["topic"].to_numpy()])
    scores = _side_scores(frame)
    ids, first_rows, prompt_ids = _number_responses(prompts, texts)
    responses = pd.DataFrame(
        {
            "response_id": np.arange(first_rows.size),
            "prompt_id": [prompt_ids[p] for p in prompts[first_rows]],
            "topic": topics[first_rows],
            "prompt": prompts[first_rows],
            "text": texts[first_rows],
        }
    )
    for j, attribute in enumerate(ATTRIBUTES):
        responses[attribute] = scores[first_rows, j]
    chosen, rejected = ids[:n], ids[n:]
    flip = order_rng.random(n) < 0.5
    prompt_of_pair = responses["prompt_id"].to_numpy()[chosen]
    prompt_topics = responses.drop_duplicates("prompt_id")["topic"].to_numpy()
    is_test = assign_test_prompts(prompt_topics, test_fraction, split_rng)
    pairs = pd.DataFrame(
        {
            "pair_id": np.arange(n),
            "prompt_id": prompt_of_pair,
            "prompt": frame["prompt"].to_numpy(),
            "left": np.where(flip, rejected, chosen),
            "right": np.where(flip, chosen, rejected),
            "chosen": chosen,
            "split": np.where(is_test[prompt_of_pair], "test", "train"),
        }
    )
    return Corpus(responses, pairs[[*COMPARISON_COLUMNS, "chosen", "split"]])


def _side_scores(frame: pd.DataFrame) -> np.ndarray:
    """Attribute scores of every record's chosen response, then of every rejected one, one
    row each (NaN when the records carry no scores)."""
    if set(SCORE_FIELDS) <= set(frame.columns):
        return np.vstack(
            [
                frame[[f"{side}_{a}" for a in ATTRIBUTES]].to_numpy(float)
                for side in ("chosen", "rejected")
            ]
        )
    return np.full((2 * len(frame), len(ATTRIBUTES)), np.nan)


def _number_responses(
    prompts: np.ndarray, texts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Number the distinct (prompt, text) responses and the prompts in order of first
    appearance, record by record, chosen before rejected (``prompts`` and ``texts``: the
    ``n`` chosen responses, then the ``n`` rejected ones).

    Returns each response's id, the row where each id first appears, and each prompt's id.
    """
    n = len(prompts) // 2
    # Interleave so that record k's chosen (2k) comes before its rejected (2k + 1).
    order = np.arange(2 * n).reshape(2, n).T.ravel()
    prompt_ids: dict[str, int] = {}
    response_ids: dict[tuple[str, str], int] = {}
    first_rows = []
    ids = np.empty(2 * n, dtype=np.int64)
    for k in order:
        key = (prompts[k], texts[k])
        if key not in response_ids:
            prompt_ids.setdefault(prompts[k], len(prompt_ids))
            response_ids[key] = len(first_rows)
            first_rows.append(k)
        ids[k] = response_ids[key]
    return ids, np.array(first_rows, dtype=np.int64), prompt_ids
