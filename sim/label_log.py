"""``LabelLog``: every label a market bought, appended per round in amortised constant time.

Rows are kept in NumPy columns that double in size when full, so a round appends only
its own labels and reading the log builds a DataFrame over views of those columns, not
a concatenation of every earlier round. Per-prompt statistics that depend on all labels
of a prompt (the cycle rate) are recomputed only for the prompts a round touched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.intransitivity import cycle_rate_by_prompt
from analysis.records import LABEL_COLUMNS, PURCHASED_LABEL_COLUMNS, PURCHASED_LABELS


class LabelLog:
    """Purchased labels, with the pooled cycle rate of the regular (non-golden) ones.

    Parameters
    ----------
    prompt_of_response : ndarray of int
        Prompt id of every response id (index = response id).
    """

    def __init__(self, prompt_of_response: np.ndarray) -> None:
        self._prompt_of = np.asarray(prompt_of_response)
        self._columns = {
            name: np.empty(64, dtype) for name, dtype in PURCHASED_LABELS.dtypes.items()
        }
        self._size = 0
        self._rows_of_prompt: dict[int, list[np.ndarray]] = {}
        self._cycle_rates: dict[int, float] = {}

    def __len__(self) -> int:
        return self._size

    def append(self, labels: pd.DataFrame) -> None:
        """Add one round's labels (columns :data:`analysis.records.PURCHASED_LABEL_COLUMNS`)."""
        start, added = self._size, len(labels)
        if start + added > self._columns["round"].size:
            capacity = max(2 * self._columns["round"].size, start + added)
            for name, column in self._columns.items():
                grown = np.empty(capacity, column.dtype)
                grown[:start] = column[:start]
                self._columns[name] = grown
        for name in PURCHASED_LABEL_COLUMNS:
            self._columns[name][start : start + added] = labels[name].to_numpy()
        self._size += added
        regular = np.flatnonzero(~labels["golden"].to_numpy()) + start
        prompts = self._prompt_of[self._columns["left"][regular]]
        touched = [int(prompt) for prompt in np.unique(prompts)]
        for prompt in touched:
            self._rows_of_prompt.setdefault(prompt, []).append(regular[prompts == prompt])
        if touched:
            self._update_cycle_rates(touched)

    def frame(self, golden: bool | None = None) -> pd.DataFrame:
        """The labels as a DataFrame; ``golden`` True/False keeps only golden/regular ones."""
        frame = pd.DataFrame(
            {name: column[: self._size] for name, column in self._columns.items()}, copy=False
        )
        if golden is None:
            return frame
        return frame[frame["golden"] == golden]

    def cycle_rate(self) -> float:
        """Mean over prompts of the share of fully labelled response triples that are cyclic
        (``analysis.intransitivity.cycle_rate_by_prompt``), over every regular label so far."""
        rates = [rate for rate in self._cycle_rates.values() if not np.isnan(rate)]
        return float(np.mean(rates)) if rates else float("nan")

    def _update_cycle_rates(self, prompts: list[int]) -> None:
        """Recompute the cycle rate of ``prompts`` from all their labels, in one pass (a
        prompt's rate depends on its own labels only)."""
        rows = np.concatenate([part for p in prompts for part in self._rows_of_prompt[p]])
        crowd = pd.DataFrame({name: self._columns[name][rows] for name in LABEL_COLUMNS})
        items = np.union1d(crowd["left"], crowd["right"])
        rates = cycle_rate_by_prompt(crowd, pd.Series(self._prompt_of[items], index=items))
        for prompt in prompts:
            self._cycle_rates[prompt] = float(rates.loc[prompt])
