"""The patient-identifiable-data guard (placeholder interface; see the guard module's tests)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Finding:
    kind: str
    start: int
    end: int


BLOCKING_KINDS = frozenset({"nhs_number"})


@dataclass
class UnsafeContent(Exception):
    """Submitted text holds patient-identifiable data that must not be stored."""

    findings: dict[str, list[Finding]] = field(default_factory=dict)


def scan(text: str) -> list[Finding]:
    return []


def check_submission(fields: Mapping[str, str]) -> None:
    blocking = {name: [f for f in scan(value) if f.kind in BLOCKING_KINDS] for name, value in fields.items()}
    blocking = {name: found for name, found in blocking.items() if found}
    if blocking:
        raise UnsafeContent(findings=blocking)
