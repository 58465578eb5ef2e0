"""Every record schema is declared once, in its layer's records module (``analysis.records``,
``sim.corpus.records``): no library file spells a schema's column names out again, and the
tables the market and the corpus produce have exactly the declared columns and dtypes."""

import ast
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import analysis.records
import sim.corpus.records
from analysis import comparison_stats as stats
from analysis.records import (
    AI_SHARE,
    ANNOTATOR_ROUNDS,
    DIFFERENCES,
    FRONTIER,
    PURCHASED_LABELS,
    ROUND_METRICS,
    ROUNDS,
    SHADING,
    SPEND_BY_KIND,
    SPEND_NEEDED,
    TRANSACTIONS,
    Schema,
)
from analysis.seller_kinds import ai_share_points, spend_by_kind
from sim.corpus import DEFAULT_TARGET_WEIGHTS, builtin_corpus, gold_pairs, to_trl
from sim.corpus.records import COMPARISONS, RESPONSES, TRL_PAIRS
from tests.analysis.test_seller_kinds import annotators, labels, outcomes
from tests.data.market_reference import market_tables

ROOT = Path(__file__).parents[1]
LIBRARY = ("mechanisms", "analysis", "agents", "sim", "bench")
HOMES = (analysis.records, sim.corpus.records)
SCHEMAS = {
    f"{home.__name__}.{name}": value
    for home in HOMES
    for name, value in vars(home).items()
    if isinstance(value, Schema)
}
HOME_FILES = {Path(home.__file__).relative_to(ROOT).as_posix() for home in HOMES}
DTYPES = {"int64", "float64", "bool", "str"}


def test_every_schema_is_well_formed():
    assert len(SCHEMAS) >= 10
    for where, schema in SCHEMAS.items():
        assert len(set(schema.names)) == len(schema.names), where
        for column in schema.columns:
            assert column.dtype in DTYPES, f"{where}.{column.name}: dtype {column.dtype!r}"
            assert column.meaning.strip(), f"{where}.{column.name}: no meaning"


def respellings(root: Path = ROOT) -> list[str]:
    """Literal tuples, lists and sets of strings in library files that hold every column name
    of a declared schema (of three columns or more), and ``Schema(...)`` built outside the
    records modules."""
    found = []
    for package in LIBRARY:
        for path in sorted((root / package).rglob("*.py")):
            relative = path.relative_to(root).as_posix()
            for node in ast.walk(ast.parse(path.read_text())):
                found += [f"{relative}:{node.lineno} {problem}" for problem in _problems(node)]
                if relative not in HOME_FILES and _declares_schema(node):
                    found.append(f"{relative}:{node.lineno} declares a Schema")
    return found


def _declares_schema(node: ast.AST) -> bool:
    return isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Schema"


def _problems(node: ast.AST) -> list[str]:
    if not isinstance(node, ast.Tuple | ast.List | ast.Set):
        return []
    strings = {e.value for e in node.elts if isinstance(e, ast.Constant)}
    return [
        f"spells out {where}"
        for where, schema in SCHEMAS.items()
        if len(schema.names) >= 3 and set(schema.names) <= strings
    ]


def test_no_library_file_spells_out_a_schema_again():
    assert respellings() == []


def test_a_planted_respelling_is_found(tmp_path):
    planted = tmp_path / "analysis"
    planted.mkdir()
    (planted / "leak.py").write_text(
        'COLUMNS = ("round", "annotator", "units", "ask", "payment", "cost", "value", "skill")\n'
        'LABELS = ["worker", "left", "right", "label", "extra"]\n'
        'FORM = Schema("labels", ())\n'
    )
    assert respellings(tmp_path) == [
        "analysis/leak.py:1 spells out analysis.records.TRANSACTIONS",
        "analysis/leak.py:2 spells out analysis.records.LABELS",
        "analysis/leak.py:3 declares a Schema",
    ]


def _assert_declared(frame: pd.DataFrame, schema: Schema, extra: tuple[str, ...] = ()) -> None:
    assert tuple(frame.columns) == (*schema.names, *extra), schema.name
    assert {c: str(frame[c].dtype) for c in schema.names} == schema.dtypes, schema.name


def test_the_market_results_have_exactly_the_declared_columns():
    tables = market_tables("posted_price_no_feedback")
    declared = {
        "rounds": ROUNDS,
        "annotators": ANNOTATOR_ROUNDS,
        "transactions": TRANSACTIONS,
        "labels": PURCHASED_LABELS,
    }
    assert sorted(tables) == sorted(declared)
    for name, schema in declared.items():
        assert len(tables[name]), name
        _assert_declared(tables[name], schema)


def test_the_comparison_tables_have_exactly_the_declared_columns():
    rng = np.random.default_rng(0)
    identity = pd.MultiIndex.from_product(
        [["main"], ["a", "b"], [2.0, 4.0], range(3), range(2)],
        names=["scenario", "mechanism", "budget", "seed_index", "round"],
    ).to_frame(index=False)
    metrics = pd.DataFrame(rng.random((len(identity), len(ROUND_METRICS))), columns=ROUND_METRICS)
    rounds = pd.concat([metrics.drop(columns="round"), identity], axis=1)
    outcomes = stats.seed_outcomes(rounds)
    points = stats.frontier(outcomes)
    at_four = outcomes[outcomes["budget"] == 4.0]
    _assert_declared(stats.paired_differences(at_four, "a", ["a", "b"]), DIFFERENCES)
    _assert_declared(points, FRONTIER)
    _assert_declared(stats.spend_needed(points, 0.5, ["a", "b"]).reset_index(), SPEND_NEEDED)
    annotators = identity.assign(ask=rng.random(len(identity)) + 1.0, cost=1.0)
    _assert_declared(stats.shading_by_round(annotators), SHADING)


def test_the_seller_kind_tables_have_exactly_the_declared_columns():
    _assert_declared(spend_by_kind(annotators(), labels()), SPEND_BY_KIND)
    _assert_declared(ai_share_points(annotators(), outcomes()), AI_SHARE)


@pytest.fixture(scope="module")
def corpus():
    return builtin_corpus(0)


def test_the_corpus_tables_have_the_declared_columns(corpus):
    attributes = tuple(c for c in corpus.responses.columns if c not in RESPONSES.names)
    _assert_declared(corpus.responses, RESPONSES, attributes)
    assert all(str(corpus.responses[a].dtype) == "float64" for a in attributes)
    _assert_declared(corpus.pairs("train"), COMPARISONS)
    _assert_declared(gold_pairs(corpus, corpus.pairs("test"), DEFAULT_TARGET_WEIGHTS), TRL_PAIRS)
    pairs = corpus.pairs("train").iloc[:3]
    left, right = pairs["left"], pairs["right"]
    labels = pd.DataFrame({"worker": [0, 1, 2], "left": left, "right": right, "label": left})
    _assert_declared(to_trl(labels, corpus), TRL_PAIRS, ("worker",))
