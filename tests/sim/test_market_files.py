"""The market on a user's preference file without attribute scores: ``prefmarket run`` end to
end, the ``[corpus]`` section (relative paths, the moved ``corpus_seed``, the file's digest in
the run key), bad combinations as one-line errors, and evaluation on the whole test split."""

import hashlib
import json
import re

import pandas as pd
import pytest

from sim.config import MarketConfig
from sim.config_files import ConfigError
from sim.corpus import DataFileError, builtin_corpus
from sim.experiments.run_keys import run_key
from sim.experiments.sweep_config import SweepConfig
from sim.market import MarketModel
from tests.sim.hh_records import hh_records, write_jsonl
from tests.sim.test_cli_run import assert_one_line_error, invoke, write

FAST_REWARD_MODEL = {"trainable_layers": 0, "epochs": 10, "learning_rate": 0.01}
FILE_RUN = {
    "seed": 0,
    "corpus": {"path": "prefs.jsonl"},
    "population": {
        "n_annotators": 8,
        "capacity": 3,
        "judge_mix": {"one_coin": 0.75, "spammer": 0.25},
        "bias_feature": "length",
        "bias_share": 0.5,
    },
    "buyer": {"budget": 4.0, "rounds": 2, "demand_per_round": 8},
    "reward_model": FAST_REWARD_MODEL,
}
ONE_COIN = {"judge_mix": {"one_coin": 1.0}}


@pytest.fixture
def data_folder(tmp_path):
    """A folder holding ``prefs.jsonl`` (60 HH-RLHF-like records) beside the run files."""
    folder = tmp_path / "data"
    folder.mkdir()
    write_jsonl(hh_records(60), folder / "prefs.jsonl")
    return folder


def test_prefmarket_run_on_a_file_without_attributes(data_folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    data = {**FILE_RUN, "compare": {"vcg": {}, "first_price": {}}}
    out = tmp_path / "out"
    result = invoke("run", write(data_folder / "run.toml", data), "--out", out)
    assert result.exit_code == 0, result.output
    rounds = pd.read_parquet(out / "results" / "rounds.parquet")
    assert set(rounds["mechanism"]) == {"vcg", "first_price"}
    assert rounds["reward_accuracy"].between(0, 1).all()
    labels = pd.read_parquet(out / "results" / "labels.parquet")
    assert len(labels) > 0
    corpus = json.loads((out / "manifest.json").read_text())["config"]["corpus"]
    prefs = data_folder / "prefs.jsonl"
    assert corpus["path"] == str(prefs)
    assert corpus["sha256"] == hashlib.sha256(prefs.read_bytes()).hexdigest()


def test_labels_are_graded_against_the_recorded_choice_and_every_test_pair_scores(
    data_folder,
):
    config = MarketConfig.from_toml(write(data_folder / "run.toml", FILE_RUN))
    market = MarketModel(config).run()
    test = market.corpus.pairs("test")
    assert len(market.eval_pairs) == len(test) > 0
    labels = market.labels()
    chosen = pd.concat([market.corpus.pairs("train"), test]).set_index("pair_id")["chosen"]
    recorded = labels["pair_id"].map(chosen)
    assert ((labels["label"] == recorded) == labels["correct"]).all()
    assert 0 < labels["correct"].mean() < 1


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda d, f: (f / "prefs.jsonl").unlink(), "corpus.path: no such file"),
        (
            lambda d, f: (f / "prefs.jsonl").write_text('{"prompt": "a"\n'),
            "corpus.record: not valid JSON",
        ),
        (
            lambda d, f: d["population"].pop("judge_mix"),
            "population.judge_mix: bradley_terry, lexicographic compare attribute scores",
        ),
        (
            lambda d, f: d["population"].update(judge_mix={"one_coin": 0.5, "thurstone": 0.5}),
            "use one_coin and spammer",
        ),
        (
            lambda d, f: d["buyer"].update(target_weights={"correctness": 1.0}),
            "buyer.target_weights: ",
        ),
        (lambda d, f: d.update(corpus_seed=3, corpus={"seed": 1}), "corpus_seed and corpus.seed"),
        (lambda d, f: d["population"].update(bias_feature="tone"), "population.bias_feature"),
        (lambda d, f: d["corpus"].update(sha256="0" * 64), "corpus.sha256: "),
    ],
)
def test_bad_data_combinations_exit_2_with_one_line(data_folder, tmp_path, edit, message):
    data = json.loads(json.dumps(FILE_RUN))
    edit(data, data_folder)
    out = tmp_path / "out"
    result = invoke("run", write(data_folder / "run.toml", data), "--out", out)
    assert_one_line_error(result)
    assert message in result.stderr
    assert not out.exists()


def test_the_run_key_follows_the_file_content(tmp_path):
    prefs = write_jsonl(hh_records(40), tmp_path / "prefs.jsonl")
    data = {"corpus": {"path": str(prefs)}, "population": ONE_COIN}
    first = MarketConfig.from_dict(data)
    assert first.corpus.sha256 == hashlib.sha256(prefs.read_bytes()).hexdigest()
    write_jsonl(hh_records(41), prefs)
    changed = MarketConfig.from_dict(data)
    assert run_key(changed) != run_key(first)
    with pytest.raises(DataFileError, match=r"^sha256: the file's content has changed"):
        first.corpus.load()
    with pytest.raises(ConfigError, match=r"^corpus\.sha256: "):
        MarketConfig.from_dict(first.model_dump())
    write_jsonl(hh_records(40), prefs)
    assert run_key(MarketConfig.from_dict(data)) == run_key(first)
    assert run_key(MarketConfig()) != run_key(first)


def test_a_relative_path_is_relative_to_the_file_that_names_it(data_folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    prefs = str(data_folder / "prefs.jsonl")
    run_file = write(
        data_folder / "run.toml", {"corpus": {"path": "prefs.jsonl"}, "population": ONE_COIN}
    )
    assert MarketConfig.from_toml(run_file).corpus.path == prefs
    base = {"population": ONE_COIN, "corpus": {"path": "prefs.jsonl"}}
    sweep = write(data_folder / "sweep.toml", {"base": base, "grid": {"corpus.seed": [0, 1]}})
    assert {s.config.corpus.path for s in SweepConfig.from_toml(sweep).resolve()} == {prefs}
    nested = data_folder / "bases"
    nested.mkdir()
    write_jsonl(hh_records(30), nested / "prefs.jsonl")
    write(nested / "base.toml", base)
    sweep = write(
        data_folder / "sweep_base.toml",
        {
            "base_config": "bases/base.toml",
            "grid": {"corpus.path": ["prefs.jsonl", "bases/prefs.jsonl"]},
        },
    )
    paths = [s.config.corpus.path for s in SweepConfig.from_toml(sweep).resolve()]
    assert paths == [prefs, str(nested / "prefs.jsonl")]
    base_only = write(data_folder / "sweep_nested.toml", {"base_config": "bases/base.toml"})
    assert SweepConfig.from_toml(base_only).resolve()[0].config.corpus.path == str(
        nested / "prefs.jsonl"
    )


def test_corpus_seed_still_works_and_an_axis_of_it_says_where_it_moved():
    assert MarketConfig.from_dict({"corpus_seed": 5}).corpus.seed == 5
    assert "corpus_seed" not in MarketConfig.from_dict({"corpus_seed": 5}).model_dump()
    with pytest.raises(ConfigError, match=r"axis corpus_seed: moved to corpus\.seed"):
        SweepConfig.from_dict({"grid": {"corpus_seed": [0, 1]}})


def test_reward_accuracy_is_measured_on_the_whole_test_split_unless_eval_pairs_is_set():
    small = {
        "population": {"n_annotators": 8, "capacity": 2},
        "buyer": {"budget": 2.0, "rounds": 1, "demand_per_round": 8},
        "reward_model": FAST_REWARD_MODEL,
    }
    assert MarketConfig().reward_model.eval_pairs is None
    market = MarketModel(MarketConfig.from_dict(small))
    assert len(market.eval_pairs) == len(builtin_corpus(seed=0).pairs("test"))
    small["reward_model"] = {**FAST_REWARD_MODEL, "eval_pairs": 40}
    assert len(MarketModel(MarketConfig.from_dict(small)).eval_pairs) == 40


def test_a_section_check_names_its_field_and_a_mechanism_parameter_stays_under_mechanism():
    with pytest.raises(ConfigError, match=r"^population\.bias_feature: bias_share > 0"):
        MarketConfig.from_dict({"population": {"bias_share": 0.5}})
    with pytest.raises(ConfigError, match=r"^mechanism: price: "):
        MarketConfig.from_dict({"mechanism": {"name": "posted_price", "params": {"price": -1}}})
    with pytest.raises(ConfigError, match=r"^corpus: .*dictionary"):
        MarketConfig.from_dict({"corpus_seed": 1, "corpus": 5})


@pytest.mark.parametrize(
    ("section", "fields", "message"),
    [
        ("population", {"markup": "0.3"}, "population.markup: expected a number, not a quoted"),
        ("buyer", {"budget": "3"}, "buyer.budget: expected a number, not a quoted"),
        ("reward_model", {"epochs": "2"}, "reward_model.epochs: expected a number, not a quoted"),
        ("population", {"capacity": 4.0}, "population.capacity: expected a whole number; write"),
    ],
)
def test_every_section_gives_the_fix_for_a_number_of_the_wrong_type(section, fields, message):
    with pytest.raises(ConfigError, match="^" + re.escape(message)):
        MarketConfig.from_dict({section: fields})


def test_a_population_without_weight_heterogeneity_has_a_run_key_and_reads_back():
    """JSON has no infinity: ``weight_concentration = inf`` is written "inf" and read back."""
    from agents.population import PopulationSpec
    from sim.experiments.run_keys import run_key

    config = MarketConfig.from_dict({"population": {"weight_concentration": float("inf")}})
    written = config.population.model_dump(mode="json")
    assert written["weight_concentration"] == "inf"
    assert PopulationSpec.model_validate(written) == config.population
    assert run_key(config) != run_key(MarketConfig.from_dict({}))
