"""``prefmarket run`` and ``prefmarket demo``: outputs, and bad input that writes nothing."""

import json
import tomllib
from pathlib import Path
from typing import ClassVar

import pandas as pd
import pytest
import tomli_w
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from sim.cli import app
from sim.config_files import resolve_corpus_path
from sim.experiments import comparison

TINY = {
    "seed": 0,
    "population": {"n_annotators": 8, "capacity": 3},
    "buyer": {"budget": 4.0, "rounds": 2, "demand_per_round": 8},
    "reward_model": {"trainable_layers": 0, "epochs": 10, "learning_rate": 0.01, "eval_pairs": 20},
    "compare": {"vcg": {}, "posted_price": {"mechanism": {"params": {"price": 0.1}}}},
}


def invoke(*args):
    return CliRunner().invoke(app, [str(a) for a in args], env={"COLUMNS": "200"})


def write(path: Path, data: dict) -> Path:
    path.write_text(tomli_w.dumps(data))
    return path


def assert_one_line_error(result):
    """Exit 2, and the error is one line: the last on stderr (progress bars may precede it)."""
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    assert result.stderr.rstrip().endswith(errors[0])
    assert "Traceback" not in result.output


def test_run_writes_results_manifest_and_report(tmp_path):
    out = tmp_path / "out"
    result = invoke("run", write(tmp_path / "tiny.toml", TINY), "--out", out)
    assert result.exit_code == 0, result.output
    rounds = pd.read_parquet(out / "results" / "rounds.parquet")
    assert set(rounds["mechanism"]) == {"vcg", "posted_price"}
    assert len(rounds) == 2 * TINY["buyer"]["rounds"]
    for table in ("annotators", "transactions", "labels"):
        assert (out / "results" / f"{table}.parquet").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 0 and "torch" in manifest["packages"]
    report = (out / "report.md").read_text()
    for figure in ("accuracy_by_round", "spend_by_skill", "surplus_overpayment", "label_accuracy"):
        assert f"figures/{figure}.png" in report
        assert (out / "figures" / f"{figure}.png").stat().st_size > 1000
    summary = pd.read_csv(out / "summary.csv", index_col=0)
    assert list(summary.index) == ["vcg", "posted_price"]
    assert "vcg" in result.stdout


def test_run_refuses_to_overwrite_results(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("earlier results")
    result = invoke("run", write(tmp_path / "tiny.toml", TINY), "--out", out)
    assert_one_line_error(result)
    assert "--overwrite" in result.stderr
    assert (out / "keep.txt").read_text() == "earlier results"


class FailsInSecondRound:
    """A first-price mechanism that raises when asked to clear a second market."""

    name = "fails_in_second_round"
    description = "Test double: raises in round two."
    properties: ClassVar[dict] = {
        "dsic": False,
        "ir": True,
        "budget_feasible": True,
        "monotone": True,
    }

    def __init__(self):
        from mechanisms import get_mechanism

        self.inner = get_mechanism("first_price")
        self.calls = 0

    def run(self, asks, market, rng):
        self.calls += 1
        if self.calls == 2:
            raise ValueError("asks: this test mechanism refuses a second round")
        return self.inner.run(asks, market, rng)


def test_a_run_that_fails_midway_leaves_no_output(tmp_path):
    data = {**TINY, "compare": {"vcg": {}, f"{__name__}:FailsInSecondRound": {}}}
    out = tmp_path / "out"
    result = invoke("run", write(tmp_path / "fails.toml", data), "--out", out)
    assert_one_line_error(result)
    assert "refuses a second round" in result.stderr
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def _mutations():
    """Edits of a valid config that make it invalid, each with the field it breaks."""
    numeric = st.sampled_from(
        [
            ("buyer", "budget"),
            ("buyer", "rounds"),
            ("buyer", "demand_per_round"),
            ("population", "n_annotators"),
            ("reward_model", "eval_pairs"),
        ]
    )
    return st.one_of(
        st.tuples(
            st.just("unknown_key"),
            st.sampled_from(["population", "buyer", "mechanism"]),
            st.from_regex(r"x_[a-z]{1,8}", fullmatch=True),
        ),
        st.tuples(st.just("not_a_number"), numeric, st.text(min_size=1, max_size=5)),
        st.tuples(st.just("negative"), numeric, st.integers(-1000, -1)),
        st.tuples(
            st.just("mechanism"), st.just(None), st.from_regex(r"zz_[a-z]{1,8}", fullmatch=True)
        ),
        st.tuples(st.just("syntax"), st.just(None), st.sampled_from(["= =", "[buyer", "a = [1,"])),
    )


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(mutation=_mutations())
def test_fuzzed_bad_configs_exit_2_with_one_line_and_write_nothing(tmp_path, mutation):
    kind, where, junk = mutation
    data = tomllib.loads(tomli_w.dumps(TINY))
    data.pop("compare")
    if kind == "unknown_key":
        data.setdefault(where, {})[junk] = 1
    elif kind in ("not_a_number", "negative"):
        section, field = where
        data[section][field] = junk
    elif kind == "mechanism":
        data["mechanism"] = {"name": junk}
    text = tomli_w.dumps(data) + (f"\n{junk}\n" if kind == "syntax" else "")
    config = tmp_path / f"fuzz_{kind}.toml"
    config.write_text(text)
    out = tmp_path / f"out_{kind}"
    result = invoke("run", config, "--out", out)
    assert_one_line_error(result)
    assert not out.exists()
    if kind in ("not_a_number", "negative"):
        assert f"{where[0]}.{where[1]}" in result.stderr


def test_bad_compare_tables_name_the_mechanism(tmp_path):
    data = {**TINY, "compare": {"vcg": {"buyer": {"budget": -1}}}}
    result = invoke("run", write(tmp_path / "bad.toml", data), "--out", tmp_path / "out")
    assert_one_line_error(result)
    assert "compare.vcg: buyer.budget" in result.stderr
    assert "markets" not in result.stderr  # refused before any market ran


def test_a_row_that_sets_its_own_budget_is_refused(tmp_path):
    data = {**TINY, "compare": {"vcg": {"buyer": {"budget": 9.0}}}}
    result = invoke("run", write(tmp_path / "bad.toml", data), "--out", tmp_path / "out")
    assert_one_line_error(result)
    assert "compare.vcg: buyer.budget: every row runs at the file's buyer.budget" in result.stderr


def test_demo_fast_writes_a_report_for_every_mechanism_of_the_demo_file(tmp_path, monkeypatch):
    demo = tomllib.loads(comparison.DEMO_FILE.read_text())
    tiny = {
        **demo,
        "seeds": 2,
        "budgets": [],
        "fast": {section: TINY[section] for section in ("population", "buyer", "reward_model")},
    }
    # The demo's own population size stays: its first-price row's equilibrium needs it.
    tiny["fast"]["population"] = {
        **TINY["population"],
        "n_annotators": demo.get("population", {}).get("n_annotators", 8),
    }
    monkeypatch.setattr(comparison, "DEMO_FILE", write(tmp_path / "demo.toml", tiny))
    out = tmp_path / "demo"
    result = invoke("demo", "--fast", "--out", out)
    assert result.exit_code == 0, result.output
    summary = pd.read_csv(out / "summary.csv", index_col=0)
    assert list(summary.index) == list(demo["compare"])
    rounds = pd.read_parquet(out / "results" / "rounds.parquet")
    assert rounds["round"].max() + 1 == TINY["buyer"]["rounds"]
    assert (out / "report.md").exists() and (out / "report.html").exists()
    assert set(rounds["scenario"]) == {"main", *demo.get("scenarios", {})}


def test_a_bad_fast_table_is_one_line_naming_it(tmp_path):
    data = {**TINY, "fast": {"buyer": 3}}
    result = invoke("run", write(tmp_path / "bad.toml", data), "--fast", "--out", tmp_path / "o")
    assert_one_line_error(result)
    assert "fast:" in result.stderr


RUN_FILES = sorted(p for p in Path("examples").glob("*.toml") if not p.name.startswith("sweep"))
SWEEP_FILES = sorted(Path("examples").glob("sweep*.toml"))


@pytest.mark.parametrize("example", RUN_FILES, ids=lambda p: p.name)
def test_examples_run_at_a_small_size(example, tmp_path):
    data = resolve_corpus_path(tomllib.loads(example.read_text()), example.parent.resolve())
    data.setdefault("buyer", {}).update(rounds=2, demand_per_round=12, budget=6.0)
    # An example's own population size stays: its rows may depend on it (equilibrium_units).
    data.setdefault("population", {}).setdefault("n_annotators", 8)
    if "ai_capacity" in data["population"]:  # AI sellers buy many labels at a tiny price
        data["population"]["ai_capacity"] = 4
    small = {"trainable_layers": 0, "eval_pairs": 20, "epochs": 5}
    data["reward_model"] = {**data.get("reward_model", {}), **small}
    data.update(seeds=1, budgets=[])
    out = tmp_path / "out"
    result = invoke("run", write(tmp_path / example.name, data), "--out", out)
    assert result.exit_code == 0, result.output
    assert (out / "report.md").exists()


@pytest.mark.parametrize("example", SWEEP_FILES, ids=lambda p: p.name)
def test_sweep_examples_run_and_report_at_a_small_size(example, tmp_path):
    data = tomllib.loads(example.read_text())
    data["seeds"] = 1
    base = data.setdefault("base", {})
    base.setdefault("buyer", {}).update(rounds=2, demand_per_round=8, budget=4.0)
    base.setdefault("population", {})["n_annotators"] = 8
    base.setdefault("reward_model", {}).update(trainable_layers=0, eval_pairs=20, epochs=5)
    store = tmp_path / "store"
    result = invoke("sweep", write(tmp_path / example.name, data), "--out", store, "--no-progress")
    assert result.exit_code == 0, result.output
    result = invoke("report", store)
    assert result.exit_code == 0, result.output
    assert (store / "report" / "report.md").exists()


@pytest.mark.parametrize("out", ["/proc/prefmarket-out", "afile/sub"])
def test_an_unwritable_out_is_refused_before_any_market_runs(tmp_path, monkeypatch, out):
    (tmp_path / "afile").write_text("not a folder")
    monkeypatch.chdir(tmp_path)

    def must_not_run(*args, **kwargs):
        raise AssertionError("the markets ran before --out was checked")

    monkeypatch.setattr(comparison, "run_comparison", must_not_run)
    result = invoke("run", write(tmp_path / "tiny.toml", TINY), "--out", out)
    assert_one_line_error(result)
    assert "--out: cannot write" in result.stderr


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[buyer]\nbudget = inf\n", "buyer.budget"),
        ("[buyer]\nbudget = nan\n", "buyer.budget"),
        ("[population]\ncost_params = { s = inf }\n", "population.cost_params.s"),
        ("[mechanism]\nparams = { price = " + "[" * 40 + "]" * 40 + " }\n", "mechanism.params"),
        ("[buyer]\nbudget = " + "[" * 3000 + "]" * 3000 + "\n", "nested too deeply"),
        ("[reward_model]\nmax_length = 1000\n", "reward_model.max_length"),
        ("[reward_model]\nbackbone = './no/such/model'\n", "reward_model.backbone"),
    ],
)
def test_non_finite_and_deeply_nested_values_name_their_field(tmp_path, text, field):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    result = invoke("run", path, "--out", tmp_path / "out")
    assert_one_line_error(result)
    assert field in result.stderr
    assert not (tmp_path / "out").exists()


def test_library_errors_name_parameters_and_the_cli_shows_options():
    from sim.cli.errors import as_flags
    from sim.experiments.output import OutputDirError, check_output_dir

    with pytest.raises(OutputDirError) as caught:
        check_output_dir("/proc/prefmarket-out", overwrite=False)
    assert str(caught.value).startswith("out: ")
    assert as_flags(str(caught.value)).startswith("--out: ")
    assert as_flags("max_runs: too many; or raise `max_runs` to 9") == (
        "--max-runs: too many; or raise --max-runs to 9"
    )
    assert as_flags("buyer.budget: must be >= 0") == "buyer.budget: must be >= 0"


def test_an_old_config_naming_mode_exits_2_naming_the_field_and_the_fix(tmp_path):
    """``mode`` named ``trainable_layers`` too; a run file that still says it is refused."""
    data = {"compare": {"vcg": {}}, "fast": {"reward_model": {"mode": "head"}}}
    result = invoke("run", write(tmp_path / "old.toml", data), "--fast", "--out", tmp_path / "o")
    assert_one_line_error(result)
    assert "error: reward_model.mode: removed; " in result.stderr
    assert "trainable_layers = 0" in result.stderr


@pytest.mark.parametrize(
    ("ai_judges", "words"),
    [
        ({"gpt5": 0.1}, "unknown profile(s) ['gpt5']"),
        ({"gpt4": -0.25}, "the share of 'gpt4' must be a finite number >= 0"),
        ({"gpt4": 0.75, "claude": 0.5}, "shares sum to 1.25; make them sum to at most 1"),
    ],
)
def test_bad_ai_judges_exit_2_naming_the_field_and_write_nothing(tmp_path, ai_judges, words):
    data = {**TINY, "population": {**TINY["population"], "ai_judges": ai_judges}}
    out = tmp_path / "out"
    result = invoke("run", write(tmp_path / "bad.toml", data), "--out", out)
    assert_one_line_error(result)
    assert f"population.ai_judges: {words}" in result.stderr
    assert not out.exists()
