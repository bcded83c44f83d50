"""What the lifecycle refuses, as data: no HTTP status here, the API's edge maps each one."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import MockError

__all__ = ["LifecycleError", "RecordNotFound", "StateFileError", "StoreFull", "WrongState"]


class LifecycleError(MockError):
    """A rule of a record's life was broken."""


@dataclass
class RecordNotFound(LifecycleError):
    """No record has this id for this account (a foreign record is as unknown as a missing one)."""

    record_id: str

    def __str__(self) -> str:
        return f"no record {self.record_id!r}"


@dataclass
class WrongState(LifecycleError):
    """A follow-up was called on a source record whose status does not allow it."""

    record_id: str
    operation: str
    current: str
    allowed: tuple[str, ...]

    @property
    def detail(self) -> str:
        allowed = " or ".join(repr(s) for s in self.allowed)
        hint = (
            f"Poll GET /api/product_to_videos/{self.record_id}/ until its status is {allowed}, "
            "then call again."
            if self.current != "failed"
            else "A failed record cannot go on; start again with gen_image."
        )
        return (
            f"{self.operation} is not allowed while the record is {self.current!r}: "
            f"expected status {allowed}; got {self.current!r}. {hint}"
        )

    def __str__(self) -> str:
        return self.detail


@dataclass
class StoreFull(LifecycleError):
    """The mock keeps at most `limit` records, and has them: no new one until a reset."""

    limit: int

    def __str__(self) -> str:
        return (
            f"creatify-mock keeps at most {self.limit} records and has them all; reset it "
            "(POST /__mock__/reset) or start it with a larger --max-records."
        )


@dataclass
class StateFileError(MockError):
    """A --state file the mock will not use, left exactly as it was: what is wrong with it,
    and what to do about it. Its text is one line, for the command line."""

    path: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return " ".join(f"state file {self.path} {self.problem}; {self.fix}".split())
