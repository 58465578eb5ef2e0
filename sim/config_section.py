"""What every table of a config file is: a frozen pydantic model that refuses unknown fields,
``inf``, ``nan`` and quoted numbers."""

from __future__ import annotations

import typing
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationInfo, field_validator

from agents.setting_errors import QUOTED_NUMBER


class Section(BaseModel):
    """A config table: unknown fields, ``inf``, ``nan`` and quoted numbers are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_quoted_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        """``budget = "0"`` is a string in TOML; pydantic would read it as 0."""
        annotation = cls.model_fields[info.field_name].annotation
        kinds = {annotation, *typing.get_args(annotation)}
        text = str in kinds or any(typing.get_origin(kind) is Literal for kind in kinds)
        if isinstance(value, str) and {int, float} & kinds and not text:
            raise ValueError(QUOTED_NUMBER)
        return value
