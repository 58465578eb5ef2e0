"""How long the built-in corpus takes to generate, beside loading the same pairs from a file.

Rows: ``builtin_corpus(seed)`` for ``--seeds`` distinct seeds, each seed's first call in the
process (so generated from nothing, not served by the per-process cache); and, as the
reference a user would otherwise reach for, ``load_preferences`` on the same corpus written as
a ``prompt, chosen, rejected`` JSONL file with its attribute scores (``export_preferences``,
both splits). Figures: wall-clock
seconds per corpus (median, min, max over seeds) and this process's CPU seconds beside them.
Target (issue 13): generating the corpus stays under 2 s.

Run: ``python bench/bench_corpus.py [--write]``; ``--write`` replaces this benchmark's
section of ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from results_file import write_section

from sim.corpus import builtin_corpus, export_preferences, load_preferences

SECTION = "## Built-in corpus generation (bench/bench_corpus.py)"
TARGET_SECONDS = 2.0


def timed(call) -> tuple[float, float]:
    """Wall-clock and process CPU seconds of one ``call()``."""
    wall, cpu = time.perf_counter(), time.process_time()
    call()
    return time.perf_counter() - wall, time.process_time() - cpu


def exported_file(folder: Path) -> Path:
    """The built-in corpus (seed 0), both splits, in one JSONL file with its scores."""
    frames = [
        export_preferences(builtin_corpus(0), split, folder / f"{split}.jsonl")
        for split in ("train", "test")
    ]
    path = folder / "builtin.jsonl"
    pd.concat(frames).to_json(path, orient="records", lines=True)
    return path


def row(name: str, times: list[tuple[float, float]]) -> str:
    wall, cpu = np.array(times).T
    return (
        f"| {name} | {np.median(wall):.3f} | {wall.min():.3f} | {wall.max():.3f} | "
        f"{np.median(cpu):.3f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--write", action="store_true", help="update bench/RESULTS.md")
    args = parser.parse_args()
    seeds = range(args.seeds)
    generated = [timed(lambda seed=seed: builtin_corpus(seed)) for seed in seeds]
    with tempfile.TemporaryDirectory() as folder:
        path = exported_file(Path(folder))
        loaded = [timed(lambda seed=seed: load_preferences(path, seed=seed)) for seed in seeds]
    pairs = sum(len(builtin_corpus(0).pairs(split)) for split in ("train", "test"))
    slowest = max(wall for wall, _ in generated)
    body = "\n".join(
        [
            f"{pairs} pairs per corpus, {args.seeds} seeds. Machine: {platform.machine()}, "
            f"{os.cpu_count()} CPUs, Python {platform.python_version()}.",
            "",
            "| corpus from | wall s, median | min | max | CPU s, median |",
            "|---|---|---|---|---|",
            row("builtin_corpus(seed), generated", generated),
            row("load_preferences(JSONL export with scores)", loaded),
            "",
            f"Target: generating the corpus under {TARGET_SECONDS:.0f} s: slowest seed "
            f"{slowest:.3f} s ({'met' if slowest < TARGET_SECONDS else 'NOT met'}).",
        ]
    )
    print(body)
    if args.write:
        write_section(SECTION, body)


if __name__ == "__main__":
    main()
