from __future__ import annotations

import re
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, field_validator

# C0 control characters other than tab, newline and carriage return: never meaningful in text,
# and NUL is refused by PostgreSQL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class StrictSchema(Schema):
    """Input schema that rejects unknown fields and control characters in text."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        if isinstance(value, str) and _CONTROL.search(value):
            raise ValueError("must not contain control characters")
        return value


class ErrorBody(Schema):
    code: str
    message: str
    details: dict[str, object]


class Error(Schema):
    error: ErrorBody
