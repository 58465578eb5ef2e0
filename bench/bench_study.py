"""A run file's markets timed on this machine, and its report written from them, in two steps.

``run`` executes every market of the plan (``sim.experiments.plan_runs.run_comparison``, the same
markets and seeds as ``prefmarket run``) and writes ``results/<table>.parquet`` and
``timing.json`` (wall-clock and CPU seconds, markets, workers, device); it needs no matplotlib,
so it runs on a bare GPU machine. ``report`` writes the usual report folder (tables, figures,
findings, report.html) from such a folder, as ``prefmarket run`` would have:

    python bench/bench_study.py run examples/study.toml --workers 12 --out out/study-gpu
    python bench/bench_study.py report examples/study.toml out/study-gpu --out out/study-report
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import pandas as pd

from sim.experiments.output import write_tables
from sim.experiments.plan_runs import run_comparison
from sim.experiments.run_file import load_run_file


def cpu_seconds() -> float:
    """CPU seconds of this process and its finished children (the worker processes)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def device_name() -> str:
    import torch

    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)} x {torch.cuda.device_count()}"
    return f"CPU ({os.cpu_count()} cores, {platform.processor() or platform.machine()})"


def run(args: argparse.Namespace) -> None:
    plan = load_run_file(args.file, fast=args.fast)
    wall_start, cpu_start = time.perf_counter(), cpu_seconds()
    results = run_comparison(plan, args.workers)
    wall, cpu = time.perf_counter() - wall_start, cpu_seconds() - cpu_start
    (args.out / "results").mkdir(parents=True, exist_ok=True)
    write_tables(results, args.out / "results")
    timing = {
        "file": str(args.file),
        "fast": args.fast,
        "markets": plan.n_markets,
        "workers": args.workers,
        "device": device_name(),
        "wall_s": round(wall, 1),
        "cpu_s": round(cpu, 1),
        "labels_per_market": float(
            results["rounds"].groupby(["mechanism", "budget", "seed_index"])["labels"].sum().mean()
        ),
    }
    (args.out / "timing.json").write_text(json.dumps(timing, indent=1) + "\n")
    print(json.dumps(timing))


def report(args: argparse.Namespace) -> None:
    from sim.experiments.comparison import write_comparison  # matplotlib: not on a GPU box

    plan = load_run_file(args.file, fast=args.fast)
    folder = args.results
    timing = json.loads((folder / "timing.json").read_text())
    results = {
        path.stem: pd.read_parquet(path) for path in sorted((folder / "results").glob("*.parquet"))
    }
    title = f"{args.file} on {timing['device']}, {timing['workers']} workers"
    write_comparison(args.out, plan, title, finished=(results, timing["wall_s"]))
    print(f"wrote {args.out / 'report.md'}")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    steps = parser.add_subparsers(dest="step", required=True)
    for name in ("run", "report"):
        step = steps.add_parser(name)
        step.add_argument("file", type=Path, help="a run file, e.g. examples/study.toml")
        if name == "report":
            step.add_argument("results", type=Path, help="a folder written by `run`")
        step.add_argument("--out", type=Path, required=True)
        step.add_argument("--fast", action="store_true", help="apply the file's [fast] table")
        if name == "run":
            step.add_argument("--workers", type=int, default=4)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse_args()
    (run if arguments.step == "run" else report)(arguments)
