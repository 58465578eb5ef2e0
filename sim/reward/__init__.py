"""The reward model: a pretrained LM with a reward head, trained on purchased preference labels."""

from sim.reward.model import (
    CheckpointError,
    RewardModel,
    SettingError,
    check_settings,
    default_torch_threads,
    length_passes,
)

__all__ = [
    "CheckpointError",
    "RewardModel",
    "SettingError",
    "check_settings",
    "default_torch_threads",
    "length_passes",
]
