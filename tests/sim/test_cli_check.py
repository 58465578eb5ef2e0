"""``prefmarket mechanisms`` and ``prefmarket check``: output, exit codes and one-line errors."""

import pytest
from typer.testing import CliRunner

from sim.cli import app

TOYS = "tests.properties.toy_mechanisms"


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
        ("nonsense",),
    ],
)
def test_bad_input_gives_one_line_error_and_exit_2(invoke, args):
    assert_one_line_error(invoke(*args))
