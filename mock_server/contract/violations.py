"""What a judge of messages says: a leaf of plain data that every layer may read."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

__all__ = ["RequestVerdict", "Verdict", "Violation"]


class Verdict(Enum):
    """The compiled validator's word on a message: VALID only where openapi-core agrees."""

    VALID = "valid"
    INVALID = "invalid"
    UNDECIDED = "undecided"


@dataclass(frozen=True)
class Violation:
    """One way a message breaks the contract."""

    location: str  # body, query, path, header, response
    field: str
    rule: str
    expected: str
    actual: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.location} {self.field}: {self.message}"


@dataclass
class RequestVerdict:
    """A request judged: its values as openapi-core unmarshals them, or its violations.
    `verdict` is the judge's word (UNDECIDED only when the compiled validator alone was
    asked and could not tell)."""

    body: dict[str, Any] | None = None
    path: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    verdict: Verdict = Verdict.VALID
    reason: str = ""  # why the compiled validator did not pass it
