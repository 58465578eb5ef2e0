"""Purchased labels as training pairs in TRL's ``prompt, chosen, rejected`` format.

Labels follow crowd-kit's long pairwise format (DESIGN.md): one row per purchased label with
columns ``worker, left, right, label``, where ``left`` and ``right`` are response ids of the
corpus and ``label`` equals the id the worker preferred. Every label becomes one training pair
(a pair labelled by three workers appears three times, oriented as each worker chose), which is
what training on all purchased labels means; aggregate first (``analysis.aggregation``) to
train on one consensus label per pair instead.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

LABEL_COLUMNS = ("worker", "left", "right", "label")
RESPONSE_COLUMNS = ("response_id", "prompt", "text")


def to_trl(labels: pd.DataFrame, responses: pd.DataFrame) -> pd.DataFrame:
    """Turn purchased labels into a ``prompt, chosen, rejected`` DataFrame of texts.

    Parameters
    ----------
    labels : DataFrame
        Columns ``worker, left, right, label`` with ``label`` in {left, right} (response ids).
    responses : DataFrame
        Columns ``response_id, prompt, text`` (``Corpus.responses`` has them).

    Returns
    -------
    DataFrame
        Columns ``prompt, chosen, rejected, worker``, one row per label, in label order.
    """
    _require_columns("labels", labels, LABEL_COLUMNS)
    _require_columns("responses", responses, RESPONSE_COLUMNS)
    left = labels["left"].to_numpy()
    right = labels["right"].to_numpy()
    label = labels["label"].to_numpy()
    bad = ~((label == left) | (label == right))
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"labels.label: row {row} names {label[row]!r}, which is neither its left nor its "
            "right response; each label must equal the preferred response's id"
        )
    table = responses.set_index("response_id")
    unknown = sorted(set(left) - set(table.index) | set(right) - set(table.index))
    if unknown:
        raise ValueError(
            f"labels.left/right: response ids {unknown[:5]} are not in responses; "
            "pass the responses of the corpus the labels came from"
        )
    rejected = np.where(label == left, right, left)
    prompts = table.loc[label, "prompt"].to_numpy()
    if not np.array_equal(prompts, table.loc[rejected, "prompt"].to_numpy()):
        raise ValueError("labels.left/right: both responses of a label must answer one prompt")
    return pd.DataFrame(
        {
            "prompt": prompts,
            "chosen": table.loc[label, "text"].to_numpy(),
            "rejected": table.loc[rejected, "text"].to_numpy(),
            "worker": labels["worker"].to_numpy(),
        }
    )


def _require_columns(name: str, frame: pd.DataFrame, columns: tuple[str, ...]) -> None:
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name}: columns {missing} are missing; give {', '.join(columns)}")
