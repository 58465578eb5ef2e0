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
A relative ``corpus.path`` (in an inline ``[base]`` or a ``corpus.path`` axis) is relative to
the sweep file's folder; in a ``base_config`` file, to that file's folder.

Seeding: the per-run ``MarketConfig.seed`` is the first 32-bit word of child ``i`` of
``numpy.random.SeedSequence(seed).spawn(seeds)``, where ``i`` is the seed index. Every axis
point uses the same ``seeds`` seeds (common random numbers), so mechanisms and parameter
values are compared on identical annotator populations and draws, and the seeds depend
neither on the executor nor on the number of workers. Spawned children do not depend on
how many are spawned, so raising ``seeds`` keeps the earlier runs (and their stored results).

Every run's ``reward_model.torch_threads`` is 1 unless the base sets it: parallelism comes
from running several markets at once, and a fixed thread count keeps results identical
whichever executor runs them.

Planning, in the order it happens (every error is a :class:`~sim.config_files.ConfigError` of one
line naming the axis or field):

1. Reading a sweep checks its shape and axis names only. ``inf``/``nan`` anywhere in the
   base, an axis or a range is refused, and so is a value listed twice in one grid axis
   (it would run the same runs twice).
2. :attr:`SweepConfig.run_count` comes from the axes alone (points x seeds), so a sweep can
   be sized, and refused (``MAX_RUNS``), before anything is built.
3. :meth:`SweepConfig.resolve` validates every axis point's config once (not once per
   seed, and not again on a later call), and refuses two points that make the same config
   (e.g. sampled integers that round alike).
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from scipy.stats import qmc

from sim.config import MOVED_FIELDS, MarketConfig
from sim.config_fields import REMOVED_FIELDS, field_type, validation_message
from sim.config_files import ConfigError, read_toml, resolve_corpus_path, resolve_data_path
from sim.experiments.run_keys import RunSpec, run_key
from sim.experiments.seeding import spawned_seeds

SWEPT_BY_SWEEP = ("seed",)
"""MarketConfig fields the sweep sets itself, so they cannot be axes."""
MAX_RUNS = 10_000
"""Most runs a sweep may plan unless the caller raises the limit (``--max-runs``): a larger
sweep is almost always a typo in ``seeds`` or ``n``, and its plan alone is megabytes."""


class SampleSpec(BaseModel):
    """A Latin hypercube (McKay, Beckman & Conover 1979) of ``n`` points over ``ranges``.

    ``scipy.stats.qmc.LatinHypercube(d, seed=seed)`` draws ``n`` points in ``[0, 1)^d``;
    each coordinate is scaled to ``low + u (high - low)``, and rounded for integer fields.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

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

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    base: dict[str, Any] = Field(default_factory=dict)
    seeds: int = Field(1, ge=1, le=10_000)
    seed: int = Field(0, ge=0)
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    sample: SampleSpec | None = None
    _specs: list[RunSpec] | None = PrivateAttr(None)

    @field_validator("base")
    @classmethod
    def _finite_base(cls, base: dict[str, Any]) -> dict[str, Any]:
        if (where := _non_finite(base)) is not None:
            raise ValueError(f"{where} is not a finite number; give a finite value")
        return base

    @field_validator("grid")
    @classmethod
    def _grid_values(cls, grid: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for name, values in grid.items():
            if not values:
                raise ValueError(f"axis {name!r} has no values; list at least one")
            seen = set()
            for value in values:
                if (where := _non_finite(value)) is not None:
                    inside = f" (at {where})" if where else ""
                    raise ValueError(
                        f"axis {name!r}: {value!r}{inside} is not a finite number; "
                        "give finite values"
                    )
                canonical = _canonical(value)
                if canonical in seen:
                    raise ValueError(f"axis {name!r} lists {value!r} twice; list each value once")
                seen.add(canonical)
        return grid

    @model_validator(mode="after")
    def _disjoint_axes(self) -> SweepConfig:
        overlap = sorted(set(self.grid) & set(self.sample.ranges if self.sample else {}))
        if overlap:
            raise ValueError(f"axes {overlap} are both in grid and sample; keep one")
        return self

    @classmethod
    def from_dict(cls, data: dict[str, Any], relative_to: Path | None = None) -> SweepConfig:
        """Check a sweep table's shape and axis names; ``base_config`` is read relative to
        ``relative_to``. Run configs are validated by :meth:`resolve`."""
        data = dict(data)
        if "base_config" in data:
            if "base" in data:
                raise ConfigError("base_config: give either base_config or a [base] table")
            path = Path(str(data.pop("base_config")))
            if relative_to is not None and not path.is_absolute():
                path = relative_to / path
            data["base"] = resolve_corpus_path(read_toml(path), path.parent)
        elif relative_to is not None and isinstance(data.get("base"), dict):
            data["base"] = resolve_corpus_path(data["base"], relative_to)
        if isinstance(data.get("grid"), dict):
            data["grid"] = _dotted(data["grid"], "grid")
            paths = data["grid"].get("corpus.path")
            if relative_to is not None and isinstance(paths, list):
                data["grid"]["corpus.path"] = [
                    resolve_data_path(p, relative_to) if isinstance(p, str) else p for p in paths
                ]
        sample = data.get("sample")
        if isinstance(sample, dict) and isinstance(sample.get("ranges"), dict):
            data["sample"] = {**sample, "ranges": _dotted(sample["ranges"], "sample.ranges")}
        try:
            sweep = cls.model_validate(data)
        except ValidationError as exc:
            raise ConfigError(validation_message(exc, MarketConfig)) from None
        sweep._check_axis_names()
        return sweep

    @classmethod
    def from_toml(cls, path: str | Path) -> SweepConfig:
        path = Path(path)
        return cls.from_dict(read_toml(path), relative_to=path.parent)

    @property
    def axes(self) -> list[str]:
        """Swept field names: grid axes, then sampled axes."""
        return [*self.grid, *(self.sample.ranges if self.sample else {})]

    @property
    def n_points(self) -> int:
        """Axis points: the product of the grid axes' lengths, times ``sample.n``."""
        return math.prod(len(values) for values in self.grid.values()) * (
            self.sample.n if self.sample else 1
        )

    @property
    def run_count(self) -> int:
        """Runs planned (axis points x seeds), computed without building any of them."""
        return self.n_points * self.seeds

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
        return spawned_seeds(self.seed, self.seeds)

    def resolve(self) -> list[RunSpec]:
        """Every run (axis point x seed index) as a validated :class:`RunSpec`.

        Built once and kept (the sweep is frozen). Each axis point's config is validated
        once, whatever the number of seeds.

        Raises
        ------
        ConfigError
            One line naming the first axis (or the base) whose value makes an invalid
            config, or two axis points that make the same config.
        """
        if self._specs is None:
            self._specs = self._build_specs()
        return list(self._specs)

    def _check_axis_names(self) -> None:
        for name in self.axes:
            _check_axis_name(name)

    def _build_specs(self) -> list[RunSpec]:
        self._check_axis_names()
        base = _with_sweep_defaults(self.base)
        try:
            MarketConfig.from_dict(base)
        except ConfigError as exc:
            raise ConfigError(f"base: {exc}") from None
        seeds = self.run_seeds()
        specs, point_of_config = [], {}
        for point in self.points():
            config = _resolved(base, point)
            first = point_of_config.setdefault(run_key(config), point)
            if first is not point:
                raise ConfigError(
                    f"axis points {_where(first)} and {_where(point)} make the same config; "
                    "list each value once (for [sample], lower n or widen integer ranges)"
                )
            for index, seed in enumerate(seeds):
                seeded = config.model_copy(update={"seed": seed})
                specs.append(RunSpec(run_key(seeded), seeded, point, index))
        return specs


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
    raise ConfigError(f"axis point {_where(point)}: {error}") from None


def _where(point: dict[str, Any]) -> str:
    return ", ".join(f"{name} = {value!r}" for name, value in point.items()) or "(none)"


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
    if name in MOVED_FIELDS:
        raise ConfigError(f"axis {name}: moved to {MOVED_FIELDS[name]}; name that axis")
    if name in REMOVED_FIELDS:
        raise ConfigError(f"axis {name}: {REMOVED_FIELDS[name]}")
    try:
        field_type(MarketConfig, name)
    except ValueError as exc:
        raise ConfigError(f"axis {name}: {exc}") from None


def _is_int_field(name: str) -> bool:
    return field_type(MarketConfig, name) is int


def _non_finite(value: Any, where: str = "") -> str | None:
    """The dotted path of the first ``inf`` or ``nan`` inside ``value`` ("" for ``value``
    itself), else None."""
    if isinstance(value, float) and not math.isfinite(value):
        return where
    if isinstance(value, dict | list):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            inner = f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}".lstrip(".")
            if (found := _non_finite(item, inner)) is not None:
                return found
    return None


def _canonical(value: Any) -> str:
    """One text for equal axis values, so that ``2`` and ``2.0`` count as the same."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if isinstance(value, dict):
        return "{" + ",".join(f"{k!r}:{_canonical(v)}" for k, v in sorted(value.items())) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_canonical(v) for v in value) + "]"
    return repr(value)


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
