"""Wall time of one sweep run serially, on 2 local processes and on a 2-worker Dask LocalCluster.

Run: ``python bench/bench_sweep.py [--runs-per-mechanism 10]`` from the repository root.
Prints a Markdown table (wall time, and beside it the CPU time of this process and its
worker processes) and the load average before and after.

The sweep: 4 mechanisms (vcg, uniform_price, first_price, budget_feasible) x 10 seeds =
40 runs of a small head-mode market (12 annotators of capacity 4, 3 rounds of 16 labels,
budget 6, 20 head epochs on 40 gold evaluation pairs). Each executor writes a fresh store;
its time covers everything ``prefmarket sweep`` does (starting the pool or cluster, loading
MiniLM in every worker, running, writing). One warm-up run first puts MiniLM in the page
cache, which favours ``serial`` (it also keeps its imports), so the speed-ups are
conservative. The three stores are checked to hold identical results.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sim.experiments.executors import execute_run, run_sweep
from sim.experiments.result_store import ResultStore
from sim.experiments.sweep_config import SweepConfig

BASE = {
    "population": {"n_annotators": 12, "capacity": 4},
    "buyer": {"budget": 6.0, "rounds": 3, "demand_per_round": 16},
    "reward_model": {"trainable_layers": 0, "epochs": 20, "learning_rate": 0.01, "eval_pairs": 40},
}
MECHANISMS = ["vcg", "uniform_price", "first_price", "budget_feasible"]
EXECUTORS = ("serial", "processes", "dask")
WORKERS = 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs-per-mechanism", type=int, default=10)
    args = parser.parse_args()
    sweep = SweepConfig.from_dict(
        {"base": BASE, "seeds": args.runs_per_mechanism, "grid": {"mechanism.name": MECHANISMS}}
    )
    n_runs = len(sweep.resolve())
    warm = sweep.resolve()[0]
    execute_run(warm.key, warm.config)

    load_before = os.getloadavg()
    seconds, cpu_seconds, stores = {}, {}, {}
    with tempfile.TemporaryDirectory() as scratch:
        for executor in EXECUTORS:
            store = ResultStore(Path(scratch) / executor)
            cpu_before = _cpu_seconds()
            start = time.perf_counter()
            counts = run_sweep(sweep, store, executor=executor, workers=WORKERS, progress=False)
            seconds[executor] = time.perf_counter() - start
            cpu_seconds[executor] = _cpu_seconds() - cpu_before
            if counts.done != n_runs:
                raise SystemExit(f"{executor}: {counts.failed} of {n_runs} runs failed")
            stores[executor] = store.load_runs().rounds.sort_values(["run_key", "round"])
            print(
                f"{executor}: {seconds[executor]:.1f} s wall, {cpu_seconds[executor]:.1f} s CPU",
                file=sys.stderr,
            )
    load_after = os.getloadavg()
    for executor in EXECUTORS[1:]:
        pd.testing.assert_frame_equal(
            stores[executor].reset_index(drop=True), stores["serial"].reset_index(drop=True)
        )

    print(
        f"{n_runs} runs ({len(MECHANISMS)} mechanisms x {args.runs_per_mechanism} seeds), "
        f"{WORKERS} workers; {os.cpu_count()} CPUs, Python {platform.python_version()}; "
        f"load average (1, 5, 15 min) before {_load(load_before)}, after {_load(load_after)}; "
        "results identical across executors\n"
    )
    print("| executor | wall time (s) | CPU time (s) | runs/min | speed-up vs serial (wall) |")
    print("|---|---:|---:|---:|---:|")
    for executor in EXECUTORS:
        print(
            f"| {executor}{'' if executor == 'serial' else f' ({WORKERS} workers)'} "
            f"| {seconds[executor]:.1f} | {cpu_seconds[executor]:.1f} "
            f"| {60 * n_runs / seconds[executor]:.1f} "
            f"| {seconds['serial'] / seconds[executor]:.2f}x |"
        )


def _cpu_seconds() -> float:
    """User + system CPU time of this process and of its ended, reaped child processes
    (every executor's workers have ended by the time ``run_sweep`` returns)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _load(values: tuple[float, float, float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
