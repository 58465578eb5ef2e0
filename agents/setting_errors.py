"""How a setting's validation error reads: one line naming the field, the problem and, where
the value's type is the problem, the fix."""

from __future__ import annotations

from pydantic import ValidationError

QUOTED_NUMBER = "expected a number, not a quoted string; drop the quotes"
NUMBER_ERRORS = ("float_type", "int_type")
"""pydantic's error types for a value of the wrong type where a strict number is declared."""


def setting_problem(error: dict) -> str:
    """The problem of one pydantic error, with the fix where the value's type is the problem:
    a number given as a quoted string (TOML ``"0.3"``), a whole number with a decimal point."""
    value = error.get("input")
    if error["type"] in NUMBER_ERRORS and isinstance(value, str):
        return QUOTED_NUMBER
    if error["type"] == "int_type" and isinstance(value, float):
        return "expected a whole number; write it without a decimal point"
    return error["msg"].removeprefix("Value error, ")


def one_line(exc: ValidationError) -> str:
    """The first error of ``exc`` as ``<field>: <problem> (got <value>)``; a check of the
    whole spec names its field itself."""
    error = exc.errors()[0]
    message = setting_problem(error)
    if not error["loc"]:
        return message
    value = error.get("input")
    shown = "" if isinstance(value, dict) else f" (got {value!r})"
    return f"{'.'.join(map(str, error['loc']))}: {message}{shown}"
