"""Running sweeps: every executor gives the same results, failures are recorded and the
sweep goes on, bad sweep files stop before any run, and the report holds what it promises.

The commands are exercised through a typer app built here, as ``sim.cli`` registers them.
"""

import json
import re

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import typer
from scipy import stats
from typer.testing import CliRunner

from analysis.sweep_report import OUTCOMES
from sim.cli.sweeps import report_command, sweep_command
from sim.experiments.executors import run_sweep
from sim.experiments.result_store import ResultStore
from sim.experiments.sweep_config import SweepConfig
from tests.sim.sweep_files import MECHANISMS_BY_BUDGET, WITH_A_FAILING_MECHANISM, write_sweep

app = typer.Typer()
app.command("sweep")(sweep_command)
app.command("report")(report_command)
runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def stored(store_dir) -> pd.DataFrame:
    runs = ResultStore(store_dir).load_runs().rounds
    return runs.sort_values(["run_key", "round"]).reset_index(drop=True)


@pytest.fixture(scope="module")
def serial_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serial")
    sweep_file = write_sweep(folder, MECHANISMS_BY_BUDGET)
    result = invoke("sweep", sweep_file, "--out", folder / "store", "--no-progress")
    assert result.exit_code == 0, result.output
    assert "8 runs: 8 done, 0 skipped (already stored), 0 failed" in result.stdout
    return folder / "store"


@pytest.mark.parametrize("executor", ["processes", "dask"])
def test_every_executor_gives_the_serial_results(serial_store, tmp_path, executor):
    """Half of the serial sweep (one budget) on 2 processes, and on a 2-worker LocalCluster."""
    sweep = SweepConfig.from_dict(
        {
            "seeds": 2,
            "seed": 11,
            "base": _tiny_base(),
            "grid": {"mechanism.name": ["vcg", "first_price"], "buyer.budget": [2.0]},
        }
    )
    counts = run_sweep(sweep, ResultStore(tmp_path), executor=executor, workers=2, progress=False)
    failures = ResultStore(tmp_path).load_failures()
    assert (counts.done, counts.skipped, counts.failed) == (4, 0, 0), failures.to_dict("records")
    got = stored(tmp_path)
    serial = stored(serial_store)
    expected = serial[serial["run_key"].isin(got["run_key"])].reset_index(drop=True)
    assert expected["run_key"].nunique() == 4  # same configs and seeds, so the same keys
    pd.testing.assert_frame_equal(got, expected)


def test_a_rerun_skips_every_finished_run(serial_store, tmp_path):
    sweep_file = write_sweep(tmp_path, MECHANISMS_BY_BUDGET)
    before = {p.name: p.stat().st_mtime_ns for p in (serial_store / "runs").iterdir()}
    result = invoke("sweep", sweep_file, "--out", serial_store, "--no-progress")
    assert result.exit_code == 0, result.output
    assert "8 runs: 0 done, 8 skipped" in result.stdout
    assert {p.name: p.stat().st_mtime_ns for p in (serial_store / "runs").iterdir()} == before


def test_a_failing_run_is_recorded_and_the_sweep_goes_on(tmp_path):
    sweep_file = write_sweep(tmp_path, WITH_A_FAILING_MECHANISM)
    out = tmp_path / "store"
    result = invoke("sweep", sweep_file, "--out", out, "--no-progress")
    assert result.exit_code == 1
    assert "3 runs: 2 done, 0 skipped (already stored), 1 failed" in result.stdout
    store = ResultStore(out)
    assert set(store.load_runs().rounds["mechanism"]) == {"first_price", "vcg"}
    failures = list((out / "failures").glob("*.json"))
    assert len(failures) == 1
    record = json.loads(failures[0].read_text())
    assert record["error"] == "RuntimeError"
    assert "fails on purpose" in record["message"]
    assert record["config"]["mechanism"]["name"].endswith(":RaisingMechanism")
    assert failures[0].stem not in store.stored_keys()

    again = invoke("sweep", sweep_file, "--out", out, "--no-progress")
    assert "3 runs: 0 done, 2 skipped (already stored), 1 failed" in again.stdout  # retried


BAD_SWEEPS = {
    "unknown field": ('seeds = 1\n[grid]\n"buyer.budgett" = [1.0]\n', "buyer.budgett"),
    "wrong type": ('seeds = 1\n[grid]\n"buyer.budget" = ["lots"]\n', "buyer.budget"),
    "bad value": ("seeds = 1\n[grid]\npopulation.n_annotators = [12, 1]\n", "n_annotators = 1"),
    "bad mechanism": ('[grid]\nmechanism.name = ["vcg", "nope"]\n', "mechanism.name = 'nope'"),
    "not numeric": (
        '[sample]\nn = 3\nranges = { "buyer.item_selection" = [0, 1] }\n',
        "buyer.item_selection",
    ),
    "unknown key": ("seedz = 3\n", "seedz"),
    "not TOML": ("seeds = = 3\n", "not valid TOML"),
}


@pytest.mark.parametrize("case", BAD_SWEEPS)
def test_invalid_sweep_files_exit_2_with_one_line_before_any_run(tmp_path, case):
    text, named = BAD_SWEEPS[case]
    sweep_file = write_sweep(tmp_path, text)
    out = tmp_path / "store"
    result = invoke("sweep", sweep_file, "--out", out)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert named in lines[0]
    assert not out.exists()


def test_a_missing_sweep_file_and_an_empty_store_exit_2(tmp_path):
    assert invoke("sweep", tmp_path / "missing.toml", "--out", tmp_path / "s").exit_code == 2
    result = invoke("report", tmp_path)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: DIR:")


def test_the_report_holds_tables_figures_and_a_manifest(serial_store, tmp_path):
    report = tmp_path / "report"
    result = invoke("report", serial_store, "--out", report)
    assert result.exit_code == 0, result.output

    summary = pd.read_csv(report / "summary.csv")
    assert len(summary) == 4  # 2 mechanisms x 2 budgets
    assert set(summary["n_seeds"]) == {2}
    runs = [pq.read_table(p).to_pandas() for p in (serial_store / "runs").glob("*.parquet")]
    plan = json.loads((serial_store / "plan.json").read_text())
    for _, row in summary.iterrows():
        keys = {
            run["key"]
            for run in plan["runs"]
            if run["mechanism"] == row["mechanism"]
            and run["axes"]["buyer.budget"] == row["buyer.budget"]
        }
        finals = [r["reward_accuracy"].iloc[-1] for r in runs if r["run_key"].iloc[0] in keys]
        assert len(finals) == 2
        half = stats.t.ppf(0.975, 1) * np.std(finals, ddof=1) / np.sqrt(2)
        assert row["reward_accuracy_mean"] == pytest.approx(np.mean(finals))
        assert row["reward_accuracy_ci_high"] == pytest.approx(np.mean(finals) + half)
        assert row["reward_accuracy_ci_low"] == pytest.approx(np.mean(finals) - half)

    for outcome in OUTCOMES:
        for axis in ("mechanism", "buyer.budget"):
            figure = report / "figures" / f"{outcome}__{axis}.png"
            assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    markdown = (report / "report.md").read_text()
    links = re.findall(r"\]\(([^)]+)\)", markdown)
    assert len(links) >= 2 * len(OUTCOMES)
    assert all((report / link).is_file() for link in links)
    assert "## vcg" in (report / "summary.md").read_text()
    manifest = json.loads((report / "manifest.json").read_text())
    assert manifest["runs_finished"] == 8
    assert "numpy" in manifest["packages"]


def _tiny_base() -> dict:
    import tomllib

    from tests.sim.sweep_files import TINY_BASE

    return tomllib.loads(TINY_BASE)["base"]
