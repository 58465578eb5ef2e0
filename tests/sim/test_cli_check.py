"""``prefmarket mechanisms`` and ``prefmarket check``: output, exit codes and one-line errors."""

import re
import time

import numpy as np
import pytest
from typer.testing import CliRunner

from mechanisms import Market
from sim.cli import app
from tests.mechanisms.local_modules import PAY_THE_VALUE, write_module_here
from tests.properties.planted_mechanisms import BandPaysAsk

TOYS = "tests.properties.toy_mechanisms"
BROKEN = "tests.properties.broken_mechanisms"
PLANTED = "tests.properties.planted_mechanisms"


@pytest.fixture
def invoke():
    runner = CliRunner()

    def run(*args):
        return runner.invoke(app, list(args), env={"COLUMNS": "200"})

    return run


def assert_one_line_error(result):
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in result.output


def test_mechanisms_lists_every_builtin_with_its_claims(invoke):
    result = invoke("mechanisms")
    assert result.exit_code == 0, result.output
    rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if "│" in line}
    for name in ("vcg", "uniform_price", "first_price", "posted_price", "budget_feasible"):
        assert name in rows
    assert "yes if unit_capacity" in rows["uniform_price"]
    dsic_column = [cell.strip() for cell in rows["first_price"].split("│")][2]
    assert dsic_column == "no"


def test_check_vcg_finds_nothing_and_exits_0(invoke):
    result = invoke("check", "vcg", "--examples", "40")
    assert result.exit_code == 0, result.output
    assert "OK:" in result.stdout
    for prop in ("dsic", "ir", "monotone"):
        assert f"{prop} counterexample" not in result.stdout


def test_check_first_price_prints_a_dsic_counterexample_and_exits_0(invoke):
    result = invoke("check", "first_price", "--examples", "40", "--seed", "3")
    assert result.exit_code == 0, result.output
    line = next(line for line in result.stdout.splitlines() if line.startswith("dsic counterex"))
    for field in ("seller", "true cost", "misreport", "utility gain"):
        assert field in line
    assert "market: Market(" in result.stdout


def test_a_false_dsic_claim_by_import_path_exits_1(invoke):
    result = invoke("check", f"{TOYS}:AskPlusBonus", "--examples", "20")
    assert result.exit_code == 1, result.output
    assert "FAIL" in result.stdout
    assert "dsic counterexample" in result.stdout


def test_check_is_deterministic_given_the_seed(invoke):
    first = invoke("check", "first_price", "--examples", "15", "--seed", "5")
    again = invoke("check", "first_price", "--examples", "15", "--seed", "5")
    assert first.stdout == again.stdout


def test_param_reaches_the_mechanism(invoke):
    # A negative bonus pays winners less than their ask: IR fails only then.
    default = invoke("check", f"{TOYS}:AskPlusBonus", "--examples", "20")
    negative = invoke("check", f"{TOYS}:AskPlusBonus", "--param", "bonus=-0.5", "-n", "20")
    assert "ir counterexample" not in default.stdout
    assert "ir counterexample" in negative.stdout


@pytest.mark.parametrize(
    "args",
    [
        ("check", "no_such_mechanism"),
        ("check", "no_such_package.module:Class"),
        ("check", f"{TOYS}:NoSuchClass"),
        ("check", "vcg", "--examples", "0"),
        ("check", "vcg", "--examples", "many"),
        ("check", "vcg", "--param", "no_equals_sign"),
        ("check", "vcg", "--param", "unexpected=1"),
        ("check", "posted_price", "--param", "price=-1"),
        ("check", "vcg", "--sellers", "0"),
        ("check", "vcg", "--scale", "0"),
        ("check", "vcg", "--timeout", "-1"),
        ("check", "os:system", "--param", "command=echo ran"),
        ("nonsense",),
    ],
)
def test_bad_input_gives_one_line_error_and_exit_2(invoke, args):
    assert_one_line_error(invoke(*args))


@pytest.mark.parametrize(
    ("mechanism", "problem"),
    [
        ("NanOnTies", r"payments: every entry must be finite"),
        ("OneShortFromThree", r"run returned (\d+) allocations for (?!\1)\d+ sellers"),
        ("TypeErrorOnTies", r"TypeError: tied asks"),
        ("GlobalRandomPostedPrice", r"run drew from Python's global random module"),
    ],
)
def test_a_mechanism_that_breaks_the_run_contract_fails_loudly(invoke, mechanism, problem):
    # Refusals are counted, not failed; a broken outcome, a crash or randomness outside rng
    # is none of them: exit 2, one line naming the contract and the market.
    result = invoke("check", f"{BROKEN}:{mechanism}")
    assert_one_line_error(result)
    assert "breaks the run contract" in result.stderr
    assert re.search(problem, result.stderr)
    assert "Market(values=" in result.stderr
    assert "OK" not in result.stdout and "counterexample" not in result.stdout


@pytest.mark.parametrize(
    ("body", "options", "problem"),
    [
        ("raise SystemExit(0)", (), "run called sys.exit(0)"),
        ("time.sleep(3600)", ("--timeout", "0.3"), "did not return within 0.3 s"),
    ],
)
def test_a_run_that_exits_or_hangs_fails_with_one_line(
    invoke, tmp_path, monkeypatch, body, options, problem
):
    source = f"""
        import time

        class Stuck:
            name = "stuck"
            properties = {{"dsic": True, "ir": True, "budget_feasible": False, "monotone": True}}

            def run(self, asks, market, rng):
                {body}
    """
    name = write_module_here(tmp_path, monkeypatch, f"kit_stuck_{tmp_path.name}", source)
    start = time.monotonic()
    result = invoke("check", f"{name}:Stuck", *options)
    assert time.monotonic() - start < 60
    assert_one_line_error(result)
    assert "'stuck'" in result.stderr and problem in result.stderr


def test_a_module_that_exits_on_import_fails_with_one_line(invoke, tmp_path, monkeypatch):
    name = write_module_here(tmp_path, monkeypatch, "kit_check_exits", "import sys\nsys.exit(3)\n")
    result = invoke("check", f"{name}:Anything")
    assert_one_line_error(result)
    assert "SystemExit: 3" in result.stderr


def test_check_finds_a_module_in_the_current_directory(invoke, tmp_path, monkeypatch):
    name = write_module_here(tmp_path, monkeypatch, "kit_check_local", PAY_THE_VALUE)
    result = invoke("check", f"{name}:PayTheValue", "--examples", "5")
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("mechanism", "prop"),
    [
        ("PayAsBidFromFive", "dsic"),
        ("BudgetAssumesUnitPrices", "budget_feasible"),
        ("BandBonus", "dsic"),
        ("BandPaysAsk", "dsic"),
        ("CloseToThePricePaysAsk", "dsic"),
    ],
)
def test_check_at_its_defaults_finds_each_planted_violation(invoke, mechanism, prop):
    result = invoke("check", f"{PLANTED}:{mechanism}")
    assert result.exit_code == 1, result.output
    assert f"violates its declared {prop}" in result.stdout
    assert f"{prop} counterexample" in result.stdout


@pytest.mark.parametrize(
    ("mechanism", "narrow"),
    [("PayAsBidFromFive", ("--sellers", "4")), ("BudgetAssumesUnitPrices", ("--scale", "1"))],
)
def test_sellers_and_scale_set_how_far_check_reaches(invoke, mechanism, narrow):
    wide = invoke("check", f"{PLANTED}:{mechanism}", "--examples", "60")
    confined = invoke("check", f"{PLANTED}:{mechanism}", "--examples", "60", *narrow)
    assert wide.exit_code == 1, wide.output
    assert confined.exit_code == 0, confined.output


def test_a_band_of_profitable_costs_prints_a_counterexample_a_person_can_replay(invoke):
    # BandPaysAsk pays a winner its ask in [0.41, 0.42] and the uniform price elsewhere:
    # only a true cost inside the band gains, by asking outside it (issue 27).
    result = invoke("check", f"{PLANTED}:BandPaysAsk")
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("dsic counterexample"))
    head, market_line, asks_line, truthful_line, detail = lines[start : start + 5]
    fields = dict(field.rsplit(" ", 1) for field in head.split(": ", 1)[1].split(", "))
    seller, true_cost, misreport = (
        int(fields["seller"]),
        float(fields["true cost"]),
        float(fields["misreport"]),
    )
    assert 0.41 <= true_cost <= 0.42
    namespace = {"Market": Market}
    market = eval(market_line.split("market: ", 1)[1], namespace)
    asks_text, seed_text = asks_line.split("asks: ", 1)[1].split(", rng seed ")
    asks = np.array(eval(asks_text))
    truthful = np.array(eval(truthful_line.split("truthful asks: ", 1)[1]))
    assert asks[seller] == pytest.approx(misreport, rel=1e-8)
    assert truthful[seller] == pytest.approx(true_cost, rel=1e-8)
    utilities = []
    for profile in (truthful, asks):
        outcome = BandPaysAsk().run(profile, market, np.random.default_rng(int(seed_text)))
        utilities.append(outcome.payments[seller] - truthful[seller] * outcome.allocation[seller])
    gain = float(fields["utility gain"])
    assert utilities[1] - utilities[0] == pytest.approx(gain, rel=1e-5)
    printed = [float(u) for u in re.findall(r"utility (-?[0-9.e+-]+)\)", detail)]
    assert printed == pytest.approx(utilities, abs=1e-8)
