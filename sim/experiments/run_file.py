"""A run file: a ``MarketConfig`` TOML plus what to compare it over.

::

    seed = 0
    seeds = 3                     # every row runs on the same 3 populations (paired)
    budgets = [16.0, 32.0, 48.0]  # the cost-efficiency frontier: each budget, every seed
    baseline = "posted_price"     # paired differences are taken against this row
    target_accuracy = 0.70        # the frontier reports the spend each row needs for it

    [buyer]                       # ... any MarketConfig section
    demand_mode = "budget"

    [compare.vcg]                 # rows: a mechanism (the name, unless mechanism.name says
    [compare.vickrey_qa_dpo]      # otherwise) and section overrides
    mechanism = { name = "vickrey_feedback", params = { labels_per_item = 2 } }
    buyer = { labels_per_item = 2, pair_weights = "qa_dpo" }

    [scenarios.learning_sellers]  # the same rows again with these overrides, at the base
    rows = ["vcg"]                # budget (absent: every row)
    population = { bidding_mix = { learning = 1.0 } }

    [fast]                        # overrides applied by --fast (sections, seeds, budgets)
    reward_model = { trainable_layers = 0 }
    budgets = [16.0]

Seeds: seed index ``i`` runs with ``sim.experiments.seeding.spawned_seeds(seed, seeds)[i]``,
the same for every row, budget and scenario (common random numbers). Without ``compare`` the
file runs its own ``[mechanism]``. Every run's ``reward_model.torch_threads`` is 1 unless the
file sets it: parallelism comes from worker processes, and one thread count for every run keeps
results independent of how many workers ran them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from sim.config import MarketConfig
from sim.config_fields import validation_message
from sim.config_files import ConfigError, read_toml, resolve_corpus_path
from sim.config_section import Section
from sim.experiments.seeding import spawned_seeds

MAIN_SCENARIO = "main"
"""The scenario of the file as written (scenario tables add others)."""
DEFAULT_BASELINE = "posted_price"
MAX_MARKETS = 10_000
"""A run file planning more markets is almost always a typo in ``seeds`` or ``budgets``."""
_FAST_TABLES = "fast: expected section tables such as reward_model = {trainable_layers = 0}"


class RunOptions(Section):
    """A run file's top-level keys besides the ``MarketConfig`` (module docstring)."""

    seeds: int = Field(1, ge=1, le=1000, description="populations every row runs on")
    budgets: tuple[float, ...] = Field((), description="total budgets of the frontier")
    baseline: str | None = Field(
        None, description="row the paired differences are taken to; None: posted_price or the first"
    )
    target_accuracy: float | None = Field(
        None, gt=0.5, lt=1.0, description="None: the baseline's reward accuracy at buyer.budget"
    )

    @field_validator("budgets")
    @classmethod
    def _positive(cls, budgets: tuple[float, ...]) -> tuple[float, ...]:
        if any(budget <= 0 for budget in budgets):
            raise ValueError("every budget must be > 0")
        if len(set(budgets)) != len(budgets):
            raise ValueError("a budget is listed twice; list each once")
        return budgets


@dataclass(frozen=True)
class Scenario:
    """Section overrides applied on top of each of ``rows``."""

    overrides: dict[str, dict]
    rows: tuple[str, ...]


@dataclass(frozen=True)
class PlannedRun:
    """One market of a plan: its row, scenario, total budget, seed index and config."""

    key: str
    row: str
    scenario: str
    budget: float
    seed_index: int
    config: MarketConfig


@dataclass(frozen=True)
class RunPlan:
    """What a run file asks for: the base config, its rows, options and scenarios."""

    base: MarketConfig
    rows: dict[str, dict]
    options: RunOptions
    scenarios: dict[str, Scenario]

    @property
    def seeds(self) -> list[int]:
        return spawned_seeds(self.base.seed, self.options.seeds)

    @property
    def budgets(self) -> tuple[float, ...]:
        """Every total budget, ascending; the base budget among them."""
        return tuple(sorted({*self.options.budgets, self.base.buyer.budget}))

    @property
    def n_markets(self) -> int:
        """Markets planned, counted without building them."""
        cells = len(self.rows) * len(self.budgets)
        cells += sum(len(scenario.rows) for scenario in self.scenarios.values())
        return cells * self.options.seeds

    @property
    def baseline(self) -> str:
        if self.options.baseline is not None:
            return self.options.baseline
        return DEFAULT_BASELINE if DEFAULT_BASELINE in self.rows else next(iter(self.rows))

    def runs(self) -> list[PlannedRun]:
        """Every market: each row at each budget, then each scenario's rows at the base
        budget; each over every seed."""
        cells = [(MAIN_SCENARIO, row, budget) for budget in self.budgets for row in self.rows]
        cells += [
            (name, row, self.base.buyer.budget)
            for name, scenario in self.scenarios.items()
            for row in scenario.rows
        ]
        planned = []
        for scenario, row, budget in cells:
            config = self.config(row, scenario, budget)
            for index, seed in enumerate(self.seeds):
                key = f"{scenario}/{row}/budget {self.budgets.index(budget)}/seed {index}"
                seeded = config.model_copy(update={"seed": seed})
                planned.append(PlannedRun(key, row, scenario, budget, index, seeded))
        return planned

    def config(self, row: str, scenario: str = MAIN_SCENARIO, budget: float | None = None):
        """The validated config of ``row`` in ``scenario`` at total ``budget`` (None: base)."""
        overrides = dict(self.rows[row])
        if scenario != MAIN_SCENARIO:
            for section, fields in self.scenarios[scenario].overrides.items():
                overrides[section] = {**overrides.get(section, {}), **fields}
        if budget is not None:
            overrides["buyer"] = {**overrides.get("buyer", {}), "budget": budget}
        return mechanism_config(self.base, row, overrides)


def mechanism_config(base: MarketConfig, name: str, overrides: dict) -> MarketConfig:
    """``base`` with mechanism ``name`` and per-section ``overrides`` merged in.

    A ``corpus.path`` override drops the base's ``corpus.sha256``, the digest of its file.
    """
    data = base.model_dump()
    data["mechanism"] = {"name": name, "params": {}}
    if "path" in overrides.get("corpus", {}):
        data["corpus"].pop("sha256")
    for section, fields in overrides.items():
        data[section] = {**data[section], **fields}
    return MarketConfig.from_dict(data)


def load_run_file(path: str | Path, fast: bool = False) -> RunPlan:
    """Read and validate a run file (module docstring); nothing runs.

    A ``[fast]`` table holds per-section overrides (and run options such as ``seeds``)
    applied only when ``fast``. A relative
    ``corpus.path``, in the file or in its tables, is relative to the file's folder. Every
    run's config is validated before anything runs; errors name the table and field.
    """
    folder = Path(path).parent
    data = read_toml(path)
    quick_options, quick = _fast_table(data.pop("fast", {}))
    if fast:
        _apply_fast(data, quick_options, quick)
    try:
        options = RunOptions.model_validate(
            {k: data.pop(k) for k in RunOptions.model_fields if k in data}
        )
    except ValidationError as exc:
        raise ConfigError(validation_message(exc, MarketConfig)) from None
    compare = data.pop("compare", None)
    scenario_tables = data.pop("scenarios", {})
    reward_model = data.setdefault("reward_model", {})
    if isinstance(reward_model, dict):
        reward_model.setdefault("torch_threads", 1)
    base = MarketConfig.from_dict(resolve_corpus_path(data, folder))
    if compare is None:
        rows = {base.mechanism.name: {"mechanism": {"params": base.mechanism.params}}}
    else:
        rows = _section_tables("compare", compare, folder)
    plan = RunPlan(base, rows, options, _scenarios(scenario_tables, rows, folder))
    _check_plan(plan)
    if (quick or quick_options) and not fast:  # what --fast runs is checked now, not later
        try:
            load_run_file(path, fast=True)
        except ConfigError as exc:
            raise ConfigError(f"fast: {exc}") from None
    return plan


def _fast_table(quick: Any) -> tuple[dict, dict[str, dict]]:
    """The ``[fast]`` table's run options (``seeds``, ``budgets``, ...) and its section
    overrides, each a table."""
    if not isinstance(quick, dict):
        raise ConfigError(_FAST_TABLES)
    quick = dict(quick)
    options = {k: quick.pop(k) for k in RunOptions.model_fields if k in quick}
    if any(not isinstance(v, dict) for v in quick.values()):
        raise ConfigError(_FAST_TABLES)
    return options, quick


def _apply_fast(data: dict, options: dict, sections: dict[str, dict]) -> None:
    """Make ``data`` (the file's tables) what ``--fast`` runs: ``[fast]``'s run ``options``
    replace the file's, its ``sections`` are merged into the file's sections."""
    data.update(options)
    for section, fields in sections.items():
        current = data.get(section, {})
        if not isinstance(current, dict):
            raise ConfigError(f"fast.{section}: {section} is not a section of the config")
        data[section] = {**current, **fields}


def _scenarios(tables: Any, rows: dict[str, dict], folder: Path) -> dict[str, Scenario]:
    """Read the ``[scenarios]`` tables: each one's rows (absent: every row of ``rows``) and
    section overrides, with corpus paths resolved against ``folder``."""
    scenarios = {}
    for name, table in _named_tables("scenarios", tables).items():
        if name == MAIN_SCENARIO:
            raise ConfigError(
                f"scenarios.{name}: '{name}' names the file as written; pick another name"
            )
        table = dict(table)
        listed = table.pop("rows", list(rows))
        if (
            not isinstance(listed, list)
            or not listed
            or any(not isinstance(row, str) or row not in rows for row in listed)
            or len(set(listed)) != len(listed)
        ):
            raise ConfigError(
                f"scenarios.{name}.rows: expected a list of distinct compare rows, some of "
                f"{list(rows)}"
            )
        overrides = _section_tables(f"scenarios.{name}", {"": table}, folder)[""]
        scenarios[name] = Scenario(overrides, tuple(listed))
    return scenarios


def _check_plan(plan: RunPlan) -> None:
    """Refuse a plan whose baseline is not a row or that plans too many markets, then
    validate every row and every scenario's rows (:func:`_checked`)."""
    if plan.options.baseline is not None and plan.options.baseline not in plan.rows:
        raise ConfigError(
            f"baseline: {plan.options.baseline!r} is not a row; use one of {list(plan.rows)}"
        )
    if plan.n_markets > MAX_MARKETS:
        raise ConfigError(
            f"seeds: the file plans {plan.n_markets:,} markets, above {MAX_MARKETS:,}; lower "
            "seeds or list fewer budgets, rows or scenario rows"
        )
    for name in plan.rows:
        _checked(f"compare.{name}", plan, name, MAIN_SCENARIO, max(plan.budgets))
    for name, scenario in plan.scenarios.items():
        for row in scenario.rows:
            _checked(f"scenarios.{name}", plan, row, name, None)


def _checked(where: str, plan: RunPlan, row: str, scenario: str, budget: float | None) -> None:
    """Validate ``row`` in ``scenario`` as written, then at ``budget``."""
    try:
        written = plan.config(row, scenario)
        plan.config(row, scenario, budget)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    except KeyError as exc:
        raise ConfigError(f"{where}: unknown section {exc}") from None
    if written.buyer.budget != plan.base.buyer.budget:
        raise ConfigError(
            f"{where}: buyer.budget: every row runs at the file's buyer.budget and budgets; "
            "set the budget there, not per row"
        )


def _named_tables(where: str, tables: Any) -> dict[str, dict]:
    if not isinstance(tables, dict) or any(not isinstance(t, dict) for t in tables.values()):
        raise ConfigError(f"{where}: expected tables [{where}.<name>], one per entry")
    return tables


def _section_tables(where: str, tables: Any, folder: Path) -> dict[str, dict]:
    """Each named table of section overrides, with corpus paths resolved against ``folder``."""
    if not isinstance(tables, dict) or not tables:
        raise ConfigError(
            f"{where}: expected tables [{where}.<mechanism>] (possibly empty), one per mechanism"
        )
    checked = {}
    for name, overrides in tables.items():
        label = f"{where}.{name}" if name else where
        if not isinstance(overrides, dict) or any(
            not isinstance(fields, dict) for fields in overrides.values()
        ):
            raise ConfigError(f"{label}: expected section tables such as mechanism = {{}}")
        checked[name] = resolve_corpus_path(overrides, folder)
    return checked
