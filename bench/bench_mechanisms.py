"""Clearing time of every registered mechanism, and VCG's speed-up over the naive re-solve.

Run: ``python bench/bench_mechanisms.py`` from the repository root. Prints Markdown tables.

Market at each size n: costs (= truthful asks) i.i.d. U[0,1], buyer values i.i.d.
U[0.5, 1.5], capacities uniform on {1, 2, 3}, demand n labels (about half the supply),
budget 0.3 n (only mechanisms that respect a budget use it; VCG ignores it). Parameters:
``myerson`` knows the true cost distribution U[0,1]; ``posted_price`` posts 0.5;
the others use their defaults. Each figure is the least of several calls (wall-clock and
process CPU time), which is robust to other processes on a shared machine.

VCG speed-up: one naive VCG (one welfare solve with everyone plus one without each seller,
``tests/mechanisms/naive_vcg.py``) against the O(n log n) VCG on the same n = 2,000 market,
after checking that both give the same outcome.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.mechanisms.naive_vcg

from mechanisms import Market, UnknownMechanismError, available_mechanisms, get_mechanism
from tests.mechanisms.naive_vcg import naive_vcg

SIZES = (100, 1_000, 10_000, 100_000)
SPEEDUP_SIZE = 2_000
PARAMETERS = {"myerson": {"distribution": stats.uniform(0, 1)}, "posted_price": {"price": 0.5}}


def bench_market(n_sellers: int, rng: np.random.Generator) -> tuple[np.ndarray, Market]:
    """Truthful asks and the market described in the module docstring."""
    asks = rng.uniform(size=n_sellers)
    market = Market(
        values=rng.uniform(0.5, 1.5, size=n_sellers),
        capacities=rng.integers(1, 4, size=n_sellers),
        demand=n_sellers,
        budget=0.3 * n_sellers,
    )
    return asks, market


def least_time(clear, args: tuple, repeats: int) -> tuple[float, float]:
    """Least wall-clock and least process CPU seconds of ``repeats`` calls ``clear(*args)``."""
    wall, cpu = [], []
    for _ in range(repeats):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        clear(*args)
        wall.append(time.perf_counter() - wall_start)
        cpu.append(time.process_time() - cpu_start)
    return min(wall), min(cpu)


def repeats_for(n_sellers: int) -> int:
    return 30 if n_sellers <= 10_000 else 7


def machine() -> str:
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        model = next(
            line.split(":", 1)[1].strip()
            for line in lscpu.splitlines()
            if line.startswith("Model name")
        )
    except (OSError, subprocess.CalledProcessError, StopIteration):
        model = platform.processor() or "unknown CPU"
    return (
        f"{model}, {os.cpu_count()} CPU cores, Python {platform.python_version()}, "
        f"numpy {np.__version__}"
    )


def clearing_table() -> None:
    markets = {n: bench_market(n, np.random.default_rng(n)) for n in SIZES}
    header = " | ".join(f"n = {n:,}" for n in SIZES)
    print(f"| mechanism | {header} |")
    print("|---|" + "---:|" * len(SIZES))
    for name in available_mechanisms():
        try:
            mechanism = get_mechanism(name, **PARAMETERS.get(name, {}))
        except UnknownMechanismError as exc:
            print(f"| {name} | skipped: {exc} |")
            continue
        cells = []
        for n in SIZES:
            asks, market = markets[n]
            args = (asks, market, np.random.default_rng(0))
            wall, cpu = least_time(mechanism.run, args, repeats_for(n))
            cells.append(f"{wall * 1e3:.3g} ms ({cpu * 1e3:.3g})")
        print(f"| {name} | " + " | ".join(cells) + " |")
    print("\nCells: least wall-clock ms per clearing (least process CPU ms in brackets).")


def vcg_speedup() -> None:
    asks, market = bench_market(SPEEDUP_SIZE, np.random.default_rng(SPEEDUP_SIZE))
    fast = get_mechanism("vcg")
    fast_outcome = fast.run(asks, market, np.random.default_rng(0))
    naive_outcome = naive_vcg(asks, market)
    np.testing.assert_array_equal(fast_outcome.allocation, naive_outcome.allocation)
    np.testing.assert_allclose(fast_outcome.payments, naive_outcome.payments, atol=1e-9)
    fast_wall, fast_cpu = least_time(fast.run, (asks, market, np.random.default_rng(0)), 30)
    naive_wall, naive_cpu = least_time(naive_vcg, (asks, market), 3)
    print(f"\nVCG at n = {SPEEDUP_SIZE:,} (same outcome checked):")
    print(f"- O(n log n) VCG: {fast_wall * 1e3:.3g} ms wall, {fast_cpu * 1e3:.3g} ms CPU")
    print(f"- naive n+1 re-solves: {naive_wall * 1e3:.4g} ms wall, {naive_cpu * 1e3:.4g} ms CPU")
    print(
        f"- speed-up: {naive_wall / fast_wall:,.0f}x wall-clock, "
        f"{naive_cpu / max(fast_cpu, 1e-9):,.0f}x CPU"
    )


if __name__ == "__main__":
    print(f"Machine: {machine()}\n")
    clearing_table()
    vcg_speedup()
