"""A run's identity: its store key is the sha256 of its resolved config, seed and data digest
included."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sim.config import MarketConfig


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: its store key, resolved config, axis values and seed index."""

    key: str
    config: MarketConfig
    axes: dict[str, Any]
    seed_index: int


def run_key(config: MarketConfig) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) of the resolved config.

    The config holds the run's seed and, for a preference file, the sha256 of its bytes
    (``corpus.sha256``), so the key names exactly one computation: editing the data file
    changes the key, and a resumed sweep recomputes the runs on it.
    """
    return config_key(config.model_dump(mode="json"))


def config_key(config: dict[str, Any]) -> str:
    """:func:`run_key` of a config given as its JSON data (e.g. read back from a run file)."""
    canonical = json.dumps(config, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
