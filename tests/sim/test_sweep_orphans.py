"""``kill -9`` of a sweep leaves no worker process behind, for local processes and the
embedded Dask cluster: the workers, and the resource tracker, end within seconds."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from tests.sim.sweep_files import TINY_BASE, write_sweep

REPO = Path(__file__).resolve().parents[2]
FOUR_RUNS = "seeds = 4\n" + TINY_BASE
START_TIMEOUT_S = 180
BUSY_RSS = 300 * 2**20
"""A worker this large has imported torch, so it runs a market (it is past its start-up)."""
END_TIMEOUT_S = 10


def _gone(process: psutil.Process) -> bool:
    try:
        return process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def _busy_workers(parent: psutil.Process) -> list[psutil.Process]:
    busy = []
    for child in parent.children(recursive=True):
        try:
            if child.memory_info().rss > BUSY_RSS:
                busy.append(child)
        except psutil.NoSuchProcess:
            pass
    return busy


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_killing_a_sweep_ends_its_workers(tmp_path, executor):
    sweep_file = write_sweep(tmp_path, FOUR_RUNS)
    log = (tmp_path / "sweep.log").open("w")
    command = [sys.executable, "-m", "sim.cli", "sweep", str(sweep_file)]
    command += ["--out", str(tmp_path / "store"), "--executor", executor, "--workers", "2"]
    sweep = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
    parent = psutil.Process(sweep.pid)
    children = []
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while len(_busy_workers(parent)) < 2:
            assert sweep.poll() is None, (tmp_path / "sweep.log").read_text()
            assert time.monotonic() < deadline, "the workers never started a run"
            time.sleep(0.2)
        children = parent.children(recursive=True)
        os.kill(sweep.pid, signal.SIGKILL)
        sweep.wait()
        deadline = time.monotonic() + END_TIMEOUT_S
        while not all(_gone(child) for child in children) and time.monotonic() < deadline:
            time.sleep(0.2)
        left = [child.pid for child in children if not _gone(child)]
        assert left == [], f"{len(left)} of {len(children)} child processes outlived the sweep"
    finally:
        sweep.kill()
        sweep.wait()
        log.close()
        for child in children:
            if not _gone(child):
                child.kill()
