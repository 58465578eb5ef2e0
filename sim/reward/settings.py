"""Every setting of a reward model in one frozen object, with its default and its range.

:class:`RewardSettings` is read by :class:`~sim.reward.RewardModel`, by its checkpoints (which
store the settings that change what is learned, :data:`SAVED_SETTINGS`, and take the others,
:data:`RUNTIME_SETTINGS`, from the caller) and by a market config's ``[reward_model]`` table.
This module imports neither torch nor transformers, so that a config can be read quickly; the
checks that read the backbone's config import them when they run.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from numbers import Real
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from transformers import PretrainedConfig

    from sim.reward.backbones import BackboneSource

MODES = ("finetune", "head")
OBJECTIVES = ("bradley_terry", "dpo")
DEFAULT_LEARNING_RATE = {"finetune": 1e-4, "head": 1e-2}
DEFAULT_EPOCHS = {"finetune": 1, "head": 10}
MIN_MAX_LENGTH = 8
MAX_SEED = 2**63 - 1
_RUNTIME = {"runtime": True}
"""Field metadata of a setting that changes speed or display only."""


class SettingError(ValueError):
    """A reward-model setting that is unknown or out of range; nothing was built.

    The message is one line, ``"<field>: <problem>"``, the problem saying what to give instead;
    ``field`` and ``problem`` hold the parts, so that a caller (a config file) can name the
    field its own way, e.g. ``reward_model.max_length``.
    """

    def __init__(self, field: str, problem: str):
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


@dataclass(frozen=True)
class RewardSettings:
    """How a reward model is built and trained; a model's ``settings`` hold the checked values.

    Parameters
    ----------
    backbone : str
        ``"minilm"`` (default), ``"smollm2"`` (optional extra) or a local model folder with
        safetensors weights; see :mod:`sim.reward.backbones`.
    mode : {"finetune", "head"}
        Train all weights, or only a linear head on cached frozen embeddings.
    learning_rate : float, optional
        AdamW learning rate, constant; default 1e-4 (finetune) or 1e-2 (head).
    epochs : int, optional
        Passes over the pairs per ``fit`` call; default 1 (finetune) or 10 (head). On 200
        gold pairs of the built-in corpus more passes overfit (held-out accuracy falls).
    batch_size : int
        Pairs per optimiser step.
    max_length : int
        Tokens per (prompt, response), from 8 to the backbone's position limit (512 for
        MiniLM); longer ones are truncated (longest part first for encoders; the prompt's
        start first for causal backbones, so the response is kept).
    seed : int
        Seeds a private ``torch.Generator`` (head init, shuffling); global RNG state is untouched.
        An integer from 0 to 2**63 - 1.
    objective : {"bradley_terry", "dpo"}
        DPO needs a causal backbone and ``mode="finetune"``.
    beta : float
        DPO temperature of the implicit reward.
    eval_batch_size : int
        Texts per forward pass when scoring.
    group_comparisons : bool
        Batch the labels of one comparison together: faster on repeated labels, but it
        changes what is learned (see :mod:`sim.reward.batching`).
    torch_threads : int, optional
        Threads used during ``fit``/``score`` (restored afterwards); default
        :func:`default_torch_threads`. Use 1 per process in parallel sweeps.
    progress : bool
        Show a progress bar for fits that run longer than a few seconds.
    deduplicate_texts, sort_by_length : bool
        Throughput switches (see :mod:`sim.reward.encoding`); off only to measure their gains.

    None for ``learning_rate``, ``epochs`` or ``torch_threads`` means the default.
    """

    backbone: str = "minilm"
    mode: str = "finetune"
    learning_rate: float | None = None
    epochs: int | None = None
    batch_size: int = 16
    max_length: int = 128
    seed: int = 0
    objective: str = "bradley_terry"
    beta: float = 0.1
    eval_batch_size: int = 64
    group_comparisons: bool = False
    torch_threads: int | None = field(default=None, metadata=_RUNTIME)
    progress: bool = field(default=True, metadata=_RUNTIME)
    deduplicate_texts: bool = field(default=True, metadata=_RUNTIME)
    sort_by_length: bool = field(default=True, metadata=_RUNTIME)

    def replace(self, **fields) -> RewardSettings:
        """These settings with ``fields`` replaced.

        Raises
        ------
        SettingError
            Naming the first field that is no setting, with the known ones.
        """
        unknown = sorted(set(fields) - set(SETTINGS))
        if unknown:
            raise SettingError(
                unknown[0], f"unknown setting; known settings are {', '.join(SETTINGS)}"
            )
        return dataclasses.replace(self, **fields)


SETTINGS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(RewardSettings))
SAVED_SETTINGS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(RewardSettings) if not f.metadata.get("runtime")
)
"""Settings a checkpoint stores."""
RUNTIME_SETTINGS: tuple[str, ...] = tuple(name for name in SETTINGS if name not in SAVED_SETTINGS)
"""Settings that change speed or display only: not stored, given to ``RewardModel.load``."""


def default_torch_threads() -> int:
    """Threads for torch: half the CPUs this process may use, between 1 and 4.

    On small shared machines OpenMP oversubscription costs more than a second thread gains
    (measured here: a MiniLM step took 3.5 times longer with 2 threads than with 1 on a loaded
    2-core machine), and models this small gain little beyond 4 threads.
    """
    return max(1, min(4, len(os.sched_getaffinity(0)) // 2))


def check_settings(**settings) -> None:
    """Refuse what ``RewardModel(**settings)`` would refuse, reading the backbone's config but
    no weights: for validating a configuration before any model is built.

    The ranges: ``mode`` and ``objective`` from ``MODES`` and ``OBJECTIVES``; ``learning_rate``
    and ``beta`` finite and > 0; ``epochs``, ``batch_size``, ``eval_batch_size`` and
    ``torch_threads`` integers >= 1; ``seed`` an integer in [0, 2**63 - 1]; ``max_length`` an
    integer from 8 to the backbone's position limit; the switches (``progress``,
    ``group_comparisons``, ``deduplicate_texts``, ``sort_by_length``) booleans; ``backbone``
    as :func:`sim.reward.backbones.resolve_backbone` accepts it; DPO only on a causal backbone
    in ``finetune`` mode. None for ``learning_rate``, ``epochs`` or ``torch_threads`` means the
    default.

    Raises
    ------
    SettingError
        Naming the first unknown or out-of-range setting.
    """
    checked(RewardSettings().replace(**settings))


def checked(settings: RewardSettings) -> tuple[RewardSettings, BackboneSource, PretrainedConfig]:
    """``settings`` with every default filled in, checked as :func:`check_settings` says, as
    plain Python values; with the backbone's source and config."""
    from sim.reward.backbones import (  # torch and transformers: seconds to import
        BackboneError,
        backbone_config,
        is_causal,
        position_limit,
        resolve_backbone,
    )

    values = dict(vars(settings))
    for name, choices in (("mode", MODES), ("objective", OBJECTIVES)):
        if not isinstance(values[name], str) or values[name] not in choices:
            raise SettingError(name, f"got {values[name]!r}; use one of {choices}")
    defaults = {
        "learning_rate": DEFAULT_LEARNING_RATE[values["mode"]],
        "epochs": DEFAULT_EPOCHS[values["mode"]],
        "torch_threads": default_torch_threads(),
    }
    for name, default in defaults.items():
        if values[name] is None:
            values[name] = default
    for name in ("learning_rate", "beta"):
        values[name] = _positive_number(name, values[name])
    for name in ("epochs", "batch_size", "eval_batch_size", "torch_threads"):
        values[name] = _integer(name, values[name], 1)
    values["seed"] = _integer("seed", values["seed"], 0, MAX_SEED)
    values["max_length"] = _integer("max_length", values["max_length"], MIN_MAX_LENGTH)
    for name in ("progress", "group_comparisons", "deduplicate_texts", "sort_by_length"):
        if not isinstance(values[name], bool | np.bool_):
            raise SettingError(name, f"got {values[name]!r}; give True or False")
        values[name] = bool(values[name])
    try:
        source = resolve_backbone(values["backbone"])
        config = backbone_config(source)
    except BackboneError as error:
        raise SettingError("backbone", error.problem) from None
    limit = position_limit(config)
    if limit is not None and values["max_length"] > limit:
        raise SettingError(
            "max_length",
            f"got {values['max_length']}, more than the {limit} token positions of backbone "
            f"{values['backbone']!r}; give at most {limit}",
        )
    if values["objective"] == "dpo" and not (is_causal(config) and values["mode"] == "finetune"):
        raise SettingError(
            "objective",
            "'dpo' needs a causal backbone (e.g. 'smollm2') and mode='finetune'; "
            "use objective='bradley_terry' otherwise",
        )
    return RewardSettings(**values), source, config


def _positive_number(name: str, value) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not 0 < float(value) < math.inf:
        raise SettingError(name, f"got {value!r}; give a finite positive number")
    return float(value)


def _integer(name: str, value, low: int, high: int | None = None) -> int:
    if isinstance(value, bool | np.bool_) or not isinstance(value, int | np.integer):
        in_range = False
    else:
        in_range = low <= value and (high is None or value <= high)
    if not in_range:
        wanted = (
            f"an integer of at least {low}" if high is None else f"an integer from {low} to {high}"
        )
        raise SettingError(name, f"got {value!r}; give {wanted}")
    return int(value)
