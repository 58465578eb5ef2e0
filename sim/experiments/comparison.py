"""Run one market per mechanism on the same population and budget, and write the results.

Every run shares the config's seed, so all mechanisms face the same annotators (costs,
skills, judges), the same evaluation pairs and the same budget; only the mechanism,
and what follows from it, differs.
"""

from __future__ import annotations

import time
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from analysis.report import write_report
from sim.config import ConfigError, MarketConfig, merge_section, read_toml, resolve_corpus_path
from sim.experiments.output import manifest, staged_dir, write_json, write_tables
from sim.market import MarketModel

DEMO_FILE = Path(__file__).resolve().parents[2] / "examples" / "demo.toml"
"""The demo's run file: its mechanisms, their overrides and the ``[fast]`` table."""


def mechanism_config(base: MarketConfig, name: str, overrides: dict) -> MarketConfig:
    """``base`` with mechanism ``name`` and per-section ``overrides`` merged in.

    A ``corpus.path`` override drops the base's ``corpus.sha256``, the digest of its file.
    """
    data = base.model_dump()
    data["mechanism"] = {"name": name, "params": {}}
    if "path" in overrides.get("corpus", {}):
        data["corpus"].pop("sha256")
    for section, fields in overrides.items():
        data[section] = merge_section(section, data[section], fields)
    return MarketConfig.from_dict(data)


def load_run_file(path: str | Path, fast: bool = False) -> tuple[MarketConfig, dict[str, dict]]:
    """Read a run file: a MarketConfig TOML, optionally with ``[compare.<mechanism>]`` tables.

    Without ``compare`` the file runs its own ``[mechanism]``. With it, each named
    mechanism runs on the same config, its table holding per-section overrides (such as
    ``mechanism = {params = {price = 0.1}}``). A ``[fast]`` table holds per-section
    overrides applied only when ``fast`` (``--fast``). A relative ``corpus.path``, in the
    file or in its tables, is relative to the file's folder. Every resulting config is
    validated before anything runs; errors name the mechanism and field.
    """
    folder = Path(path).parent
    data = read_toml(path)
    quick = data.pop("fast", {})
    if not isinstance(quick, dict) or any(not isinstance(v, dict) for v in quick.values()):
        raise ConfigError("fast: expected section tables such as reward_model = {mode = 'head'}")
    if fast:
        for section, fields in quick.items():
            current = data.get(section, {})
            if not isinstance(current, dict):
                raise ConfigError(f"fast.{section}: {section} is not a section of the config")
            data[section] = merge_section(section, current, fields)
    compare = data.pop("compare", None)
    base = MarketConfig.from_dict(resolve_corpus_path(data, folder))
    if compare is None:
        return base, {base.mechanism.name: {"mechanism": {"params": base.mechanism.params}}}
    if not isinstance(compare, dict) or not compare:
        raise ConfigError(
            "compare: expected tables [compare.<mechanism>] (possibly empty), one per mechanism"
        )
    for name, overrides in compare.items():
        if not isinstance(overrides, dict) or any(
            not isinstance(fields, dict) for fields in overrides.values()
        ):
            raise ConfigError(f"compare.{name}: expected section tables such as mechanism = {{}}")
        compare[name] = overrides = resolve_corpus_path(overrides, folder)
        try:
            mechanism_config(base, name, overrides)
        except ConfigError as exc:
            raise ConfigError(f"compare.{name}: {exc}") from None
        except KeyError as exc:
            raise ConfigError(f"compare.{name}: unknown section {exc}") from None
    return base, compare


def run_comparison(
    base: MarketConfig, mechanisms: dict[str, dict], progress: bool = True
) -> dict[str, pd.DataFrame]:
    """Run ``base`` once per mechanism (name -> config overrides); tables concatenated
    with a ``mechanism`` column."""
    tables: dict[str, list[pd.DataFrame]] = {}
    bar = tqdm(mechanisms.items(), desc="mechanisms", disable=not progress)
    for name, overrides in bar:
        bar.set_postfix_str(name)
        config = mechanism_config(base, name, overrides)
        results = MarketModel(config, progress=progress).run().results()
        for key, frame in results.items():
            tables.setdefault(key, []).append(frame.assign(mechanism=name))
    return {key: pd.concat(frames, ignore_index=True) for key, frames in tables.items()}


def write_comparison(
    out: Path,
    base: MarketConfig,
    mechanisms: dict[str, dict],
    title: str,
    progress: bool = True,
    overwrite: bool = False,
) -> pd.DataFrame:
    """Run the comparison and write results, manifest and report to ``out`` atomically.

    ``out`` receives ``results/<table>.parquet``, ``manifest.json``, ``report.md``,
    ``summary.csv`` and ``figures/*.png``; it appears only when everything is written.
    An ``out`` that another run filled meanwhile is replaced only when ``overwrite``
    (see :func:`sim.experiments.output.staged_dir`). Returns the summary table.
    """
    started = time.perf_counter()
    results = run_comparison(base, mechanisms, progress)
    wall = time.perf_counter() - started
    with staged_dir(out, overwrite=overwrite) as staging:
        (staging / "results").mkdir()
        write_tables(results, staging / "results")
        preamble = (
            f"{len(mechanisms)} mechanisms, one population of "
            f"{base.population.n_annotators} annotators, budget {base.buyer.budget:g} over "
            f"{base.buyer.rounds} rounds, reward model {base.reward_model.backbone} "
            f"({base.reward_model.mode}), seed {base.seed}; wall time {wall:.0f} s."
        )
        summary = write_report(
            results["rounds"],
            results["annotators"],
            staging,
            title=title,
            preamble=preamble,
        )
        write_json(
            manifest(
                config=base.model_dump(mode="json"),
                mechanisms=mechanisms,
                seed=base.seed,
                wall_time_s=round(wall, 1),
            ),
            staging / "manifest.json",
        )
    return summary
