"""Sweep files: axes expand to validated runs, seeds are shared and spawned, bad axes are named.

No market is run here.
"""

import math

import numpy as np
import pytest

from sim.config import MarketConfig
from sim.config_files import ConfigError
from sim.experiments.run_keys import run_key
from sim.experiments.sweep_config import SweepConfig

BASE = {
    "population": {"n_annotators": 8, "capacity": 2},
    "buyer": {"budget": 4.0, "rounds": 2, "demand_per_round": 8},
    "reward_model": {"trainable_layers": 0, "epochs": 5, "eval_pairs": 20},
}


def sweep(**fields) -> SweepConfig:
    return SweepConfig.from_dict({"base": BASE, **fields})


def test_grid_is_the_full_factorial_times_seeds():
    grid = {"mechanism.name": ["vcg", "first_price", "uniform_price"], "buyer.budget": [2.0, 4.0]}
    specs = sweep(seeds=2, grid=grid).resolve()
    assert len(specs) == 3 * 2 * 2
    points = {(s.axes["mechanism.name"], s.axes["buyer.budget"], s.seed_index) for s in specs}
    assert len(points) == 12
    for spec in specs:
        assert spec.config.mechanism.name == spec.axes["mechanism.name"]
        assert spec.config.buyer.budget == spec.axes["buyer.budget"]
        assert spec.config.buyer.rounds == 2  # the base is kept


def test_every_axis_point_shares_the_seed_of_its_seed_index():
    specs = sweep(seeds=3, grid={"mechanism.name": ["vcg", "first_price"]}).resolve()
    by_index = {}
    for spec in specs:
        by_index.setdefault(spec.seed_index, set()).add(spec.config.seed)
    assert all(len(seeds) == 1 for seeds in by_index.values())
    assert len({seeds.pop() for seeds in by_index.values()}) == 3


def test_seeds_are_spawned_from_the_sweep_seed_and_do_not_depend_on_their_number():
    children = np.random.SeedSequence(7).spawn(2)
    expected = [int(c.generate_state(1)[0]) for c in children]
    assert sweep(seed=7, seeds=2).run_seeds() == expected
    assert sweep(seed=7, seeds=5).run_seeds()[:2] == expected
    assert sweep(seed=8, seeds=2).run_seeds() != expected


def test_nested_toml_tables_in_grid_mean_dotted_axes():
    nested = sweep(grid={"mechanism": {"name": ["vcg", "first_price"]}})
    assert nested.axes == ["mechanism.name"]


def test_axes_reach_into_dict_fields():
    specs = sweep(
        grid={"mechanism.name": ["posted_price"], "mechanism.params.price": [0.1, 0.3]}
    ).resolve()
    assert [s.config.mechanism.params["price"] for s in specs] == [0.1, 0.3]


def test_latin_hypercube_puts_one_point_in_each_stratum_and_rounds_int_fields():
    n = 10
    design = sweep(
        sample={
            "n": n,
            "seed": 3,
            "ranges": {"buyer.budget": [2.0, 12.0], "population.n_annotators": [4, 40]},
        }
    )
    points = design.points()
    assert len(points) == n
    budgets = np.array([p["buyer.budget"] for p in points])
    strata = np.floor((budgets - 2.0) / 10.0 * n).astype(int)
    assert sorted(strata) == list(range(n))  # the Latin hypercube property
    sizes = [p["population.n_annotators"] for p in points]
    assert all(isinstance(s, int) and 4 <= s <= 40 for s in sizes)
    assert len(design.resolve()) == n


def test_grid_and_sample_are_crossed():
    design = sweep(
        grid={"mechanism.name": ["vcg", "first_price"]},
        sample={"n": 3, "ranges": {"buyer.budget": [2.0, 6.0]}},
    )
    assert len(design.resolve()) == 6
    assert design.axes == ["mechanism.name", "buyer.budget"]


def test_sweep_threads_default_to_one_unless_the_base_sets_them():
    assert sweep().resolve()[0].config.reward_model.torch_threads == 1
    base = {**BASE, "reward_model": {**BASE["reward_model"], "torch_threads": 2}}
    explicit = SweepConfig.from_dict({"base": base}).resolve()[0]
    assert explicit.config.reward_model.torch_threads == 2


def test_run_key_names_config_and_seed():
    a = MarketConfig.from_dict({**BASE, "seed": 1})
    assert run_key(a) == run_key(MarketConfig.from_dict({**BASE, "seed": 1}))
    assert run_key(a) != run_key(MarketConfig.from_dict({**BASE, "seed": 2}))
    assert len(run_key(a)) == 64


def test_base_config_is_read_relative_to_the_sweep_file(tmp_path):
    (tmp_path / "market.toml").write_text("[buyer]\nbudget = 3.5\nrounds = 2\n")
    (tmp_path / "sweep.toml").write_text('base_config = "market.toml"\nseeds = 1\n')
    spec = SweepConfig.from_toml(tmp_path / "sweep.toml").resolve()[0]
    assert spec.config.buyer.budget == 3.5


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"grid": {"buyer.budgett": [1.0]}}, "buyer.budgett"),
        ({"grid": {"buyer.budget": ["lots"]}}, "buyer.budget"),
        ({"grid": {"buyer.budget": [4.0, -1.0]}}, "buyer.budget = -1.0"),
        ({"grid": {"population.n_annotators": [1]}}, "population.n_annotators"),
        ({"grid": {"mechanism.name": ["vcg", "no_such_mechanism"]}}, "no_such_mechanism"),
        ({"grid": {"buyer.budget.amount": [1.0]}}, "buyer.budget.amount"),
        ({"grid": {"seed": [1, 2]}}, "seed"),
        ({"grid": {"buyer.budget": []}}, "buyer.budget"),
        ({"grid": {"buyer.budget": 4.0}}, "buyer.budget"),
        ({"sample": {"n": 4, "ranges": {"buyer.item_selection": [0, 1]}}}, "buyer.item_selection"),
        ({"sample": {"n": 4, "ranges": {"buyer.budget": [5.0, 1.0]}}}, "buyer.budget"),
        ({"seedz": 3}, "seedz"),
        ({"seeds": 0}, "seeds"),
    ],
)
def test_invalid_axes_fail_before_any_run_naming_the_axis(fields, named):
    with pytest.raises(ConfigError) as info:
        sweep(**fields).resolve()
    message = str(info.value)
    assert named in message
    assert "\n" not in message


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"grid": {"buyer.budget": [4.0, math.inf]}}, "buyer.budget"),
        ({"grid": {"mechanism.params.price": [math.nan]}}, "mechanism.params.price"),
        ({"grid": {"mechanism.params": [{"price": math.inf}]}}, "mechanism.params"),
        ({"sample": {"n": 4, "ranges": {"buyer.budget": [1.0, math.inf]}}}, "buyer.budget"),
        (
            {"base": {**BASE, "mechanism": {"params": {"price": math.nan}}}},
            "mechanism.params.price",
        ),
    ],
)
def test_inf_and_nan_are_refused_naming_the_axis_or_field(fields, named):
    with pytest.raises(ConfigError) as info:
        SweepConfig.from_dict({"base": BASE, **fields}).resolve()
    message = str(info.value)
    assert named in message
    assert "finite" in message
    assert "JSON" not in message


def test_a_nan_price_beside_a_mechanism_axis_blames_the_price():
    with pytest.raises(ConfigError) as info:
        sweep(
            grid={"mechanism.name": ["posted_price"], "mechanism.params.price": [0.2, math.nan]}
        ).resolve()
    assert "mechanism.params.price" in str(info.value)
    assert "mechanism.name" not in str(info.value)


@pytest.mark.parametrize("values", [[2.0, 4.0, 2.0], [2, 2.0], ["vcg", "vcg"]])
def test_a_value_listed_twice_in_a_grid_axis_is_refused_naming_it(values):
    axis = "mechanism.name" if isinstance(values[0], str) else "buyer.budget"
    with pytest.raises(ConfigError) as info:
        sweep(grid={axis: values})
    assert f"axis '{axis}' lists" in str(info.value)


def test_sampled_points_that_round_to_the_same_config_are_refused():
    design = sweep(sample={"n": 6, "ranges": {"population.n_annotators": [8, 9]}})
    with pytest.raises(ConfigError) as info:
        design.resolve()
    assert "population.n_annotators" in str(info.value)
    assert "same config" in str(info.value)


def test_the_run_count_comes_from_the_axes_without_building_runs():
    huge = sweep(
        seeds=10_000,
        grid={"buyer.budget": [float(b) for b in range(1, 1001)]},
        sample={"n": 100_000, "ranges": {"population.cost_params.s": [0.2, 0.8]}},
    )
    assert huge.n_points == 1000 * 100_000
    assert huge.run_count == 1000 * 100_000 * 10_000
    small = sweep(seeds=3, grid={"mechanism.name": ["vcg", "first_price"]})
    assert small.run_count == len(small.resolve()) == 6


def test_each_axis_point_is_validated_once_not_once_per_seed_or_call(monkeypatch):
    built = []
    check = MarketConfig.check_data
    monkeypatch.setattr(
        MarketConfig, "check_data", lambda self, *a: built.append(1) or check(self, *a)
    )
    design = sweep(seeds=4, grid={"buyer.budget": [2.0, 3.0, 4.0]})
    assert built == []  # reading the sweep builds no run
    assert len(design.resolve()) == 12
    design.resolve()
    assert len(built) == 1 + 3  # the base, then each point once
