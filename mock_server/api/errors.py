"""The HTTP answers the API's edge gives instead of an operation's result.

See `mock_server.errors` for the whole tree; `refusals` maps every error to its answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..contract.violations import Violation
from ..errors import MockError

__all__ = [
    "AdminError",
    "ApiError",
    "BodyTooLarge",
    "FieldErrors",
    "InvalidRequest",
    "MalformedJson",
    "MethodNotAllowed",
    "NotRecorded",
    "Unauthenticated",
    "UnknownPath",
]


@dataclass
class ApiError(MockError):
    """An answer in Django REST Framework's shape: `{"detail": ...}` with a status."""

    status: int
    detail: str
    headers: dict[str, str] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {"detail": self.detail}

    def __str__(self) -> str:
        return f"{self.status}: {self.detail}"


@dataclass
class FieldErrors(ApiError):
    """Validation failed; `errors` maps each bad field to what was wrong with it."""

    status: int = 400
    detail: str = "Invalid input."
    errors: dict[str, list[str]] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {name: list(messages) for name, messages in self.errors.items()}

    def __str__(self) -> str:
        parts = [f"{name}: {' '.join(msgs)}" for name, msgs in self.errors.items()]
        return "400: " + "; ".join(parts)


@dataclass
class Unauthenticated(ApiError):
    """No usable X-API-ID/X-API-KEY pair. `header` names the one missing or empty (None:
    both were sent, and no account has them)."""

    header: str | None = None
    problem: str = "wrong"  # missing, empty or wrong


@dataclass
class NotRecorded(ApiError):
    """Replaying: no recording answers this valid request (404 naming the nearest)."""


@dataclass
class UnknownPath(MockError):
    """No documented path matches; `hint` names the nearest one, or the missing slash."""

    path: str
    hint: str


@dataclass
class MethodNotAllowed(MockError):
    method: str
    allowed: tuple[str, ...]


@dataclass
class BodyTooLarge(MockError):
    limit: int
    declared: int | None  # the Content-Length, None for a chunked body


@dataclass
class MalformedJson(MockError):
    reason: str


@dataclass
class InvalidRequest(MockError):
    """The request breaks the contract: what the judge found, in order."""

    violations: list[Violation]


@dataclass
class AdminError(MockError, ValueError):
    """An answer of the admin API under /__mock__/, and what `Controls` raise for a value
    they refuse (hence a ValueError too)."""

    status: int
    detail: str

    def payload(self) -> dict[str, Any]:
        return {"detail": self.detail}

    def __str__(self) -> str:
        return f"{self.status}: {self.detail}"
