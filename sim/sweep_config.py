"""``SweepConfig``: a base market plus axes over its fields, expanded into validated run specs.

A sweep file (TOML) names a base :class:`~sim.config.MarketConfig` and the axes to vary::

    seeds = 3                      # runs per axis point
    seed = 0                       # root of every run's seed
    base_config = "market.toml"    # or an inline [base] table; relative to this file

    [grid]                         # full factorial over every listed value
    "mechanism.name" = ["vcg", "uniform_price"]
    "buyer.budget" = [4.0, 8.0]

    [sample]                       # Latin hypercube over numeric ranges
    n = 8
    seed = 1
    ranges = { "population.cost_params.s" = [0.2, 0.8] }

An axis is a dotted path to any field of ``MarketConfig`` (into dict-valued fields too,
e.g. ``mechanism.params.price``); under ``[grid]`` an unquoted dotted key works as well.
With both ``grid`` and ``sample`` every grid point is crossed with every sample point.

Seeding: the per-run ``MarketConfig.seed`` is the first 32-bit word of child ``i`` of
``numpy.random.SeedSequence(seed).spawn(seeds)``, where ``i`` is the seed index. Every axis
point uses the same ``seeds`` seeds (common random numbers), so mechanisms and parameter
values are compared on identical annotator populations and draws, and the seeds depend
neither on the executor nor on the number of workers. Spawned children do not depend on
how many are spawned, so raising ``seeds`` keeps the earlier runs (and their stored results).

Every run's ``reward_model.torch_threads`` is 1 unless the base sets it: parallelism comes
from running several markets at once, and a fixed thread count keeps results identical
whichever executor runs them.

Every resolved config is validated before any run starts; an invalid axis raises
:class:`~sim.config.ConfigError` with one line naming the axis and value.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import types
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from scipy.stats import qmc

from sim.config import ConfigError, MarketConfig, read_toml, validation_message

SWEPT_BY_SWEEP = ("seed",)
"""MarketConfig fields the sweep sets itself, so they cannot be axes."""


class SampleSpec(BaseModel):
    """A Latin hypercube (McKay, Beckman & Conover 1979) of ``n`` points over ``ranges``.

    ``scipy.stats.qmc.LatinHypercube(d, seed=seed)`` draws ``n`` points in ``[0, 1)^d``;
    each coordinate is scaled to ``low + u (high - low)``, and rounded for integer fields.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    n: int = Field(ge=1, le=100_000)
    seed: int = Field(0, ge=0)
    ranges: dict[str, tuple[float, float]] = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> SampleSpec:
        for name, (low, high) in self.ranges.items():
            if not low < high:
                raise ValueError(f"range of {name!r} must be [low, high] with low < high")
        return self


class SweepConfig(BaseModel):
    """A sweep: base market config (a table), seeds, grid axes and/or a sampled design."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    base: dict[str, Any] = Field(default_factory=dict)
    seeds: int = Field(1, ge=1, le=10_000)
    seed: int = Field(0, ge=0)
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    sample: SampleSpec | None = None

    @model_validator(mode="after")
    def _nonempty_axes(self) -> SweepConfig:
        for name, values in self.grid.items():
            if not values:
                raise ValueError(f"grid axis {name!r} has no values; list at least one")
        overlap = sorted(set(self.grid) & set(self.sample.ranges if self.sample else {}))
        if overlap:
            raise ValueError(f"axes {overlap} are both in grid and sample; keep one")
        return self

    @classmethod
    def from_dict(cls, data: dict[str, Any], relative_to: Path | None = None) -> SweepConfig:
        """Validate a sweep table; ``base_config`` is read relative to ``relative_to``."""
        data = dict(data)
        if "base_config" in data:
            if "base" in data:
                raise ConfigError("base_config: give either base_config or a [base] table")
            path = Path(str(data.pop("base_config")))
            if relative_to is not None and not path.is_absolute():
                path = relative_to / path
            data["base"] = read_toml(path)
        if isinstance(data.get("grid"), dict):
            data["grid"] = _dotted(data["grid"], "grid")
        sample = data.get("sample")
        if isinstance(sample, dict) and isinstance(sample.get("ranges"), dict):
            data["sample"] = {**sample, "ranges": _dotted(sample["ranges"], "sample.ranges")}
        try:
            sweep = cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(validation_message(exc)) from None
        sweep.resolve()
        return sweep

    @classmethod
    def from_toml(cls, path: str | Path) -> SweepConfig:
        path = Path(path)
        return cls.from_dict(read_toml(path), relative_to=path.parent)

    @property
    def axes(self) -> list[str]:
        """Swept field names: grid axes, then sampled axes."""
        return [*self.grid, *(self.sample.ranges if self.sample else {})]

    def points(self) -> list[dict[str, Any]]:
        """Every axis point (``{axis: value}``), grid-major; ``[{}]`` when nothing is swept."""
        grid_points = [
            dict(zip(self.grid, values, strict=True))
            for values in itertools.product(*self.grid.values())
        ]
        if self.sample is None:
            return grid_points
        sampled = self._sample_points()
        return [{**g, **s} for g in grid_points for s in sampled]

    def _sample_points(self) -> list[dict[str, Any]]:
        names = list(self.sample.ranges)
        bounds = np.array([self.sample.ranges[name] for name in names])
        unit = qmc.LatinHypercube(d=len(names), seed=self.sample.seed).random(self.sample.n)
        scaled = bounds[:, 0] + unit * (bounds[:, 1] - bounds[:, 0])
        integer = [_is_int_field(name) for name in names]
        return [
            {
                name: int(np.rint(value)) if is_int else float(value)
                for name, value, is_int in zip(names, row, integer, strict=True)
            }
            for row in scaled
        ]

    def run_seeds(self) -> list[int]:
        """The seed of each seed index (see the module docstring)."""
        children = np.random.SeedSequence(self.seed).spawn(self.seeds)
        return [int(child.generate_state(1)[0]) for child in children]

    def resolve(self) -> list[RunSpec]:
        """Every run (axis point x seed index) as a validated :class:`RunSpec`.

        Raises
        ------
        ConfigError
            One line naming the first axis (or the base) whose value makes an invalid config.
        """
        base = _with_sweep_defaults(self.base)
        try:
            MarketConfig.from_dict(base)
        except ConfigError as exc:
            raise ConfigError(f"base: {exc}") from None
        for name in self.axes:
            _check_axis_name(name)
        seeds = self.run_seeds()
        specs = []
        for point in self.points():
            config = _resolved(base, point)
            for index, seed in enumerate(seeds):
                seeded = config.model_copy(update={"seed": seed})
                specs.append(RunSpec(run_key(seeded), seeded, point, index))
        return specs


@dataclass(frozen=True)
class RunSpec:
    """One run of a sweep: its store key, resolved config, axis values and seed index."""

    key: str
    config: MarketConfig
    axes: dict[str, Any]
    seed_index: int


def run_key(config: MarketConfig) -> str:
    """sha256 of the canonical JSON (sorted keys, no spaces) of the resolved config.

    The config holds the run's seed, so the key names exactly one computation.
    """
    canonical = json.dumps(
        config.model_dump(mode="json"), sort_keys=True, separators=(",", ":"), allow_nan=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def set_dotted(data: dict[str, Any], name: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``data`` with ``value`` at dotted path ``name`` (tables made as needed)."""
    copy = json.loads(json.dumps(data))
    *parents, leaf = name.split(".")
    node = copy
    for i, part in enumerate(parents):
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            where = ".".join(parents[: i + 1])
            raise ConfigError(f"axis {name}: {where} is a value, not a table; fix the axis name")
        node = child
    node[leaf] = value
    return copy


def _with_sweep_defaults(base: dict[str, Any]) -> dict[str, Any]:
    reward_model = base.get("reward_model", {})
    if isinstance(reward_model, dict) and "torch_threads" not in reward_model:
        return set_dotted(base, "reward_model.torch_threads", 1)
    return base


def _resolved(base: dict[str, Any], point: dict[str, Any]) -> MarketConfig:
    """The config at ``point``; an invalid one raises naming the axis at fault.

    The culprit is the first axis whose value alone (on the base) is invalid; when only
    the combination is invalid (e.g. ``posted_price`` without a price), the whole point.
    """
    try:
        return MarketConfig.from_dict(_apply(base, point))
    except ConfigError as exc:
        error = exc
    for name, value in point.items():
        try:
            MarketConfig.from_dict(_apply(base, {name: value}))
        except ConfigError as alone:
            raise ConfigError(f"axis {name} = {value!r}: {alone}") from None
    where = ", ".join(f"{name} = {value!r}" for name, value in point.items())
    raise ConfigError(f"axis point {where}: {error}") from None


def _apply(base: dict[str, Any], point: dict[str, Any]) -> dict[str, Any]:
    data = base
    for name, value in point.items():
        data = set_dotted(data, name, value)
    return data


def _check_axis_name(name: str) -> None:
    parts = name.split(".")
    if not all(parts):
        raise ConfigError(f"axis {name!r}: empty part in the dotted name; use e.g. buyer.budget")
    if parts[0] in SWEPT_BY_SWEEP:
        raise ConfigError(f"axis {name}: the sweep sets each run's seed; use `seeds` instead")
    _field_annotation(name)


def _field_annotation(name: str) -> Any:
    """The type annotation of the ``MarketConfig`` field at dotted path ``name``.

    Raises ``ConfigError`` naming the axis when a part is not a field.
    """
    annotation: Any = MarketConfig
    for part in name.split("."):
        annotation = _strip_optional(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            field = annotation.model_fields.get(part)
            if field is None:
                allowed = ", ".join(annotation.model_fields)
                raise ConfigError(f"axis {name}: no field {part!r} here; fields: {allowed}")
            annotation = field.annotation
        elif typing.get_origin(annotation) is dict:
            annotation = typing.get_args(annotation)[1]
        else:
            raise ConfigError(f"axis {name}: {part!r} is inside a value, not a table")
    return annotation


def _strip_optional(annotation: Any) -> Any:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return annotation


def _is_int_field(name: str) -> bool:
    return _strip_optional(_field_annotation(name)) is int


def _dotted(table: dict[str, Any], section: str, prefix: str = "") -> dict[str, Any]:
    """Flatten nested TOML tables (``mechanism.name = [...]``) into dotted axis names."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_dotted(value, section, f"{name}."))
        elif isinstance(value, list):
            flat[name] = value
        else:
            raise ConfigError(f"{section}.{name}: give a list of values (got {value!r})")
    return flat
