"""The reward model: a pretrained LM with a reward head, trained on purchased preference labels.

The room by concern: :mod:`~sim.reward.settings` (every setting, its default and range),
:mod:`~sim.reward.backbones` (where a backbone is found, offline),
:mod:`~sim.reward.network` (the modules, and what of them trains: ``trainable_layers``),
:mod:`~sim.reward.encoding` (tokens, padding, the forward pass, pooling),
:mod:`~sim.reward.layers` (an encoder run as a frozen bottom and a trained top),
:mod:`~sim.reward.state_cache` (the frozen part's output per text, LRU-bounded),
:mod:`~sim.reward.batching` (which pairs and texts go together),
:mod:`~sim.reward.objectives` (Bradley-Terry and DPO), :mod:`~sim.reward.training` (the
loops), :mod:`~sim.reward.runtime` (threads, bf16 autocast, progress),
:mod:`~sim.reward.checkpoints` (safetensors and JSON) and :mod:`~sim.reward.model`
(``RewardModel``).

The settings import without torch, so that reading a config stays fast; the names whose
modules import torch load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from sim.reward.settings import RewardSettings, SettingError, check_settings, default_torch_threads

if TYPE_CHECKING:
    from sim.reward.checkpoints import CheckpointError
    from sim.reward.encoding import length_passes
    from sim.reward.model import RewardModel

_WITH_TORCH = {
    "CheckpointError": "sim.reward.checkpoints",
    "length_passes": "sim.reward.encoding",
    "RewardModel": "sim.reward.model",
}

__all__ = [
    "CheckpointError",
    "RewardModel",
    "RewardSettings",
    "SettingError",
    "check_settings",
    "default_torch_threads",
    "length_passes",
]


def __getattr__(name: str):
    if name not in _WITH_TORCH:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(_WITH_TORCH[name]), name)
