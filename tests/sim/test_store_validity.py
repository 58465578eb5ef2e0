"""Run files are trusted only when valid, and a broken plan or failure record is named.

A sweep runs again any run whose stored file is truncated, empty, another run's, or
missing columns, and says so; ``report`` leaves such a file out and names it. Runs are
:func:`~tests.sim.sweep_files.instant_run` stand-ins, so no market is trained here.
"""

import json
import shutil

import pytest
import typer
from typer.testing import CliRunner

from sim.cli.sweeps import report_command, sweep_command
from sim.experiments import executors as sweep
from sim.experiments.result_store import ResultStore
from tests.sim.sweep_files import TWO_BY_TWO, instant_run, write_sweep

app = typer.Typer()
app.command("sweep")(sweep_command)
app.command("report")(report_command)


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A store holding the 4 runs of ``TWO_BY_TWO``, and the sweep file that made it."""
    monkeypatch.setattr(sweep, "execute_run", instant_run)
    sweep_file = write_sweep(tmp_path, TWO_BY_TWO)
    out = tmp_path / "store"
    result = invoke("sweep", sweep_file, "--out", out, "--no-progress")
    assert result.exit_code == 0, result.output
    return out, sweep_file


def _keys(out) -> list[str]:
    return [run["key"] for run in json.loads((out / "plan.json").read_text())["runs"]]


def _truncate(path):
    path.write_bytes(path.read_bytes()[:100])


def _empty(path):
    path.write_bytes(b"")


def _drop_a_column(path):
    import pyarrow.parquet as pq

    pq.write_table(pq.read_table(path).drop_columns(["reward_accuracy"]), path)


DAMAGE = {
    "truncated": (_truncate, "not a readable Parquet file"),
    "zero bytes": (_empty, "not a readable Parquet file"),
    "a column missing": (_drop_a_column, "missing columns reward_accuracy"),
}


@pytest.mark.parametrize("damage", DAMAGE)
def test_a_damaged_run_file_is_run_again_and_the_sweep_says_so(store, damage):
    out, sweep_file = store
    spoil, problem = DAMAGE[damage]
    key = _keys(out)[1]
    spoil(out / "runs" / f"{key}.parquet")

    result = invoke("sweep", sweep_file, "--out", out, "--no-progress")
    assert result.exit_code == 0, result.output
    assert "4 runs: 1 done, 3 skipped" in result.stdout
    assert f"{key}.parquet was invalid ({problem}" in result.stderr
    assert ResultStore(out).check_runs(_keys(out)) == (set(_keys(out)), {})


def test_a_run_file_copied_over_another_key_is_run_again(store):
    out, sweep_file = store
    first, second = _keys(out)[:2]
    shutil.copy(out / "runs" / f"{first}.parquet", out / "runs" / f"{second}.parquet")

    result = invoke("sweep", sweep_file, "--out", out, "--no-progress")
    assert "4 runs: 1 done, 3 skipped" in result.stdout
    assert "its run_key column names another run" in result.stderr
    rounds = ResultStore(out).load_runs().rounds
    assert set(rounds["run_key"]) == set(_keys(out))


@pytest.mark.parametrize("damage", ["copied", "truncated"])
def test_report_leaves_out_an_invalid_run_file_and_names_it(store, damage, tmp_path):
    out, _ = store
    first, second = _keys(out)[:2]
    path = out / "runs" / f"{second}.parquet"
    if damage == "copied":
        shutil.copy(out / "runs" / f"{first}.parquet", path)
    else:
        _truncate(path)

    result = invoke("report", out, "--out", tmp_path / "report")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert str(path) in warnings[0]
    outcomes = (tmp_path / "report" / "outcomes.csv").read_text()
    assert second not in outcomes
    assert outcomes.count(first) == 1  # the copy is not counted as a second run
    manifest = json.loads((tmp_path / "report" / "manifest.json").read_text())
    assert manifest["runs_finished"] == 3
    assert list(manifest["runs_invalid"]) == [str(path)]
    assert second[:12] in (tmp_path / "report" / "report.md").read_text()


@pytest.mark.parametrize("text", ["{}", "[]", '{"runs": [1, 2]}', "not json {"])
def test_a_broken_plan_is_named_in_one_line_and_not_taken_for_an_empty_store(store, text):
    out, _ = store
    (out / "plan.json").write_text(text)
    result = invoke("report", out)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {out / 'plan.json'}: ")
    assert "4 run files" in lines[0]
    assert "no finished run" not in lines[0]
    assert not (out / "report").exists()


def test_a_missing_plan_beside_stored_runs_says_they_are_there(store):
    out, _ = store
    (out / "plan.json").unlink()
    result = invoke("report", out)
    assert result.exit_code == 2
    assert "plan.json missing" in result.stderr
    assert "4 run files" in result.stderr


def test_a_plan_of_another_sweep_is_not_called_an_empty_store(store):
    out, _ = store
    plan = json.loads((out / "plan.json").read_text())
    plan["runs"] = [{**run, "key": f"{i:064x}"} for i, run in enumerate(plan["runs"])]
    (out / "plan.json").write_text(json.dumps(plan))
    result = invoke("report", out)
    assert result.exit_code == 2
    assert "none of the 4 runs" in result.stderr
    assert "holds 4 run files of another sweep" in result.stderr


def test_a_failure_record_of_a_finished_run_is_ignored_and_a_garbage_one_named(store, tmp_path):
    out, _ = store
    finished, unfinished = _keys(out)[:2]
    (out / "failures" / f"{finished}.json").write_text("garbage {")
    (out / "runs" / f"{unfinished}.parquet").unlink()
    (out / "failures" / f"{unfinished}.json").write_text("[1, 2]")

    result = invoke("report", out, "--out", tmp_path / "report")
    assert result.exit_code == 0, result.output
    failures = ResultStore(out).load_failures(finished=_keys(out)[:1])
    assert failures["run_key"].tolist() == [unfinished]
    assert str(out / "failures" / f"{unfinished}.json") in failures["message"].iloc[0]
    manifest = json.loads((tmp_path / "report" / "manifest.json").read_text())
    assert (manifest["runs_finished"], manifest["runs_failed"]) == (3, 1)
