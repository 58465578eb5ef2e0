"""``report --out`` never deletes what it did not write.

It refuses the store, any folder inside the store but the default ``DIR/report``, a folder
holding the store, a folder of other files, and a path under a file; it replaces an
earlier report. Runs are :func:`~tests.sim.sweep_files.instant_run` stand-ins.
"""

import json

import pytest
import typer
from typer.testing import CliRunner

from sim.cli.sweeps import report_command, sweep_command
from sim.experiments import executors as sweep
from tests.sim.sweep_files import TWO_BY_TWO, instant_run, write_sweep

app = typer.Typer()
app.command("sweep")(sweep_command)
app.command("report")(report_command)


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setattr(sweep, "execute_run", instant_run)
    out = tmp_path / "store"
    result = invoke("sweep", write_sweep(tmp_path, TWO_BY_TWO), "--out", out, "--no-progress")
    assert result.exit_code == 0, result.output
    return out


def _snapshot(folder) -> dict:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    "where", ["the store", "its runs folder", "a new folder in the store", "a folder holding it"]
)
def test_report_refuses_an_out_in_or_around_the_store(store, where):
    out = {
        "the store": store,
        "its runs folder": store / "runs",
        "a new folder in the store": store / "elsewhere",
        "a folder holding it": store.parent,
    }[where]
    before = _snapshot(store.parent)
    result = invoke("report", store, "--out", out)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: --out: ")
    assert "store" in lines[0]
    assert _snapshot(store.parent) == before


def test_report_refuses_a_folder_of_other_files_and_keeps_them(store, tmp_path):
    project = tmp_path / "myproject"
    project.mkdir()
    (project / "notes.txt").write_text("mine")
    result = invoke("report", store, "--out", project)
    assert result.exit_code == 2
    assert "not a report" in result.stderr
    assert _snapshot(project) == {"notes.txt": b"mine"}


def test_report_refuses_a_default_report_folder_that_is_not_a_report(store):
    (store / "report").mkdir()
    (store / "report" / "mine.csv").write_text("a,b\n")
    result = invoke("report", store)
    assert result.exit_code == 2
    assert (store / "report" / "mine.csv").read_text() == "a,b\n"


def test_report_under_a_file_is_one_line(store, tmp_path):
    (tmp_path / "afile").write_text("x")
    result = invoke("report", store, "--out", tmp_path / "afile" / "sub")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: --out: {tmp_path / 'afile'} is a file, so {tmp_path / 'afile' / 'sub'} "
        "cannot be a folder; give a folder path"
    )


def test_report_replaces_an_earlier_report_in_place_and_by_default(store, tmp_path):
    out = tmp_path / "report"
    assert invoke("report", store, "--out", out).exit_code == 0
    (out / "stale.txt").write_text("from the earlier report")
    assert invoke("report", store, "--out", out).exit_code == 0
    assert not (out / "stale.txt").exists()
    assert json.loads((out / "manifest.json").read_text())["command"] == "report"

    for _ in range(2):
        result = invoke("report", store)
        assert result.exit_code == 0, result.output
    assert (store / "report" / "report.md").is_file()
    assert invoke("report", store, "--out", store / "report").exit_code == 0
