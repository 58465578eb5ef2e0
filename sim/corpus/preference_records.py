"""Reading a preference file's records and validating each field (the file contract is in
:mod:`sim.corpus.preference_files`): every failure is a :class:`DataFileError` naming the
file, the line or row and the field; repeated and contradicting records warn."""

from __future__ import annotations

import io
import json
import math
import warnings
from collections.abc import Sequence
from numbers import Real
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from sim.corpus.corpus import (
    ATTRIBUTES,
)
from sim.corpus.records import TRL_COLUMNS

SCORE_FIELDS: tuple[str, ...] = tuple(
    f"{side}_{attribute}" for side in ("chosen", "rejected") for attribute in ATTRIBUTES
)
DEFAULT_TOPIC = "user"
FORMATS: tuple[str, ...] = (".jsonl", ".csv", ".parquet")


class DataFileError(ValueError):
    """A preference file (or frame) that breaks the contract; nothing of it was loaded.

    The message starts with the field, then says what is wrong and where:
    ``"chosen: expected text (a string), got int (in prefs.jsonl, line 3)"``.

    Attributes
    ----------
    source : str
        The file path, or ``"DataFrame"`` for an in-memory frame.
    field : str
        The offending field; ``"path"`` for the file itself, ``"record"`` for a record that
        cannot be parsed at all.
    location : str or None
        ``"line N"`` or ``"row N"``; None when the problem concerns the whole file.
    """

    def __init__(self, source: str, field: str, problem: str, location: str | None = None):
        self.source = source
        self.field = field
        self.location = location
        where = source if location is None else f"{source}, {location}"
        super().__init__(f"{field}: {problem} (in {where})")


class DuplicateComparisonWarning(UserWarning):
    """Records that repeat an earlier one, or comparisons recorded both ways; they loaded.

    Attributes
    ----------
    duplicates : int
        Records with the same prompt, chosen and rejected as an earlier record.
    contradictions : int
        Comparisons (a prompt and a pair of responses) recorded with chosen and rejected
        swapped, each counted once however often either way occurs.
    """

    def __init__(self, message: str, duplicates: int, contradictions: int):
        super().__init__(message, duplicates, contradictions)
        self.duplicates = duplicates
        self.contradictions = contradictions

    def __str__(self) -> str:
        return self.args[0]


def read_records(path: Path, source: str) -> tuple[list[dict], list[str]]:
    """Raw records of a file and where each came from, by the file's extension.

    Parquet is read with pyarrow into plain Python values, so that a null cell is None
    (missing) and a NaN cell stays NaN (not a finite number).
    """
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise DataFileError(source, "path", f"unknown extension {path.suffix!r}; use {FORMATS}")
    if path.is_dir():
        raise DataFileError(source, "path", "is a folder; give a preference file")
    if not path.is_file():
        raise DataFileError(source, "path", "no such file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DataFileError(
            source, "path", f"cannot be read ({exc.strerror or exc}); check its permissions"
        ) from None
    if suffix == ".jsonl":
        return _read_jsonl(data, source)
    try:
        if suffix == ".csv":
            frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
            records = frame.to_dict(orient="records")
        else:
            records = pq.read_table(io.BytesIO(data)).to_pylist()
    except pd.errors.EmptyDataError:
        raise DataFileError(
            source, "record", "the file is empty; add a header and records"
        ) from None
    except (
        pd.errors.ParserError,
        UnicodeDecodeError,
        OSError,
        ValueError,
        pa.ArrowException,
    ) as exc:
        problem = " ".join(str(exc).split())
        raise DataFileError(
            source, "record", f"cannot be parsed as {suffix[1:]} ({problem})"
        ) from None
    return records, [f"row {k}" for k in range(1, len(records) + 1)]


def _read_jsonl(data: bytes, source: str) -> tuple[list[dict], list[str]]:
    records, locations = [], []
    for number, raw in enumerate(data.split(b"\n"), start=1):
        location = f"line {number}"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataFileError(source, "record", f"not UTF-8 text ({exc})", location) from None
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataFileError(source, "record", f"not valid JSON ({exc})", location) from None
        except ValueError:  # the only other one: an integer past Python's digit limit
            raise DataFileError(
                source,
                "record",
                "holds an integer too long to read; give numbers in [0, 1]",
                location,
            ) from None
        except RecursionError:
            raise DataFileError(
                source, "record", "nested too deeply to read; give a flat JSON object", location
            ) from None
        if not isinstance(record, dict):
            kind = type(record).__name__
            raise DataFileError(source, "record", f"expected a JSON object, got {kind}", location)
        records.append(record)
        locations.append(location)
    return records, locations


def validated_frame(records: list[dict], locations: list[str], source: str) -> pd.DataFrame:
    """Check every record against the contract and return them as one frame.

    Columns: ``prompt, chosen, rejected, topic`` and, when scores are given, the ten
    ``SCORE_FIELDS``; NaN-free.
    """
    if not records:
        raise DataFileError(source, "record", "no comparisons found; add at least one record")
    fields = set().union(*(record.keys() for record in records))
    has_scores = any(field in fields for field in SCORE_FIELDS)
    has_topic = "topic" in fields
    rows = []
    for record, location in zip(records, locations, strict=True):
        row = {}
        for field in TRL_COLUMNS + (("topic",) if has_topic else ()):
            row[field] = _text(record, field, source, location)
        if row["chosen"] == row["rejected"]:
            raise DataFileError(
                source,
                "rejected",
                "same text as chosen; a comparison needs two different responses",
                location,
            )
        if has_scores:
            for field in SCORE_FIELDS:
                row[field] = _score(record, field, source, location)
        rows.append(row)
    columns = [*TRL_COLUMNS, "topic", *(SCORE_FIELDS if has_scores else ())]
    frame = pd.DataFrame(rows, columns=columns)
    if not has_topic:
        frame["topic"] = DEFAULT_TOPIC
    _check_consistency(frame, locations, source, has_scores)
    _warn_of_repeats(frame, locations, source)
    return frame


def _text(record: dict, field: str, source: str, location: str) -> str:
    if field not in record:
        raise DataFileError(
            source, field, f"missing; every record needs {', '.join(TRL_COLUMNS)}", location
        )
    value = record[field]
    if isinstance(value, list | tuple | np.ndarray):
        raise DataFileError(
            source,
            field,
            "expected text (a string), got a list; conversational (message list) data is not "
            "supported, flatten it to plain text",
            location,
        )
    if not isinstance(value, str):
        kind = "nothing" if _is_missing(value) else type(value).__name__
        raise DataFileError(source, field, f"expected text (a string), got {kind}", location)
    if not value.strip():
        raise DataFileError(source, field, "is empty; give the text", location)
    return value


def _score(record: dict, field: str, source: str, location: str) -> float:
    """A score in [0, 1]: a number or (CSV) its text. Absent, None or blank is missing; NaN,
    infinities and integers too large for a float are not finite numbers."""
    if field not in record or _is_blank(record[field]):
        raise DataFileError(
            source,
            field,
            "missing while other attribute scores are given; give all ten "
            "chosen_<attribute> and rejected_<attribute> scores or none",
            location,
        )
    value = record[field]
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            raise DataFileError(
                source, field, f"expected a number in [0, 1], got {_brief(value)}", location
            ) from None
    elif isinstance(value, bool) or not isinstance(value, Real):
        kind = type(value).__name__
        raise DataFileError(source, field, f"expected a number in [0, 1], got {kind}", location)
    else:
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
    if not math.isfinite(number):
        if isinstance(value, str):
            shown = _brief(value)
        else:
            shown = "an integer too large for a float" if isinstance(value, int) else str(number)
        raise DataFileError(
            source,
            field,
            f"expected a number in [0, 1], got {shown} (not a finite number)",
            location,
        )
    if not 0.0 <= number <= 1.0:
        raise DataFileError(
            source,
            field,
            f"score {number} is outside [0, 1]; rescale ratings r on 1..5 as (r - 1) / 4",
            location,
        )
    return number


def _brief(text: str, width: int = 40) -> str:
    """``repr(text)``, cut to about ``width`` characters so an error stays one short line."""
    return repr(text) if len(text) <= width else repr(text[: width - 3] + "...")


def _is_blank(value) -> bool:
    """None or (as CSV gives a gap) blank text."""
    return value is None or (isinstance(value, str) and not value.strip())


def _is_missing(value) -> bool:
    """Blank, or NaN (as pandas gives a gap)."""
    return _is_blank(value) or (isinstance(value, float) and math.isnan(value))


def _check_consistency(
    frame: pd.DataFrame, locations: Sequence[str], source: str, has_scores: bool
) -> None:
    """One topic per prompt and one set of scores per response (prompt and text)."""
    first_topic = frame.groupby("prompt", sort=False)["topic"].transform("first")
    clash = np.flatnonzero(frame["topic"].to_numpy() != first_topic.to_numpy())
    if clash.size:
        k = clash[0]
        raise DataFileError(
            source,
            "topic",
            f"{frame['topic'].iat[k]!r} differs from {first_topic.iat[k]!r} given earlier "
            "for the same prompt; give each prompt one topic",
            locations[k],
        )
    if not has_scores:
        return
    seen: dict[tuple[str, str], tuple[np.ndarray, str]] = {}
    for side in ("chosen", "rejected"):
        fields = [f"{side}_{attribute}" for attribute in ATTRIBUTES]
        scores = frame[fields].to_numpy()
        for k, (prompt, text) in enumerate(zip(frame["prompt"], frame[side], strict=True)):
            earlier = seen.setdefault((prompt, text), (scores[k], locations[k]))
            differs = np.flatnonzero(earlier[0] != scores[k])
            if differs.size:
                field = fields[differs[0]]
                raise DataFileError(
                    source,
                    field,
                    f"this response was scored {earlier[0][differs[0]]} at {earlier[1]} and "
                    f"{scores[k][differs[0]]} here; a response needs the same scores everywhere",
                    locations[k],
                )


def _warn_of_repeats(frame: pd.DataFrame, locations: Sequence[str], source: str) -> None:
    """Warn, with counts and first places, of records that repeat an earlier one and of
    comparisons recorded both ways (chosen and rejected swapped)."""
    seen: set[tuple[str, str, str]] = set()
    repeats, swaps = [], []
    contradicted: set[tuple[str, frozenset[str]]] = set()
    keys = zip(frame["prompt"], frame["chosen"], frame["rejected"], strict=True)
    for (prompt, chosen, rejected), location in zip(keys, locations, strict=True):
        if (prompt, chosen, rejected) in seen:
            repeats.append(location)
        elif (prompt, rejected, chosen) in seen:
            swaps.append(location)
            contradicted.add((prompt, frozenset((chosen, rejected))))
        seen.add((prompt, chosen, rejected))
    if not repeats and not swaps:
        return
    first_repeat = f", first at {repeats[0]}" if repeats else ""
    first_swap = f", first at {swaps[0]}" if swaps else ""
    message = (
        f"{source}: {len(repeats)} duplicate records (the same prompt, chosen and rejected as "
        f"an earlier record{first_repeat}) and {len(contradicted)} contradicting comparisons "
        f"(the same prompt and pair with chosen and rejected swapped{first_swap}); each "
        "record loads as one label, remove copies that are not separate judgements"
    )
    warnings.warn(
        DuplicateComparisonWarning(message, len(repeats), len(contradicted)), stacklevel=4
    )
