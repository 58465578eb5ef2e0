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
import re
from dataclasses import dataclass, field
from numbers import Real
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from transformers import PretrainedConfig

    from sim.reward.backbones import BackboneSource

MODES = ("finetune", "partial", "head")
"""Names of ``trainable_layers``: "finetune" is "all", "head" is 0, "partial" any k between."""
LAYERS_OF_MODE = {"finetune": "all", "head": 0}
OBJECTIVES = ("bradley_terry", "dpo")
DEFAULT_LEARNING_RATE = {"finetune": 1e-4, "partial": 2e-4, "head": 1e-2}
"""AdamW's constant learning rate by mode. Partial: held-out accuracy of MiniLM on the bench's
labels set (513 labels, 3 per item; all 2,430 held-out gold pairs; 1 epoch; seeds 0-3, mean
+- SD in points) at 1e-4 / 2e-4 / 3e-4 was k=1: 68.2 +- 0.6 / 69.3 +- 1.0 / 69.6 +- 0.6,
k=2: 70.3 +- 0.9 / 70.4 +- 0.7 / 70.3 +- 0.7, k=3: 70.1 +- 0.5 / 69.7 +- 0.4 / 68.9 +- 1.3;
2e-4 is within 0.4 points of each k's best (finetune at 1e-4: 70.8 +- 1.7; TRL 69.9 +- 1.0)."""
DEFAULT_EPOCHS = {"finetune": 1, "partial": 1, "head": 10}
PRECISIONS = ("auto", "fp32", "bf16")
"""``auto``: bf16 autocast on a CUDA device that supports bfloat16, fp32 elsewhere (the CPU)."""
CACHE_DTYPES = ("float32", "bfloat16")
DEFAULT_CACHE_MB = 1024.0
MIN_MAX_LENGTH = 8
MAX_SEED = 2**63 - 1
DEVICE_PATTERN = re.compile(r"auto|cpu|cuda(:[0-9]+)?")
"""The names a ``device`` may take: ``auto``, ``cpu``, ``cuda`` or ``cuda:N``."""
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
    trainable_layers : int or "all", optional
        How much of the backbone trains: ``"all"`` (every weight, embeddings included), or
        the top ``k`` transformer layers, from 0 (a frozen backbone: only the head trains, on
        cached pooled embeddings) to the backbone's layer count (every layer, embeddings
        frozen). Below ``"all"``, the frozen part's output for each distinct text is computed
        once and cached (:mod:`sim.reward.state_cache`), and a step runs only the top ``k``
        layers, pooling and the head. Causal backbones take 0 or ``"all"`` only.
    mode : {"finetune", "partial", "head"}, optional
        A name for ``trainable_layers``: ``"finetune"`` is ``"all"``, ``"head"`` is 0 and
        ``"partial"`` any k in between (give ``trainable_layers`` with it). Give either; both
        only when they agree (a contradicting pair is refused). ``trainable_layers`` decides:
        when it is given, ``mode`` follows from it. Neither given: ``"finetune"``.
    learning_rate : float, optional
        AdamW learning rate, constant; default ``DEFAULT_LEARNING_RATE`` of the mode: 1e-4
        (finetune), 2e-4 (partial, measured there) or 1e-2 (head).
    epochs : int, optional
        Passes over the pairs per ``fit`` call; default ``DEFAULT_EPOCHS`` of the mode: 1
        (finetune, partial) or 10 (head). On 200 gold pairs of the built-in corpus more
        passes overfit (held-out accuracy falls).
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
    deduplicate_texts, sort_by_length, cache_frozen_states : bool
        Throughput switches (see :mod:`sim.reward.encoding` and :mod:`sim.reward.state_cache`);
        off only to measure their gains. With ``cache_frozen_states=False`` a partial fine-tune
        runs the whole backbone every step (the frozen layers without gradients).
    cache_mb : float
        Memory bound of the frozen-state cache in MiB (least recently used states are
        evicted, and computed again when next needed); default 1024.
    cache_dtype : {"float32", "bfloat16"}
        How cached frozen states are stored; bfloat16 halves their memory and rounds them.
    precision : {"auto", "fp32", "bf16"}
        "bf16" runs every forward pass under ``torch.autocast`` in bfloat16 on the model's
        device (weights, optimiser and loss stay float32); "auto" (default) is "bf16" on a
        CUDA device that supports bfloat16 and "fp32" elsewhere, the CPU included.
    device : {"auto", "cpu", "cuda", "cuda:N"}
        Where the backbone, head, cached states, optimiser state and forward passes live
        (:mod:`sim.reward.devices`): "auto" (default) is the current CUDA device when torch
        sees a GPU, else the CPU. The shuffling and head-initialising generator stays on the
        CPU, so a seed draws the same batches and head on every device.

    None for ``learning_rate``, ``epochs`` or ``torch_threads`` means the default.
    """

    backbone: str = "minilm"
    mode: str | None = None
    trainable_layers: int | str | None = None
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
    cache_frozen_states: bool = field(default=True, metadata=_RUNTIME)
    cache_mb: float = field(default=DEFAULT_CACHE_MB, metadata=_RUNTIME)
    cache_dtype: str = field(default="float32", metadata=_RUNTIME)
    precision: str = field(default="auto", metadata=_RUNTIME)
    device: str = field(default="auto", metadata=_RUNTIME)

    def __post_init__(self) -> None:
        # mode and trainable_layers are one knob: fill the one not given from the other.
        mode, layers = self.mode, self.trainable_layers
        if mode is None and layers is None:
            mode, layers = "finetune", "all"
        elif layers is None and isinstance(mode, str) and mode in LAYERS_OF_MODE:
            layers = LAYERS_OF_MODE[mode]
        elif mode is None and _is_layer_count(layers):
            mode = mode_of(layers)
        object.__setattr__(self, "mode", mode)
        object.__setattr__(self, "trainable_layers", layers)

    def replace(self, **fields) -> RewardSettings:
        """These settings with ``fields`` replaced; replacing one of ``mode`` and
        ``trainable_layers`` alone sets the other from it.

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
        if ("mode" in fields) != ("trainable_layers" in fields):
            fields = {"mode": None, "trainable_layers": None, **fields}
        return dataclasses.replace(self, **fields)


def mode_of(trainable_layers: int | str) -> str:
    """The mode that names ``trainable_layers``: "finetune" ("all"), "head" (0), else
    "partial"."""
    if trainable_layers == "all":
        return "finetune"
    return "head" if trainable_layers == 0 else "partial"


def _is_layer_count(value) -> bool:
    return value == "all" or (
        isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
    )


SETTINGS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(RewardSettings))
SAVED_SETTINGS: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(RewardSettings) if not f.metadata.get("runtime")
)
"""Settings a checkpoint stores."""
RUNTIME_SETTINGS: tuple[str, ...] = tuple(name for name in SETTINGS if name not in SAVED_SETTINGS)
"""Settings that change speed or display only: not stored, given to ``RewardModel.load``."""


def default_torch_threads() -> int:
    """Threads for torch: every CPU this process may use, at most 4.

    Measured on an idle 2-core machine (``bench/bench_reward_model.py --sections threads``,
    RESULTS.md, 258 purchased-label rows): a second thread made TRL's RewardTrainer 1.99x,
    a full fine-tune 1.78x and ``trainable_layers=2`` 1.53x faster on wall-clock. Beside one
    other process burning a core, the second thread made them 1.43x, 1.82x and 1.76x *slower*
    (OpenMP threads wait for the busy core): on a shared machine set ``torch_threads=1``, as
    parallel sweeps do for each run. Models this small gain little beyond 4 threads.
    """
    return max(1, min(4, len(os.sched_getaffinity(0))))


def check_settings(device_here: bool = True, **settings) -> None:
    """Refuse what ``RewardModel(**settings)`` would refuse, reading the backbone's config but
    no weights: for validating a configuration before any model is built.

    With ``device_here=False`` a ``device`` is checked as a name only, not against this
    machine's GPUs: for a configuration that will run elsewhere (a Dask worker).

    The ranges: ``mode``, ``objective``, ``precision`` and ``cache_dtype`` from ``MODES``,
    ``OBJECTIVES``, ``PRECISIONS`` and ``CACHE_DTYPES``; ``trainable_layers`` "all" or an
    integer from 0 to the backbone's layer count (0 or "all" on a causal backbone), and
    ``mode`` its name (:func:`mode_of`) when both are given; ``device`` a name of
    ``DEVICE_PATTERN`` that this machine has (:func:`sim.reward.devices.resolve_device`);
    ``learning_rate``, ``beta`` and
    ``cache_mb`` finite and > 0; ``epochs``, ``batch_size``, ``eval_batch_size`` and
    ``torch_threads`` integers >= 1; ``seed`` an integer in [0, 2**63 - 1]; ``max_length`` an
    integer from 8 to the backbone's position limit; the switches (``progress``,
    ``group_comparisons``, ``deduplicate_texts``, ``sort_by_length``, ``cache_frozen_states``)
    booleans; ``backbone`` as :func:`sim.reward.backbones.resolve_backbone` accepts it; DPO
    only on a causal backbone with ``trainable_layers="all"``. None for ``learning_rate``,
    ``epochs`` or ``torch_threads`` means the default.

    Raises
    ------
    SettingError
        Naming the first unknown or out-of-range setting.
    """
    checked(RewardSettings().replace(**settings), device_here)


def checked(
    settings: RewardSettings, device_here: bool = True
) -> tuple[RewardSettings, BackboneSource, PretrainedConfig]:
    """``settings`` with every default filled in, checked as :func:`check_settings` says, as
    plain Python values, ``device`` and ``precision`` resolved on this machine (unless not
    ``device_here``); with the backbone's source and config."""
    from sim.reward.backbones import (  # torch and transformers: seconds to import
        BackboneError,
        backbone_config,
        is_causal,
        layer_count,
        position_limit,
        resolve_backbone,
    )
    from sim.reward.devices import resolve_device, resolve_precision

    values = dict(vars(settings))
    if values["mode"] is None:  # trainable_layers was given, but names no mode: refuse it
        _layer_count_setting(None, values["trainable_layers"])
    for name, choices in (
        ("mode", MODES),
        ("objective", OBJECTIVES),
        ("precision", PRECISIONS),
        ("cache_dtype", CACHE_DTYPES),
    ):
        if not isinstance(values[name], str) or values[name] not in choices:
            raise SettingError(name, f"got {values[name]!r}; use one of {choices}")
    values["trainable_layers"] = _layer_count_setting(values["mode"], values["trainable_layers"])
    values["device"] = device_name(values["device"])
    if device_here:
        values["device"] = resolve_device(values["device"])
        values["precision"] = resolve_precision(values["precision"], values["device"])
    defaults = {
        "learning_rate": DEFAULT_LEARNING_RATE[values["mode"]],
        "epochs": DEFAULT_EPOCHS[values["mode"]],
        "torch_threads": default_torch_threads(),
    }
    for name, default in defaults.items():
        if values[name] is None:
            values[name] = default
    for name in ("learning_rate", "beta", "cache_mb"):
        values[name] = _positive_number(name, values[name])
    for name in ("epochs", "batch_size", "eval_batch_size", "torch_threads"):
        values[name] = _integer(name, values[name], 1)
    values["seed"] = _integer("seed", values["seed"], 0, MAX_SEED)
    values["max_length"] = _integer("max_length", values["max_length"], MIN_MAX_LENGTH)
    for name in (
        "progress",
        "group_comparisons",
        "deduplicate_texts",
        "sort_by_length",
        "cache_frozen_states",
    ):
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
    _check_layers_on(values["trainable_layers"], values["backbone"], config, is_causal, layer_count)
    if values["objective"] == "dpo" and not (
        is_causal(config) and values["trainable_layers"] == "all"
    ):
        raise SettingError(
            "objective",
            "'dpo' needs a causal backbone (e.g. 'smollm2') and mode='finetune' "
            "(trainable_layers='all'); use objective='bradley_terry' otherwise",
        )
    return RewardSettings(**values), source, config


def device_name(value) -> str:
    """``value`` if it is a device name of ``DEVICE_PATTERN``; checked without torch.

    Raises
    ------
    SettingError
        (field ``device``) For anything else, with the names allowed.
    """
    if not isinstance(value, str) or not DEVICE_PATTERN.fullmatch(value):
        raise SettingError(
            "device",
            f"got {value!r}; give 'auto', 'cpu', 'cuda' or 'cuda:N' (N the index of a GPU)",
        )
    return value


def _layer_count_setting(mode: str, layers) -> int | str:
    """``trainable_layers`` as "all" or a plain int >= 0, and agreeing with ``mode``."""
    if layers is None:  # only mode="partial" leaves it unset
        raise SettingError(
            "trainable_layers",
            "mode='partial' needs a layer count; give trainable_layers=k (1 to the backbone's "
            "layers minus 1 keeps some layers frozen)",
        )
    if not _is_layer_count(layers) or (layers != "all" and layers < 0):
        raise SettingError(
            "trainable_layers",
            f"got {layers!r}; give 'all' or an integer from 0 (head only) to the backbone's "
            "layer count",
        )
    layers = layers if layers == "all" else int(layers)
    if mode_of(layers) != mode:
        meaning = LAYERS_OF_MODE.get(mode, "an integer from 1 to the layer count minus 1")
        raise SettingError(
            "mode",
            f"mode={mode!r} means trainable_layers={meaning!r}, but trainable_layers="
            f"{layers!r} was given; give only trainable_layers (it decides, and names the "
            f"mode {mode_of(layers)!r})",
        )
    return layers


def _check_layers_on(layers, backbone: str, config, is_causal, layer_count) -> None:
    """Refuse a ``trainable_layers`` count beyond the backbone's layers, or a partial
    fine-tune of a causal backbone."""
    if layers in ("all", 0):
        return
    if is_causal(config):
        raise SettingError(
            "trainable_layers",
            f"got {layers}; a causal backbone ({backbone!r}) trains 0 (head) or 'all' "
            "layers (a partial split of rotary-position decoders is not supported)",
        )
    total = layer_count(config)
    if total is None or layers > total:
        has = "an unknown number of" if total is None else f"{total}"
        raise SettingError(
            "trainable_layers",
            f"got {layers}, but backbone {backbone!r} has {has} layers; give at most "
            f"{total if total is not None else 0}, or 'all'",
        )


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
