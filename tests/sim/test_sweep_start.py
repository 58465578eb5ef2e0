"""A sweep that cannot start writes nothing; its size is shown at once and capped.

Runs are :func:`~tests.sim.sweep_files.instant_run` stand-ins, so no market is trained.
"""

import dask
import pytest
import typer
from typer.testing import CliRunner

from sim.cli.sweeps import report_command, sweep_command
from sim.experiments import executors as sweep
from sim.experiments.sweep_config import MAX_RUNS
from tests.sim.sweep_files import TINY_BASE, TWO_BY_TWO, instant_run, write_sweep

app = typer.Typer()
app.command("sweep")(sweep_command)
app.command("report")(report_command)


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(autouse=True)
def instant_runs(monkeypatch):
    monkeypatch.setattr(sweep, "execute_run", instant_run)


def _snapshot(folder) -> dict:
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in folder.rglob("*")
        if p.is_file()
    }


def test_an_unreachable_scheduler_leaves_the_store_as_it_was(tmp_path):
    out = tmp_path / "store"
    assert invoke("sweep", write_sweep(tmp_path, TWO_BY_TWO), "--out", out).exit_code == 0
    before = _snapshot(out)
    other = write_sweep(tmp_path, TWO_BY_TWO.replace("seed = 3", "seed = 4"), "other.toml")
    with dask.config.set({"distributed.comm.timeouts.connect": "1s"}):
        for folder in (out, tmp_path / "new"):
            result = invoke(
                "sweep", other, "--out", folder, "--executor", "dask",
                "--scheduler", "tcp://127.0.0.1:9",
            )  # fmt: skip
            assert result.exit_code == 2
            assert result.stderr.splitlines()[-1].startswith(
                "error: --scheduler: cannot connect to tcp://127.0.0.1:9"
            )
    assert _snapshot(out) == before  # plan.json untouched: report still sees the 4 runs
    assert not (tmp_path / "new").exists()
    assert invoke("report", out).exit_code == 0


def test_the_planned_count_is_shown_and_a_larger_sweep_than_max_runs_refused(tmp_path):
    sweep_file = write_sweep(tmp_path, TWO_BY_TWO)
    out = tmp_path / "store"
    result = invoke("sweep", sweep_file, "--out", out, "--max-runs", 3)
    assert result.exit_code == 2
    assert result.stdout.startswith("sweep: 4 runs planned (2 axis points x 2 seeds)")
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "--max-runs" in lines[0]
    assert "4 runs" in lines[0]
    assert not out.exists()
    assert invoke("sweep", sweep_file, "--out", out, "--max-runs", 4).exit_code == 0


def test_the_default_limit_refuses_a_huge_sweep_before_building_it(tmp_path):
    text = (
        f"seeds = 10000\n{TINY_BASE}\n[sample]\nn = 100000\n"
        'ranges = { "buyer.budget" = [1.0, 9.0] }\n'
    )
    result = invoke("sweep", write_sweep(tmp_path, text), "--out", tmp_path / "store")
    assert result.exit_code == 2
    assert "1,000,000,000 runs planned" in result.stdout
    assert f"above the limit of {MAX_RUNS:,}" in result.stderr
    assert not (tmp_path / "store").exists()


def test_an_out_under_a_file_is_one_line(tmp_path):
    (tmp_path / "afile").write_text("x")
    result = invoke("sweep", write_sweep(tmp_path, TWO_BY_TWO), "--out", tmp_path / "afile/sub")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: --out: {tmp_path / 'afile'} is a file, so {tmp_path / 'afile' / 'sub'} "
        "cannot be a folder; give a folder path"
    )
    assert (tmp_path / "afile").read_text() == "x"


def test_a_folder_of_other_files_is_not_taken_for_a_store(tmp_path):
    project = tmp_path / "myproject"
    project.mkdir()
    (project / "plan.json").write_text("my own plan")
    result = invoke("sweep", write_sweep(tmp_path, TWO_BY_TWO), "--out", project)
    assert result.exit_code == 2
    assert "not a sweep store" in result.stderr
    assert [p.name for p in project.iterdir()] == ["plan.json"]
    assert (project / "plan.json").read_text() == "my own plan"
