"""Every setting of a reward model in one frozen declaration: name, type, default, bounds and
description.

:class:`RewardSettings` is read by :class:`~sim.reward.RewardModel`, by its checkpoints (which
store the settings that change what is learned, :data:`SAVED_SETTINGS`, and take the others,
:data:`RUNTIME_SETTINGS`, from the caller), by a market config's ``[reward_model]`` table
(``sim.config``, built from these fields) and by the docs. This module imports neither torch
nor transformers, so that a config can be read quickly; the checks that read the backbone's
config (:func:`check_settings`) import them when they run.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    model_validator,
)

if TYPE_CHECKING:
    from transformers import PretrainedConfig

    from sim.reward.backbones import BackboneSource

OBJECTIVES = ("bradley_terry", "dpo")
DEFAULT_LEARNING_RATE = {"finetune": 1e-4, "partial": 2e-4, "head": 1e-2}
"""AdamW's constant learning rate by :func:`regime`. Partial: held-out accuracy of MiniLM on the
bench's labels set (513 labels, 3 per item; all 2,430 held-out gold pairs; 1 epoch; seeds 0-3,
mean +- SD in points) at 1e-4 / 2e-4 / 3e-4 was k=1: 68.2 +- 0.6 / 69.3 +- 1.0 / 69.6 +- 0.6,
k=2: 70.3 +- 0.9 / 70.4 +- 0.7 / 70.3 +- 0.7, k=3: 70.1 +- 0.5 / 69.7 +- 0.4 / 68.9 +- 1.3;
2e-4 is within 0.4 points of each k's best (finetune at 1e-4: 70.8 +- 1.7; TRL 69.9 +- 1.0)."""
DEFAULT_EPOCHS = {"finetune": 1, "partial": 1, "head": 10}
"""Passes per ``fit`` by :func:`regime`; on 200 gold pairs of the built-in corpus more passes
overfit (held-out accuracy falls)."""
PRECISIONS = ("auto", "fp32", "bf16")
"""``auto``: bf16 autocast on a CUDA device that supports bfloat16, fp32 elsewhere (the CPU)."""
CACHE_DTYPES = ("float32", "bfloat16")
DEFAULT_CACHE_MB = 1024.0
MIN_MAX_LENGTH = 8
MAX_SEED = 2**63 - 1
DEVICE_PATTERN = re.compile(r"auto|cpu|cuda(:[0-9]+)?")
"""The names a ``device`` may take: ``auto``, ``cpu``, ``cuda`` or ``cuda:N``."""
DEVICE_NAMES = "give 'auto', 'cpu', 'cuda' or 'cuda:N' (N the index of a GPU)"
REMOVED_SETTINGS = {
    "mode": "removed; trainable_layers names what trains: mode 'head' is trainable_layers = 0, "
    "'finetune' is \"all\", 'partial' a layer count k",
}
"""Settings of earlier versions, with the fix a caller that still names one is told."""
_RUNTIME = {"runtime": True}
"""``json_schema_extra`` of a setting that changes speed or display only."""


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


def _layer_count(value: Any) -> int | str:
    if isinstance(value, str) and value == "all":
        return value
    whole = isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_)
    if whole and value >= 0:
        return int(value)
    raise ValueError("give 'all' or an integer k >= 0 (the top k layers train; 0: the head only)")


def _device(value: str) -> str:
    if not DEVICE_PATTERN.fullmatch(value):
        raise ValueError(DEVICE_NAMES)
    return value


TrainableLayers = Annotated[Literal["all"] | int, PlainValidator(_layer_count)]
"""``"all"`` or a whole number k >= 0 (no bool, no float, no quoted number)."""


def _runtime(default: Any, description: str, **bounds: Any) -> Any:
    return Field(default, description=description, json_schema_extra=_RUNTIME, **bounds)


class RewardSettings(BaseModel):
    """How a reward model is built and trained; a model's ``settings`` hold the checked values,
    every default filled in.

    Each field is checked when the settings are made (a bad one raises a one-line
    :class:`SettingError`); :func:`check_settings` adds the checks that read the backbone's
    config. None for ``learning_rate``, ``epochs`` or ``torch_threads`` means the default:
    ``DEFAULT_LEARNING_RATE`` and ``DEFAULT_EPOCHS`` of the :func:`regime`, and
    :func:`default_torch_threads`. Below ``trainable_layers="all"`` the frozen part's output for
    each distinct text is computed once and cached (:mod:`sim.reward.state_cache`), and a step
    runs only the top k layers, pooling and the head. Truncation keeps the longest part's
    start for encoders and the response for causal backbones (the prompt's start goes first).
    """

    model_config = ConfigDict(strict=True, extra="forbid", frozen=True, allow_inf_nan=False)

    backbone: str = Field(
        "minilm",
        description="'minilm', 'smollm2' (optional extra) or a local model folder with "
        "safetensors weights (sim.reward.backbones)",
    )
    trainable_layers: TrainableLayers = Field(
        "all",
        description="'all' (every weight, embeddings included) or the top k transformer layers "
        "that train, 0 (the head only, on a frozen backbone) to the backbone's count; causal "
        "backbones take 0 or 'all'",
    )
    learning_rate: float | None = Field(
        None, gt=0, description="AdamW's constant learning rate; None: DEFAULT_LEARNING_RATE"
    )
    epochs: int | None = Field(
        None, ge=1, le=100, description="passes over the pairs per fit; None: DEFAULT_EPOCHS"
    )
    batch_size: int = Field(16, ge=1, description="pairs per optimiser step")
    max_length: int = Field(
        128,
        ge=MIN_MAX_LENGTH,
        le=2048,
        description="tokens per (prompt, response), at most the backbone's positions (512 for "
        "MiniLM); longer ones are truncated",
    )
    seed: int = Field(
        0,
        ge=0,
        le=MAX_SEED,
        description="seeds a private torch.Generator (head init, shuffling); global RNG state "
        "is untouched",
    )
    objective: Literal[OBJECTIVES] = Field(
        "bradley_terry",
        description="'dpo' needs a causal backbone and trainable_layers='all'",
    )
    beta: float = Field(0.1, gt=0, description="DPO temperature of the implicit reward")
    eval_batch_size: int = Field(64, ge=1, description="texts per forward pass when scoring")
    group_comparisons: bool = Field(
        False,
        description="batch the labels of one comparison together: faster on repeated labels, "
        "but it changes what is learned (sim.reward.batching)",
    )
    torch_threads: int | None = _runtime(
        None,
        "threads during fit and score, restored afterwards; None: default_torch_threads()",
        ge=1,
    )
    progress: bool = _runtime(True, "a progress bar for fits longer than a few seconds")
    deduplicate_texts: bool = _runtime(
        True, "encode each distinct text once (sim.reward.encoding); off only to measure the gain"
    )
    sort_by_length: bool = _runtime(
        True, "batch texts of similar length (sim.reward.encoding); off only to measure the gain"
    )
    cache_frozen_states: bool = _runtime(
        True,
        "cache the frozen part's output per text; off: a partial fine-tune runs the whole "
        "backbone every step",
    )
    cache_mb: float = _runtime(
        DEFAULT_CACHE_MB,
        "memory bound of the frozen-state cache, MiB (least recently used states are evicted)",
        gt=0,
    )
    cache_dtype: Literal[CACHE_DTYPES] = _runtime(
        "float32", "how cached frozen states are stored; bfloat16 halves memory and rounds them"
    )
    precision: Literal[PRECISIONS] = _runtime(
        "auto",
        "'bf16': forward passes under bfloat16 autocast (weights, optimiser and loss stay "
        "float32); 'auto': bf16 on a CUDA device that supports it, else 'fp32'",
    )
    device: Annotated[str, AfterValidator(_device)] = _runtime(
        "auto",
        "where weights, cached states and forward passes live (sim.reward.devices): 'auto' (a "
        "GPU when torch sees one, else the CPU), 'cpu', 'cuda' or 'cuda:N'",
    )

    def __init__(self, **fields: Any) -> None:
        """Check ``fields``; the first bad one raises a one-line :class:`SettingError`."""
        try:
            super().__init__(**fields)
        except ValidationError as exc:
            raise setting_error(exc) from None

    @model_validator(mode="before")
    @classmethod
    def _plain(cls, data: Any) -> Any:
        """NumPy scalars (a seed drawn with NumPy) as the Python values they hold."""
        if isinstance(data, dict):
            return {k: v.item() if isinstance(v, np.generic) else v for k, v in data.items()}
        return data

    def replace(self, **fields: Any) -> RewardSettings:
        """These settings with ``fields`` replaced, checked as new settings are.

        Raises
        ------
        SettingError
            Naming the first field that is no setting (with the known ones) or is out of range.
        """
        return RewardSettings(**{**self.model_dump(), **fields}) if fields else self


def setting_error(exc: ValidationError) -> SettingError:
    """The first error of ``exc`` as a :class:`SettingError`."""
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else "settings"
    if error["type"] == "extra_forbidden":
        known = f"unknown setting; known settings are {', '.join(SETTINGS)}"
        return SettingError(field, REMOVED_SETTINGS.get(field, known))
    message = error["msg"].removeprefix("Value error, ")
    return SettingError(field, f"{message} (got {error.get('input')!r})")


def regime(trainable_layers: int | str) -> str:
    """What ``trainable_layers`` trains, by name: "finetune" ("all"), "head" (0), else
    "partial" (the top k layers); the key of ``DEFAULT_LEARNING_RATE`` and ``DEFAULT_EPOCHS``."""
    if trainable_layers == "all":
        return "finetune"
    return "head" if trainable_layers == 0 else "partial"


SETTINGS: tuple[str, ...] = tuple(RewardSettings.model_fields)
SAVED_SETTINGS: tuple[str, ...] = tuple(
    name
    for name, field in RewardSettings.model_fields.items()
    if field.json_schema_extra != _RUNTIME
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


def check_settings(device_here: bool = True, **settings: Any) -> None:
    """Refuse what ``RewardModel(**settings)`` would refuse, reading the backbone's config but
    no weights: for validating a configuration before any model is built.

    Beyond each field's declaration: ``backbone`` as :func:`sim.reward.backbones.resolve_backbone`
    accepts it; ``max_length`` at most the backbone's positions; ``trainable_layers`` at most
    its layer count (0 or "all" on a causal backbone); DPO only on a causal backbone with
    ``trainable_layers="all"``; ``device`` a device this machine has
    (:func:`sim.reward.devices.resolve_device`), unless ``device_here=False``: for a
    configuration that will run elsewhere (a Dask worker), where it is checked as a name only.

    Raises
    ------
    SettingError
        Naming the first unknown or out-of-range setting.
    """
    checked(RewardSettings(**settings), device_here)


def checked(
    settings: RewardSettings, device_here: bool = True
) -> tuple[RewardSettings, BackboneSource, PretrainedConfig]:
    """``settings`` with every default filled in, checked against the backbone as
    :func:`check_settings` says, ``device`` and ``precision`` resolved on this machine (unless
    not ``device_here``); with the backbone's source and config."""
    from sim.reward.backbones import (  # torch and transformers: seconds to import
        BackboneError,
        backbone_config,
        is_causal,
        layer_count,
        position_limit,
        resolve_backbone,
    )
    from sim.reward.devices import resolve_device, resolve_precision

    values = settings.model_dump()
    if device_here:
        values["device"] = resolve_device(values["device"])
        values["precision"] = resolve_precision(values["precision"], values["device"])
    named = regime(values["trainable_layers"])
    defaults = {
        "learning_rate": DEFAULT_LEARNING_RATE[named],
        "epochs": DEFAULT_EPOCHS[named],
        "torch_threads": default_torch_threads(),
    }
    for name, default in defaults.items():
        if values[name] is None:
            values[name] = default
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
            "'dpo' needs a causal backbone (e.g. 'smollm2') and trainable_layers='all'; use "
            "objective='bradley_terry' otherwise",
        )
    return settings.model_copy(update=values), source, config


def device_name(value: Any) -> str:
    """``value`` if it is a device name of ``DEVICE_PATTERN``; checked without torch.

    Raises
    ------
    SettingError
        (field ``device``) For anything else, with the names allowed.
    """
    if not isinstance(value, str) or not DEVICE_PATTERN.fullmatch(value):
        raise SettingError("device", f"got {value!r}; {DEVICE_NAMES}")
    return value


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
