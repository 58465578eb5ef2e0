"""Loading users' preference files (TRL format): each format, each malformation reported with
file, place and field, nothing partially loaded, and a round trip through the export."""

import json
import pathlib
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sim.corpus import (
    ATTRIBUTES,
    DEFAULT_TARGET_WEIGHTS,
    DataFileError,
    DuplicateComparisonWarning,
    builtin_corpus,
    corpus_from_comparisons,
    export_preferences,
    load_preferences,
)

FORMATS = ("jsonl", "csv", "parquet")


def _scores(side, value):
    return {f"{side}_{attribute}": value for attribute in ATTRIBUTES}


def _records(with_scores=True):
    """Five comparisons over three prompts; 'Paris.' is compared twice for the first prompt."""
    plain = [
        ("Capital of France?", "Paris.", "Lyon.", 0.9, 0.2),
        ("Capital of France?", "Paris.", "Marseille, obviously.", 0.9, 0.4),
        ("Capital of France?", "It is Paris, the seat of government.", "Lyon.", 0.8, 0.2),
        ("2 + 2?", "4", "5", 1.0, 0.0),
        ("Symbol for gold?", "Au", "Ag", 0.7, 0.3),
    ]
    records = []
    for prompt, chosen, rejected, good, bad in plain:
        record = {"prompt": prompt, "chosen": chosen, "rejected": rejected}
        if with_scores:
            record |= _scores("chosen", good) | _scores("rejected", bad)
        records.append(record)
    return records


def _write(records, path):
    """Write records independently of the code under test (json / pandas directly)."""
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    elif path.suffix == ".csv":
        pd.DataFrame(records).to_csv(path, index=False)
    else:
        pd.DataFrame(records).to_parquet(path, index=False)
    return path


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_loads_the_same_corpus(tmp_path, fmt):
    corpus = load_preferences(_write(_records(), tmp_path / f"prefs.{fmt}"))
    responses = corpus.responses
    assert len(responses) == 8  # 10 texts, 'Paris.' and 'Lyon.' for the same prompt repeat
    assert responses["prompt_id"].nunique() == 3
    assert set(responses["topic"]) == {"user"}
    assert corpus.has_attributes
    pairs = pd.concat([corpus.pairs("train"), corpus.pairs("test")]).sort_values("pair_id")
    assert pairs["pair_id"].tolist() == [0, 1, 2, 3, 4]
    assert not set(corpus.pairs("train")["prompt_id"]) & set(corpus.pairs("test")["prompt_id"])
    records = _records()
    assert corpus.texts(pairs["chosen"]) == [r["chosen"] for r in records]
    loser = np.where(pairs["chosen"] == pairs["left"], pairs["right"], pairs["left"])
    assert corpus.texts(loser) == [r["rejected"] for r in records]
    paris = responses.index[responses["text"] == "Paris."][0]
    np.testing.assert_array_equal(corpus.attribute_matrix([paris]), [[0.9] * 5])

    reference = load_preferences(_write(_records(), tmp_path / "reference.jsonl"))
    pd.testing.assert_frame_equal(corpus.responses, reference.responses)
    pd.testing.assert_frame_equal(corpus.pairs("train"), reference.pairs("train"))


def test_scores_are_optional_and_then_gold_is_the_recorded_choice(tmp_path):
    corpus = load_preferences(_write(_records(with_scores=False), tmp_path / "plain.jsonl"))
    assert not corpus.has_attributes
    assert len(corpus.responses) == 8
    with pytest.raises(ValueError, match=r"^attributes"):
        corpus.attribute_matrix([0])
    pairs = pd.concat([corpus.pairs("train"), corpus.pairs("test")]).sort_values("pair_id")
    gold_left = corpus.gold_left_wins(pairs, DEFAULT_TARGET_WEIGHTS)
    winners = np.where(gold_left, pairs["left"], pairs["right"])
    assert corpus.texts(winners) == [r["chosen"] for r in _records()]
    with pytest.raises(ValueError, match=r"^pairs: .*chosen"):
        corpus.gold_left_wins(pairs.drop(columns="chosen"), DEFAULT_TARGET_WEIGHTS)


def test_topic_column_is_kept(tmp_path):
    records = _records()
    for record in records:
        record["topic"] = "math" if record["prompt"] == "2 + 2?" else "facts"
    corpus = load_preferences(_write(records, tmp_path / "topics.csv"))
    topic_of = corpus.responses.drop_duplicates("prompt")
    assert dict(zip(topic_of["prompt"], topic_of["topic"], strict=True)) == {
        "Capital of France?": "facts",
        "2 + 2?": "math",
        "Symbol for gold?": "facts",
    }


def test_seed_changes_order_but_not_content(tmp_path):
    path = _write(_records() * 8, tmp_path / "many.jsonl")
    with pytest.warns(DuplicateComparisonWarning):  # the same five records, eight times
        first, again, other = (load_preferences(path, seed=s) for s in (0, 0, 1))
    pd.testing.assert_frame_equal(first.pairs("train"), again.pairs("train"))
    pd.testing.assert_frame_equal(first.responses, other.responses)
    sides = pd.concat([first.pairs("train"), first.pairs("test")]).sort_values("pair_id")
    sides_other = pd.concat([other.pairs("train"), other.pairs("test")]).sort_values("pair_id")
    assert not np.array_equal(sides["left"], sides_other["left"])
    np.testing.assert_array_equal(sides["chosen"], sides_other["chosen"])


def _error(path):
    with pytest.raises(DataFileError) as info:
        load_preferences(path)
    return info.value


def _assert_names(error, path, field, location):
    message = str(error)
    assert message.startswith(f"{field}:"), message
    assert str(path) in message
    assert error.field == field
    assert error.location == location
    if location is not None:
        assert location in message
    assert isinstance(error, ValueError)


def _jsonl(tmp_path, lines):
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = json.dumps({"prompt": "Q?", "chosen": "yes", "rejected": "no"})
GOOD_SCORED = json.dumps(
    {"prompt": "Q?", "chosen": "yes", "rejected": "no"}
    | _scores("chosen", 0.8)
    | _scores("rejected", 0.2)
)


@pytest.mark.parametrize(
    ("lines", "field", "location"),
    [
        ([GOOD, '{"prompt": "Q?", "chosen": "yes",', GOOD], "record", "line 2"),
        ([GOOD, GOOD, '["Q?", "yes", "no"]'], "record", "line 3"),
        ([GOOD, '{"prompt": "Q?", "rejected": "no"}'], "chosen", "line 2"),
        ([GOOD, '{"prompt": "Q?", "chosen": 7, "rejected": "no"}'], "chosen", "line 2"),
        (['{"prompt": [{"role": "user"}], "chosen": "a", "rejected": "b"}'], "prompt", "line 1"),
        (['{"prompt": "Q?", "chosen": "a", "rejected": "  "}'], "rejected", "line 1"),
        (['{"prompt": "Q?", "chosen": "a", "rejected": "a"}'], "rejected", "line 1"),
        ([GOOD, "", GOOD, '{"prompt": null, "chosen": "a", "rejected": "b"}'], "prompt", "line 4"),
    ],
)
def test_jsonl_malformations_are_named(tmp_path, lines, field, location):
    path = _jsonl(tmp_path, lines)
    _assert_names(_error(path), path, field, location)


def _scored_line(**changes):
    record = json.loads(GOOD_SCORED)
    for key, value in changes.items():
        if value is None:
            del record[key]
        else:
            record[key] = value
    return json.dumps(record)


@pytest.mark.parametrize(
    ("bad_line", "field"),
    [
        (_scored_line(rejected_tone=1.5), "rejected_tone"),
        (_scored_line(chosen_correctness=-0.1), "chosen_correctness"),
        (_scored_line(chosen_concision="high"), "chosen_concision"),
        (_scored_line(chosen_helpfulness=True), "chosen_helpfulness"),
        (_scored_line(rejected_harmlessness=None), "rejected_harmlessness"),
    ],
)
def test_bad_scores_are_named(tmp_path, bad_line, field):
    # Other texts than in GOOD_SCORED, so only the bad score itself can be the error.
    bad_line = bad_line.replace('"yes"', '"sure"').replace('"no"', '"nope"')
    path = _jsonl(tmp_path, [GOOD_SCORED, GOOD_SCORED, bad_line])
    _assert_names(_error(path), path, field, "line 3")


def test_a_record_without_scores_among_scored_ones_is_refused(tmp_path):
    path = _jsonl(tmp_path, [GOOD_SCORED, GOOD])
    _assert_names(_error(path), path, "chosen_correctness", "line 2")


def test_conflicting_scores_for_one_response_are_refused(tmp_path):
    clash = _scored_line(chosen_tone=0.3)
    path = _jsonl(tmp_path, [GOOD_SCORED, clash])
    error = _error(path)
    _assert_names(error, path, "chosen_tone", "line 2")
    assert "line 1" in str(error)


def test_conflicting_topics_for_one_prompt_are_refused(tmp_path):
    lines = [
        json.dumps({"prompt": "Q?", "chosen": "a", "rejected": "b", "topic": "x"}),
        json.dumps({"prompt": "Q?", "chosen": "a", "rejected": "c", "topic": "y"}),
    ]
    path = _jsonl(tmp_path, lines)
    _assert_names(_error(path), path, "topic", "line 2")


def test_csv_malformations_are_named(tmp_path):
    missing = tmp_path / "missing.csv"
    missing.write_text("prompt,chosen\nQ?,yes\n", encoding="utf-8")
    _assert_names(_error(missing), missing, "rejected", "row 1")

    empty_cell = tmp_path / "empty_cell.csv"
    empty_cell.write_text("prompt,chosen,rejected\nQ?,yes,no\n,yes,no\n", encoding="utf-8")
    _assert_names(_error(empty_cell), empty_cell, "prompt", "row 2")

    records = _records()
    records[3]["rejected_tone"] = 7
    out_of_range = _write(records, tmp_path / "range.csv")
    _assert_names(_error(out_of_range), out_of_range, "rejected_tone", "row 4")

    records = _records()
    records[2]["chosen_tone"] = None
    blank_score = _write(records, tmp_path / "blank_score.csv")
    error = _error(blank_score)
    _assert_names(error, blank_score, "chosen_tone", "row 3")
    assert "missing" in str(error)

    ragged = tmp_path / "ragged.csv"
    ragged.write_text("prompt,chosen,rejected\nQ?,a,b\nQ?,a,b,c,d\n", encoding="utf-8")
    error = _error(ragged)
    _assert_names(error, ragged, "record", None)
    assert "line 3" in str(error)

    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    _assert_names(_error(empty), empty, "record", None)


def test_parquet_malformations_are_named(tmp_path):
    numbers = tmp_path / "numbers.parquet"
    pd.DataFrame({"prompt": ["Q?", "R?"], "chosen": [1, 2], "rejected": ["a", "b"]}).to_parquet(
        numbers
    )
    _assert_names(_error(numbers), numbers, "chosen", "row 1")

    records = _records()
    records[1]["chosen_tone"] = float("nan")
    missing_score = _write(records, tmp_path / "nan.parquet")
    _assert_names(_error(missing_score), missing_score, "chosen_tone", "row 2")

    garbage = tmp_path / "garbage.parquet"
    garbage.write_bytes(b"not parquet at all")
    _assert_names(_error(garbage), garbage, "record", None)


@pytest.mark.parametrize("name", ["prefs.txt", "prefs"])
def test_unknown_extension_is_refused(tmp_path, name):
    path = tmp_path / name
    path.write_text(GOOD + "\n", encoding="utf-8")
    _assert_names(_error(path), path, "path", None)


def test_missing_and_empty_files_are_refused(tmp_path):
    absent = tmp_path / "absent.jsonl"
    _assert_names(_error(absent), absent, "path", None)
    blank = _jsonl(tmp_path, ["", "   "])
    _assert_names(_error(blank), blank, "record", None)


def _one_score_file(tmp_path, fmt, cell):
    """The five scored records with ``rejected_tone`` of record 3 replaced by ``cell``: raw JSON
    text for JSONL, raw cell text for CSV, a Python value stored as a double for Parquet."""
    records = _records()
    if fmt == "jsonl":
        marker = 123.456
        records[2]["rejected_tone"] = marker
        path = _write(records, tmp_path / "prefs.jsonl")
        path.write_text(path.read_text().replace(str(marker), cell), encoding="utf-8")
    elif fmt == "csv":
        records[2]["rejected_tone"] = "MARKER"
        path = _write(records, tmp_path / "prefs.csv")
        path.write_text(path.read_text().replace("MARKER", cell), encoding="utf-8")
    else:
        records[2]["rejected_tone"] = cell
        path = tmp_path / "prefs.parquet"
        pq.write_table(pa.Table.from_pylist(records), path)
    return path


@pytest.mark.parametrize(
    ("fmt", "cell"),
    [
        ("jsonl", "1" + "0" * 400),  # json reads a 401-digit int; float() of it overflows
        ("jsonl", "1e400"),  # json reads inf
        ("jsonl", "NaN"),
        ("jsonl", "-Infinity"),
        ("csv", "1" + "0" * 400),
        ("csv", "nan"),
        ("csv", "inf"),
        ("parquet", float("nan")),
        ("parquet", float("inf")),
    ],
)
def test_non_finite_scores_are_named_as_such(tmp_path, fmt, cell):
    path = _one_score_file(tmp_path, fmt, cell)
    error = _error(path)
    location = "line 3" if fmt == "jsonl" else "row 3"
    _assert_names(error, path, "rejected_tone", location)
    assert "not a finite number" in str(error)
    assert "missing" not in str(error)
    assert len(str(error)) < 300  # the 401 digits are not echoed


@pytest.mark.parametrize(("fmt", "cell"), [("jsonl", "null"), ("csv", ""), ("parquet", None)])
def test_blank_scores_are_named_missing(tmp_path, fmt, cell):
    path = _one_score_file(tmp_path, fmt, cell)
    error = _error(path)
    _assert_names(error, path, "rejected_tone", "line 3" if fmt == "jsonl" else "row 3")
    assert "missing" in str(error)


def test_unparsable_json_numbers_and_nesting_are_named(tmp_path):
    too_long = '{"prompt": "Q?", "chosen": "a", "rejected": "b", "n": 1' + "0" * 5000 + "}"
    deep = '{"prompt": "Q?", "chosen": "a", "rejected": "b", "n": ' + "[" * 100_000
    deep += "]" * 100_000 + "}"
    for lines, location in (([GOOD, too_long], "line 2"), ([GOOD, GOOD, deep], "line 3")):
        path = _jsonl(tmp_path, lines)
        _assert_names(_error(path), path, "record", location)


def test_deeply_nested_parquet_is_named(tmp_path):
    value = "Q?"
    for _ in range(300):
        value = [value]
    path = tmp_path / "deep.parquet"
    pq.write_table(pa.Table.from_pylist([{"prompt": value, "chosen": "a", "rejected": "b"}]), path)
    error = _error(path)
    _assert_names(error, path, "record", None)
    assert "nested" in str(error)


@pytest.mark.parametrize("fmt", FORMATS)
def test_unreadable_file_is_named(tmp_path, monkeypatch, fmt):
    """Opening the file fails as it does without read permission (simulated, because root
    reads any file whatever its mode)."""
    path = _write(_records(), tmp_path / f"prefs.{fmt}")
    real_open = pathlib.Path.open

    def refusing_open(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", refusing_open)
    error = _error(path)
    _assert_names(error, path, "path", None)
    assert "Permission denied" in str(error)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_folder_given_as_the_file_is_named(tmp_path, fmt):
    folder = tmp_path / f"prefs.{fmt}"
    folder.mkdir()
    error = _error(folder)
    _assert_names(error, folder, "path", None)
    assert "is a folder" in str(error)


def _repeating_records():
    """Q1's pair four times: as recorded, a copy, swapped, a copy of the swap; Q2's pair once
    each way; Q3's once. By hand: 2 duplicate records (2nd, 4th), 2 contradicting
    comparisons (Q1's, Q2's); the first duplicate is record 2, the first swap record 3."""
    rows = [
        ("Q1", "a", "b"),
        ("Q1", "a", "b"),
        ("Q1", "b", "a"),
        ("Q1", "b", "a"),
        ("Q2", "x", "y"),
        ("Q2", "y", "x"),
        ("Q3", "a", "b"),
    ]
    return [{"prompt": p, "chosen": c, "rejected": r} for p, c, r in rows]


@pytest.mark.parametrize("fmt", [*FORMATS, "frame"])
def test_duplicates_and_contradictions_warn_with_counts_and_still_load(tmp_path, fmt):
    records = _repeating_records()
    with pytest.warns(DuplicateComparisonWarning) as caught:
        if fmt == "frame":
            corpus = corpus_from_comparisons(pd.DataFrame(records))
        else:
            corpus = load_preferences(_write(records, tmp_path / f"prefs.{fmt}"))
    (warning,) = [w.message for w in caught if isinstance(w.message, DuplicateComparisonWarning)]
    assert (warning.duplicates, warning.contradictions) == (2, 2)
    message = str(warning)
    assert "\n" not in message
    assert "2 duplicate" in message and "2 contradicting" in message
    first = "line" if fmt == "jsonl" else "row"
    assert f"{first} 2" in message and f"{first} 3" in message
    assert len(corpus.pairs("train")) + len(corpus.pairs("test")) == len(records)


def test_distinct_comparisons_load_without_a_warning(tmp_path):
    path = _write(_records(), tmp_path / "prefs.jsonl")  # 'Paris.' twice, against others
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_preferences(path)


def test_a_bad_last_record_loads_nothing(tmp_path):
    """The error surfaces even when every record before the last one is valid."""
    lines = [GOOD_SCORED] * 200 + [_scored_line(rejected_tone=2.0)]
    path = _jsonl(tmp_path, lines)
    _assert_names(_error(path), path, "rejected_tone", "line 201")


def test_dataframe_input_is_validated_with_rows():
    frame = pd.DataFrame(_records())
    corpus = corpus_from_comparisons(frame)
    assert len(corpus.responses) == 8
    frame.loc[2, "chosen"] = None
    with pytest.raises(DataFileError) as info:
        corpus_from_comparisons(frame)
    _assert_names(info.value, "DataFrame", "chosen", "row 3")


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_of_gold_labelled_pairs(tmp_path, fmt):
    """Export the built-in test pairs with gold labels, load them back: same texts, same
    scores, and every recorded winner is the gold winner under the same weights."""
    original = builtin_corpus(seed=0)
    weights = {"correctness": 0.5, "harmlessness": 0.3, "tone": 0.2}
    path = tmp_path / f"gold.{fmt}"
    export_preferences(original, "test", path, weights=weights)
    loaded = load_preferences(path, seed=5)

    test_pairs = original.pairs("test")
    used = np.unique(np.concatenate([test_pairs["left"], test_pairs["right"]]))
    assert len(loaded.responses) == used.size
    assert sorted(loaded.responses["text"]) == sorted(original.texts(used))
    # A text can recur under another prompt (the same fact asked another way): match by both.
    by_text = original.responses.set_index(["prompt", "text"])
    loaded_responses = loaded.responses
    keys = pd.MultiIndex.from_frame(loaded_responses[["prompt", "text"]])
    np.testing.assert_array_equal(
        loaded_responses[list(ATTRIBUTES)].to_numpy(),
        by_text.loc[keys, list(ATTRIBUTES)].to_numpy(),
    )
    assert set(loaded_responses["topic"]) == set(original.responses["topic"])

    n_loaded = 0
    for split in ("train", "test"):
        pairs = loaded.pairs(split)
        n_loaded += len(pairs)
        gold = loaded.gold_left_wins(pairs, weights)
        np.testing.assert_array_equal(
            np.where(gold, pairs["left"], pairs["right"]), pairs["chosen"]
        )
    assert n_loaded == len(test_pairs)


def test_export_refuses_unknown_extension(tmp_path):
    with pytest.raises(DataFileError, match=r"^path"):
        export_preferences(builtin_corpus(seed=0), "test", tmp_path / "gold.xlsx")
