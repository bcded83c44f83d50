"""Answers the mock gives instead of an operation's result, as small dataclass exceptions.

MockError                 root of everything this package raises
├── ApiError              an HTTP answer in Django REST Framework's shape
│   ├── FieldErrors       400 {"field": ["message", ...]}
│   └── WrongState        400 {"detail": ...} naming the current and the allowed states
└── AdminError            an admin API answer (/__mock__/)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["AdminError", "ApiError", "FieldErrors", "MockError", "WrongState"]


class MockError(Exception):
    """Root of the exceptions creatify-mock raises."""


@dataclass
class ApiError(MockError):
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
class WrongState(ApiError):
    status: int = 400
    detail: str = ""
    record_id: str = ""
    operation: str = ""
    current: str = ""
    allowed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        allowed = " or ".join(repr(s) for s in self.allowed)
        hint = (
            f"Poll GET /api/product_to_videos/{self.record_id}/ until its status is {allowed}, "
            "then call again."
            if self.current != "failed"
            else "A failed record cannot go on; start again with gen_image."
        )
        self.detail = (
            f"{self.operation} is not allowed while the record is {self.current!r}: "
            f"expected status {allowed}; got {self.current!r}. {hint}"
        )


@dataclass
class AdminError(MockError):
    status: int
    detail: str

    def payload(self) -> dict[str, Any]:
        return {"detail": self.detail}

    def __str__(self) -> str:
        return f"{self.status}: {self.detail}"
