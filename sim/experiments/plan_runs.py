"""Running every market of a run file's plan: on local worker processes (or in this process),
each result table concatenated in plan order with the identity columns ``scenario, mechanism,
budget, seed_index, seed``.

This module draws nothing and imports no plotting library, so a bare machine (a GPU box) can
run a plan's markets and hand the tables to another for the report
(``bench/bench_study.py``).
"""

from __future__ import annotations

import os

import pandas as pd
from tqdm.auto import tqdm

from sim.experiments.executors import execute_runs
from sim.experiments.run_file import RunPlan


class ComparisonError(ValueError):
    """A market of the comparison failed; the message names its row, scenario and seed."""


CPU_WORKERS = 4
"""Most default workers without a GPU: each trains on its CPU core, and memory grows with them."""
GPU_WORKERS = 16
"""Most default workers sharing a GPU. On one H200 with 16 cores, 12 workers ran the study's 210
fine-tuned markets in 183 s with 11.7 cores busy and the GPU waiting on them (bench/RESULTS.md):
a market's auctions and labelling run on the CPU, so workers pay off up to the core count."""


def default_workers(n_runs: int) -> int:
    """One worker per CPU this process may use, at most ``CPU_WORKERS`` (``GPU_WORKERS`` where
    torch sees a GPU, which they share), and no more than there are runs."""
    from sim.reward.devices import gpu_count

    most = GPU_WORKERS if gpu_count() else CPU_WORKERS
    return max(1, min(most, len(os.sched_getaffinity(0)), n_runs))


def run_comparison(
    plan: RunPlan, workers: int | None = None, progress: bool = True
) -> dict[str, pd.DataFrame]:
    """Every market of ``plan``; each result table concatenated in plan order with the
    identity columns ``scenario, mechanism, budget, seed_index, seed``."""
    runs = plan.runs()
    workers = default_workers(len(runs)) if workers is None else workers
    by_key = {run.key: run for run in runs}
    finished: dict[str, dict[str, pd.DataFrame]] = {}
    with tqdm(total=len(runs), desc="markets", disable=not progress) as bar:
        for result in execute_runs(runs, workers):
            run = by_key[result.key]
            if result.tables is None:
                where = f"{run.row}, scenario {run.scenario}, budget {run.budget:g}"
                raise ComparisonError(f"{where}, seed {run.seed_index}: {result.message}")
            identity = {
                "scenario": run.scenario,
                "mechanism": run.row,
                "budget": run.budget,
                "seed_index": run.seed_index,
                "seed": run.config.seed,
            }
            finished[run.key] = {k: t.assign(**identity) for k, t in result.tables.items()}
            bar.update()
    names = finished[runs[0].key].keys()
    return {
        name: pd.concat([finished[run.key][name] for run in runs], ignore_index=True)
        for name in names
    }
