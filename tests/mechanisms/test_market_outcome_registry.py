"""Market and Outcome validation, and finding mechanisms by name, entry point or import path."""

import re
import sys
from importlib.metadata import EntryPoint

import numpy as np
import pytest

from mechanisms import (
    Market,
    Outcome,
    UnknownMechanismError,
    available_mechanisms,
    get_mechanism,
    registry,
)
from sim.config import MechanismConfig, mechanism_from_config
from tests.mechanisms.local_modules import PAY_THE_VALUE, write_module_here


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"values": [1.0, 2.0], "capacities": [1]}, r"^capacities: has 1 entries but values has 2"),
        ({"values": [1.0, np.nan], "capacities": [1, 1]}, r"^values: every entry must be finite"),
        ({"values": [1.0, -0.5], "capacities": [1, 1]}, r"^values: every entry must be >= 0"),
        ({"values": [[1.0]], "capacities": [1]}, r"^values: expected a 1-D array"),
        ({"values": ["a"], "capacities": [1]}, r"^values: expected a 1-D array of numbers"),
        ({"values": [1.0], "capacities": [1.5]}, r"^capacities: every entry must be a whole"),
        ({"values": [1.0], "capacities": [-1]}, r"^capacities: every entry must be >= 0"),
        ({"values": [1.0], "capacities": [1], "demand": -1}, r"^demand: must be >= 0"),
        ({"values": [1.0], "capacities": [1], "demand": 1.5}, r"^demand: must be a whole"),
        ({"values": [1.0], "capacities": [1], "budget": -2.0}, r"^budget: must be a finite"),
        ({"values": [1.0], "capacities": [1], "budget": np.inf}, r"^budget: must be a finite"),
    ],
)
def test_bad_market_fields_are_named_in_one_line(kwargs, message):
    with pytest.raises(ValueError, match=message) as caught:
        Market(**kwargs)
    assert "\n" not in str(caught.value)


def test_market_normalises_types_and_checks_asks():
    market = Market(values=[1, 2], capacities=[1.0, 3.0], demand=2.0, budget=5)
    assert market.values.dtype == float and market.capacities.dtype == np.int64
    assert market.demand == 2 and market.budget == 5.0
    assert market.effective_demand == 2
    assert Market(values=[1], capacities=[4]).effective_demand == 4
    with pytest.raises(ValueError, match=r"^asks: has 1 entries but values has 2"):
        market.check_asks([0.1])


@pytest.mark.parametrize(
    ("allocation", "payments", "message"),
    [
        ([1, 2], [0.0], r"^payments: has 1 entries but allocation has 2"),
        ([-1], [0.0], r"^allocation: every entry must be >= 0"),
        ([0.5], [0.0], r"^allocation: every entry must be a whole"),
        ([1], [np.inf], r"^payments: every entry must be finite"),
    ],
)
def test_bad_outcome_fields_are_named(allocation, payments, message):
    with pytest.raises(ValueError, match=message):
        Outcome(allocation, payments)


def test_outcome_utilities_follow_the_quasi_linear_definition():
    outcome = Outcome([2, 0, 1], [1.0, 0.0, 0.7])
    # sellers: 1.0 - 0.3*2 = 0.4, 0, 0.7 - 0.5 = 0.2; buyer: 0.9*2 + 0.8*1 - 1.7 = 0.9
    np.testing.assert_allclose(outcome.seller_utilities([0.3, 0.1, 0.5]), [0.4, 0.0, 0.2])
    assert outcome.buyer_utility([0.9, 0.2, 0.8]) == pytest.approx(0.9)
    assert outcome.units == 3 and outcome.spend == pytest.approx(1.7)


def test_every_builtin_is_available_and_builds():
    assert set(registry.BUILTIN) <= set(available_mechanisms())
    for name in registry.BUILTIN:
        params = {"price": 0.5} if name == "posted_price" else {}
        mechanism = get_mechanism(name, **params)
        assert mechanism.name == name
        assert set(mechanism.properties) <= {"dsic", "ir", "budget_feasible", "monotone"}


def test_import_path_finds_a_class():
    mechanism = get_mechanism("tests.properties.toy_mechanisms:PayAsBid")
    assert callable(mechanism.run)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("nope", r"'nope' is not registered and not an import path; use one of budget_feasible"),
        ("no_such_module:X", r"cannot import module 'no_such_module'"),
        ("mechanisms.vcg:Nope", r"module 'mechanisms.vcg' has no attribute 'Nope'"),
        ("", r"give a non-empty name"),
    ],
)
def test_unknown_names_say_what_to_use(name, message):
    with pytest.raises(UnknownMechanismError, match=message):
        get_mechanism(name)


def test_bad_parameters_name_the_mechanism():
    with pytest.raises(UnknownMechanismError, match=r"mechanism 'vcg': bad parameters \['x'\]"):
        get_mechanism("vcg", x=1)


def test_entry_point_plugins_are_listed_and_built(monkeypatch):
    plugin = EntryPoint(
        name="toy_pay_own_ask",
        value="tests.properties.toy_mechanisms:PayAsBid",
        group=registry.ENTRY_POINT_GROUP,
    )
    monkeypatch.setattr(
        registry, "entry_points", lambda group: [plugin] if group == plugin.group else []
    )
    registry._plugins.cache_clear()
    try:
        assert "toy_pay_own_ask" in available_mechanisms()
        assert callable(get_mechanism("toy_pay_own_ask").run)
    finally:
        registry._plugins.cache_clear()


@pytest.mark.parametrize(
    ("name", "params", "message"),
    [
        ("os:system", {"command": "touch {marker}"}, r"'os:system' is a .*, not a class"),
        (
            "subprocess:Popen",
            {"args": "touch {marker}", "shell": True},
            r"class 'subprocess:Popen' defines no name or run",
        ),
    ],
)
def test_an_import_path_to_a_non_mechanism_is_refused_before_it_is_called(
    tmp_path, name, params, message
):
    marker = tmp_path / "ran"
    params = {
        key: value.format(marker=marker) if isinstance(value, str) else value
        for key, value in params.items()
    }
    with pytest.raises(UnknownMechanismError) as caught:
        get_mechanism(name, **params)
    assert not marker.exists()
    assert re.search(message, str(caught.value))
    assert "\n" not in str(caught.value)


def test_a_config_file_cannot_run_a_shell_command(tmp_path):
    marker = tmp_path / "ran"
    with pytest.raises(ValueError) as caught:
        MechanismConfig(name="os:system", params={"command": f"touch {marker}"})
    assert not marker.exists()
    assert "not a class" in str(caught.value)


def test_a_module_that_exits_on_import_gives_one_line(tmp_path, monkeypatch):
    (tmp_path / "kit_exits_on_import.py").write_text("import sys\nsys.exit(3)\n")
    monkeypatch.syspath_prepend(tmp_path)
    monkeypatch.delitem(sys.modules, "kit_exits_on_import", raising=False)
    with pytest.raises(UnknownMechanismError, match=r"cannot import module .*\(SystemExit: 3\)"):
        get_mechanism("kit_exits_on_import:Anything")


def test_get_mechanism_and_config_both_find_a_module_in_the_cwd(tmp_path, monkeypatch):
    name = write_module_here(tmp_path, monkeypatch, "kit_local_mechanism", PAY_THE_VALUE)
    assert get_mechanism(f"{name}:PayTheValue").name == "pay_the_value"
    config = MechanismConfig(name=f"{name}:PayTheValue")
    assert mechanism_from_config(config).name == "pay_the_value"


def test_an_installed_module_wins_over_one_in_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.delitem(sys.modules, "colorsys", raising=False)
    local = "raise RuntimeError('the local colorsys was imported')\n"
    write_module_here(tmp_path, monkeypatch, "colorsys", local)
    with pytest.raises(UnknownMechanismError, match=r"'colorsys:rgb_to_hsv' is a function"):
        get_mechanism("colorsys:rgb_to_hsv")
