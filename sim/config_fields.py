"""The declared fields of a config, walked by dotted path, and its validation errors as one
line: the field's full dotted name, the problem and the fix."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from agents.setting_errors import setting_problem
from sim.reward.settings import REMOVED_SETTINGS

REMOVED_FIELDS = {f"reward_model.{name}": fix for name, fix in REMOVED_SETTINGS.items()}
"""Fields of earlier versions that a config may no longer use, with the fix it is told."""


def field_type(root: type[BaseModel], path: str) -> Any:
    """The declared type of the field of ``root`` (a ``MarketConfig``) at dotted ``path``, into
    the values of dict-valued fields too (``mechanism.params.price``); ``X | None`` is ``X``.

    Raises
    ------
    ValueError
        Saying which part of ``path`` is no field.
    """
    kind: Any = root
    for part in path.split("."):
        kind = _strip_optional(kind)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            if part not in kind.model_fields:
                raise ValueError(f"no field {part!r} here; fields: {', '.join(kind.model_fields)}")
            kind = kind.model_fields[part].annotation
        elif typing.get_origin(kind) is dict:
            kind = typing.get_args(kind)[1]
        else:
            raise ValueError(f"{part!r} is inside a value, not a table")
    return _strip_optional(kind)


def _strip_optional(kind: Any) -> Any:
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        members = [a for a in typing.get_args(kind) if a is not type(None)]
        if len(members) == 1:
            return members[0]
    return kind


def _section_fields(root: type[BaseModel], loc: tuple) -> set[str]:
    """The field names of the section of ``root`` at ``loc`` (empty if none is there)."""
    try:
        section = field_type(root, ".".join(map(str, loc))) if loc else None
    except ValueError:
        return set()
    is_section = isinstance(section, type) and issubclass(section, BaseModel)
    return set(section.model_fields) if is_section else set()


def validation_message(exc: ValidationError, root: type[BaseModel]) -> str:
    """One line for every error: ``<dotted field>: <problem> (got <value>)``.

    A section's own check that names one of its fields, or a key inside one (``judge_mix: ...``
    or ``cost_params.s: ...`` raised for ``population``, whose spec reports its first error
    itself), is shown under the full name (``population.judge_mix: ...``); a message
    naming anything else (a mechanism parameter) stays under the section. Problems are worded
    by ``agents.setting_errors.setting_problem``.
    """
    parts = []
    for error in exc.errors():
        field = ".".join(str(p) for p in error["loc"]) or "config"
        message = setting_problem(error)
        inner, sep, rest = message.partition(": ")
        if sep and inner.split(".")[0] in _section_fields(root, error["loc"]):
            field, message = f"{field}.{inner}", rest
        value = error.get("input")
        if error["type"] == "extra_forbidden":
            message = REMOVED_FIELDS.get(field, "unknown field; remove it or check its spelling")
        shown = "" if isinstance(value, dict) or error["type"] == "missing" else f" (got {value!r})"
        parts.append(f"{field}: {message}{shown}")
    return "; ".join(parts)
