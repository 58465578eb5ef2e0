"""A sweep killed part-way (SIGKILL to its process group) resumes without loss or rework."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import typer
from typer.testing import CliRunner

from sim.cli.sweeps import report_command, sweep_command
from sim.experiments.result_store import ResultStore
from tests.sim.sweep_files import TINY_BASE, write_sweep

REPO = Path(__file__).resolve().parents[2]
SIX_RUNS = (
    "seeds = 3\nseed = 5\n" + TINY_BASE + '\n[grid]\nmechanism.name = ["vcg", "uniform_price"]\n'
)
START_TIMEOUT_S = 180


def test_a_killed_sweep_resumes_with_every_run_once_and_nothing_recomputed(tmp_path):
    sweep_file = write_sweep(tmp_path, SIX_RUNS)
    out = tmp_path / "store"
    runs = out / "runs"
    log = (tmp_path / "sweep.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "sweep", str(sweep_file), "--out", str(out)],
        cwd=REPO,
        start_new_session=True,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not list(runs.glob("*.parquet")) and time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "sweep.log").read_text()
            time.sleep(0.05)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        log.close()

    survivors = {p.name: (p.stat().st_ino, p.stat().st_mtime_ns) for p in runs.glob("*.parquet")}
    assert 1 <= len(survivors) < 6, "the kill must land part-way through the sweep"
    for name in survivors:
        assert pq.read_table(runs / name).num_rows == 2  # complete: both rounds

    app = typer.Typer()
    app.command("sweep")(sweep_command)
    app.command("report")(report_command)  # two commands, so "sweep" names one
    result = CliRunner().invoke(app, ["sweep", str(sweep_file), "--out", str(out), "--no-progress"])
    assert result.exit_code == 0, result.output
    assert f"{6 - len(survivors)} done, {len(survivors)} skipped" in result.stdout

    for name, identity in survivors.items():
        path = runs / name
        assert (path.stat().st_ino, path.stat().st_mtime_ns) == identity  # not recomputed
    assert sorted(p.name for p in runs.iterdir()) == sorted(
        p.name for p in runs.glob("[!.]*.parquet")
    )  # no temporary file left behind
    store = ResultStore(out)
    plan_keys = [run["key"] for run in store.read_plan()["runs"]]
    assert len(set(plan_keys)) == 6
    assert store.check_runs(plan_keys) == (set(plan_keys), {})
    loaded = store.load_runs().rounds
    assert loaded.groupby("run_key").size().to_dict() == dict.fromkeys(plan_keys, 2)
