"""Many-seed comparisons: paired tables, the frontier, scenarios, and identical results for
any number of worker processes."""

import json

import numpy as np
import pandas as pd
import pytest

from analysis.outcomes import OUTCOMES
from analysis.records import (
    DIFFERENCE_COLUMNS,
    FRONTIER_COLUMNS,
    SHADING_COLUMNS,
    SPEND_NEEDED_COLUMNS,
)
from sim.experiments.comparison import accuracy_resolution, run_comparison, write_comparison
from sim.experiments.run_file import load_run_file
from tests.sim.test_cli_run import assert_one_line_error, invoke, write

PLAN = {
    "seed": 0,
    "seeds": 2,
    "budgets": [2.0],
    "population": {"n_annotators": 6, "capacity": 3},
    "buyer": {"budget": 4.0, "rounds": 2, "demand_mode": "budget"},
    "reward_model": {"trainable_layers": 0, "epochs": 5, "learning_rate": 0.01, "eval_pairs": 20},
    "compare": {"vcg": {}, "posted_price": {"mechanism": {"params": {"price": 0.1}}}},
    "scenarios": {
        "learning_sellers": {"rows": ["vcg"], "population": {"bidding_mix": {"learning": 1.0}}}
    },
}


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    return load_run_file(write(tmp_path_factory.mktemp("plan") / "plan.toml", PLAN))


@pytest.fixture(scope="module")
def serial(plan):
    return run_comparison(plan, workers=1, progress=False)


def test_the_plan_runs_every_row_budget_seed_and_scenario(plan, serial):
    rounds = serial["rounds"]
    markets = rounds.groupby(["scenario", "mechanism", "budget", "seed_index"]).ngroups
    assert markets == len(plan.runs()) == 2 * 2 * 2 + 1 * 2
    seeds = rounds.groupby("seed_index")["seed"].unique()
    assert all(len(s) == 1 for s in seeds)  # every row of a seed index shares its seed
    assert rounds["cumulative_spend"].max() <= 4.0 + 1e-9


def test_two_workers_give_the_same_tables_as_one(plan, serial):
    parallel = run_comparison(plan, workers=2, progress=False)
    for name in ("rounds", "annotators", "transactions", "labels"):
        pd.testing.assert_frame_equal(parallel[name], serial[name])


def test_outputs_hold_intervals_differences_frontier_and_both_reports(plan, tmp_path):
    out = tmp_path / "out"
    shown = []
    write_comparison(out, plan, "test", progress=False, workers=1, show_findings=shown.append)
    summary = pd.read_csv(out / "summary.csv", index_col=0)
    assert list(summary.index) == ["vcg", "posted_price"]
    for outcome in OUTCOMES:
        low, mean, high = (summary[f"{outcome}_{s}"] for s in ("ci_low", "mean", "ci_high"))
        finite = low.notna()
        assert (low[finite] <= mean[finite]).all() and (mean[finite] <= high[finite]).all()
    differences = pd.read_csv(out / "differences.csv")
    assert tuple(differences.columns) == DIFFERENCE_COLUMNS
    assert (differences["min_detectable"].dropna() >= 0).all()
    assert set(differences["mechanism"]) == {"vcg"} and set(differences["baseline"]) == {
        "posted_price"
    }
    assert set(differences["outcome"]) == set(OUTCOMES)
    frontier = pd.read_csv(out / "frontier.csv")
    assert tuple(frontier.columns) == FRONTIER_COLUMNS
    assert tuple(pd.read_csv(out / "spend_needed.csv").columns) == SPEND_NEEDED_COLUMNS
    effects = pd.read_csv(out / "scenario_effects.csv")
    assert tuple(effects.columns) == (*DIFFERENCE_COLUMNS, "scenario")
    assert sorted(frontier["budget"].unique()) == [2.0, 4.0]
    shading = pd.read_csv(out / "shading.csv")
    assert tuple(shading.columns) == SHADING_COLUMNS
    assert set(shading["scenario"]) == {"main", "learning_sellers"}
    truthful = shading[shading["scenario"] == "main"]["ask_over_cost"]
    np.testing.assert_allclose(truthful, 1.0)  # truthful sellers ask their cost
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seeds"] == 2 and manifest["budgets"] == [2.0, 4.0]
    assert len(manifest["run_seeds"]) == 2
    page = (out / "report.html").read_text()
    assert page.count("data:image/png;base64,") == len(list((out / "figures").glob("*.png")))
    report = (out / "report.md").read_text()
    (claims,) = shown  # the findings, one claim a line, as report.md lists them
    assert claims.startswith("- At budget 4 (2 seeds)") and claims in report
    assert page.count("<li>") == claims.count("\n- ") + 1


def test_the_resolution_is_one_evaluation_on_the_rows_eval_pairs(plan, tmp_path):
    """The coarsest row's binomial standard error: at accuracy 0.5 on the plan's 20 pairs,
    0.5 / sqrt(20); on the built-in corpus' whole test split, about 0.9 points at 0.7."""
    summary = pd.DataFrame({"reward_accuracy_mean": {"vcg": 0.7, "posted_price": 0.5}})
    assert accuracy_resolution(plan, summary) == pytest.approx(0.5 / np.sqrt(20))
    whole = {**PLAN, "reward_model": {"trainable_layers": 0}}
    whole_plan = load_run_file(write(tmp_path / "whole.toml", whole))
    summary["reward_accuracy_mean"] = 0.7
    assert accuracy_resolution(whole_plan, summary) == pytest.approx(0.009, abs=0.0002)


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        ({"buyer": {"demand_mode": "everything"}}, "buyer.demand_mode"),
        ({"buyer": {"pair_weights": "qa"}}, "buyer.pair_weights"),
        ({"seeds": 0}, "seeds"),
        ({"budgets": [-1.0]}, "budgets"),
        ({"baseline": "nope"}, "baseline"),
        ({"target_accuracy": 1.5}, "target_accuracy"),
        ({"scenarios": {"s": {"rows": ["nope"]}}}, "scenarios.s.rows"),
        ({"scenarios": {"s": {"rows": ["vcg", "vcg"]}}}, "scenarios.s.rows"),
        ({"scenarios": {"s": {"rows": [["vcg"]]}}}, "scenarios.s.rows"),
        ({"scenarios": {"main": {}}}, "scenarios.main"),
        ({"fast": {"seeds": 0}}, "fast: seeds"),
        ({"seeds": 1000, "budgets": [1.0, 2.0, 3.0, 5.0]}, "seeds: the file plans 11,000"),
    ],
)
def test_bad_options_are_one_line_naming_the_field_and_write_nothing(tmp_path, edit, field):
    data = {key: value for key, value in PLAN.items()}
    for key, value in edit.items():
        data[key] = {**data[key], **value} if isinstance(value, dict) and key in data else value
    out = tmp_path / "out"
    result = invoke("run", write(tmp_path / "bad.toml", data), "--out", out)
    assert_one_line_error(result)
    assert f"error: {field}" in result.stderr
    assert not out.exists()
