"""Published evaluator profiles: AlpacaEval's evaluator leaderboard, one row per annotator
(humans, LLM judges, the ``longest`` rule), with the parameters of the calibrated judge that
reproduces it (``agents.calibrated_judge``).

The file ``agents/data/judge_profiles.csv`` states its source and licence in its header. Its
columns keep the table's four measures and price (``human_agreement``, ``bias``,
``variance`` in percent, ``prefer_longer`` a fraction, ``price_per_1000`` in US dollars per
1,000 labels) and add the calibration (``sensitivity``, ``lean``, ``persistent_error``) and
the calibrated judge's accuracy on the built-in corpus' gold (``gold_accuracy``), written by
``scripts/calibrate_judge_profiles.py``.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.evaluator_measures import MEASURES

PROFILES_FILE = Path(__file__).parent / "data" / "judge_profiles.csv"
HUMANS = "humans"
"""The profile of the table's human annotators: independent errors, bias 0 by definition."""
TABLE_MEASURES = MEASURES
"""The table's four measures, the profiles file's names for them."""
CALIBRATED = ("sensitivity", "lean", "persistent_error", "gold_accuracy")
"""The columns the calibration writes: the judge's parameters and its accuracy on gold."""


@dataclass(frozen=True)
class JudgeProfile:
    """One row of the profiles file (module docstring for the units)."""

    annotator: str
    human_agreement: float
    price_per_1000: float
    bias: float
    variance: float
    prefer_longer: float
    sensitivity: float
    lean: float
    persistent_error: float
    gold_accuracy: float

    @property
    def error_seed(self) -> int:
        """Seed of the profile's persistent errors: CRC-32 of its name, so copies share it."""
        return zlib.crc32(self.annotator.encode())

    @property
    def table_measures(self) -> tuple[float, ...]:
        """The four measures as fractions, in the order of :data:`TABLE_MEASURES`."""
        return (
            self.human_agreement / 100,
            self.bias / 100,
            self.variance / 100,
            self.prefer_longer,
        )


COLUMNS = tuple(field.name for field in fields(JudgeProfile))
"""The file's columns, in order."""


def read_profiles(path: Path = PROFILES_FILE) -> dict[str, JudgeProfile]:
    """Every profile of a profiles file, by annotator name.

    A file that lacks a column, has a cell that is not a number, or names an annotator twice
    raises a one-line ``ValueError`` naming the file and the fix.
    """
    table = pd.read_csv(path, comment="#")
    missing = [name for name in COLUMNS if name not in table.columns]
    if missing:
        raise ValueError(f"{path}: lacks the column(s) {missing}; give {list(COLUMNS)}")
    numbers = table[list(COLUMNS[1:])].apply(pd.to_numeric, errors="coerce")
    finite = np.isfinite(numbers.to_numpy(dtype=float))
    if not finite.all():
        column = numbers.columns[~finite.all(axis=0)][0]
        raise ValueError(
            f"{path}: column {column!r} has a cell that is not a finite number; fix it"
        )
    if table["annotator"].duplicated().any():
        raise ValueError(f"{path}: an annotator appears twice; keep one row per annotator")
    return {
        str(name): JudgeProfile(str(name), *map(float, row))
        for name, row in zip(table["annotator"], numbers.to_numpy(), strict=True)
    }


@cache
def judge_profiles() -> dict[str, JudgeProfile]:
    """The shipped profiles (:data:`PROFILES_FILE`), read once."""
    return read_profiles()


def judge_profile(name: str, field: str = "ai_judges") -> JudgeProfile:
    """The shipped profile ``name``; an unknown name raises naming ``field``."""
    profiles = judge_profiles()
    if name not in profiles:
        raise ValueError(f"{field}: unknown profile {name!r}; use one of {sorted(profiles)}")
    return profiles[name]
