"""What ``RewardModel.fit``, ``score`` and ``accuracy`` take, checked and turned into text keys.

Pairs are a DataFrame in TRL's format (``prompt, chosen, rejected``, texts); loss weights are
finite, non-negative and not all zero; a :data:`~sim.reward.encoding.TextKey` is one
(prompt, response). A bad input raises a ``ValueError`` whose message starts with its name.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import torch

from sim.corpus.records import TRL_COLUMNS
from sim.reward.encoding import TextKey


def pair_keys(pairs: pd.DataFrame) -> tuple[list[TextKey], list[TextKey]]:
    """The (prompt, chosen) and (prompt, rejected) keys of ``pairs``, in row order."""
    if not isinstance(pairs, pd.DataFrame):
        raise ValueError("pairs: give a pandas DataFrame with columns prompt, chosen, rejected")
    missing = [column for column in TRL_COLUMNS if column not in pairs.columns]
    if missing:
        raise ValueError(
            f"pairs: columns {missing} are missing; give prompt, chosen, rejected "
            "(sim.corpus.to_trl builds them from labels)"
        )
    if len(pairs) == 0:
        raise ValueError("pairs: the DataFrame is empty; give at least one pair")
    prompts, chosen, rejected = (
        _string_list(f"pairs.{column}", pairs[column]) for column in TRL_COLUMNS
    )
    return list(zip(prompts, chosen, strict=True)), list(zip(prompts, rejected, strict=True))


def text_keys(prompts: Sequence[str] | str, texts: Sequence[str]) -> list[TextKey]:
    """The keys of ``texts`` as answers to ``prompts`` (one prompt, or one per text)."""
    texts = _string_list("texts", texts)
    if isinstance(prompts, str):
        prompts = [prompts] * len(texts)
    prompts = _string_list("prompts", prompts)
    if len(prompts) != len(texts):
        raise ValueError(
            f"prompts: got {len(prompts)} prompts for {len(texts)} texts; "
            "give one prompt or one per text"
        )
    return list(zip(prompts, texts, strict=True))


def pair_weights(weights: Sequence[float] | np.ndarray | None, n_pairs: int) -> torch.Tensor:
    """Per-pair loss weights as a float32 tensor; None gives every pair weight 1."""
    if weights is None:
        return torch.ones(n_pairs)
    values = np.asarray(weights, dtype=np.float64)
    if values.shape != (n_pairs,):
        raise ValueError(f"weights: got shape {values.shape}; give one weight per pair ({n_pairs})")
    if not np.all(np.isfinite(values)) or np.any(values < 0) or values.sum() <= 0:
        raise ValueError("weights: give finite non-negative weights with a positive sum")
    return torch.from_numpy(values.astype(np.float32))


def _string_list(name: str, values: Sequence[str]) -> list[str]:
    values = list(values)
    if not all(isinstance(value, str) for value in values):
        raise ValueError(f"{name}: every entry must be a string; convert or drop the others")
    return values
