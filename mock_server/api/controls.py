"""`Controls`: everything a test, a harness or the admin API may do to a running mock, in one
place. Each control checks its values and refuses a wrong one with an AdminError naming it
(400), so the admin API, `CreatifyMock` and the verify-client harness refuse alike."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from flask import Flask

from ..config import Variants
from ..lifecycle.clock import ManualClock
from ..lifecycle.outcomes import Outcome
from ..lifecycle.records import Record
from .errors import AdminError
from .faults import Fault
from .journal import JournalEntry
from .render import format_time, render
from .state import MockState, state_of

__all__ = ["Controls"]

_PHASES = {"image": Outcome.IMAGE_FAILED, "video": Outcome.VIDEO_FAILED}
# The last second a record's timestamps can show, with a day to spare for every time zone.
_LAST_MOMENT = datetime(9999, 12, 30, tzinfo=UTC).timestamp()


class Controls:
    """The controls of one mock app: `Controls.of(app)`."""

    def __init__(self, state: MockState) -> None:
        self._state = state

    @classmethod
    def of(cls, app: Flask) -> Controls:
        return cls(state_of(app))

    # -- time -------------------------------------------------------------------------------

    @property
    def manual_clock(self) -> bool:
        return isinstance(self._state.clock, ManualClock)

    def clock(self) -> dict[str, Any]:
        """{"mode": "manual" or "system", "now": the time as records show it, "epoch"}."""
        state = self._state
        now = state.clock.now()
        return {
            "mode": "manual" if self.manual_clock else "system",
            "now": format_time(now, state.variants.timestamps),
            "epoch": now,
        }

    def advance(self, seconds: Any) -> dict[str, Any]:
        """Move the manual clock on: every phase that falls due ends, and its webhook goes."""
        clock = self._state.clock
        if not isinstance(clock, ManualClock):
            raise AdminError(
                409,
                "The clock is the system's and cannot be moved; start the mock with "
                "--manual-clock to move time by hand.",
            )
        value = _number("seconds", seconds)
        if not 0 <= value <= _LAST_MOMENT - clock.now():
            raise AdminError(
                400,
                f"seconds: expected a number from 0 to {_LAST_MOMENT - clock.now():.0f} (the "
                f"clock stops at the year 9999, where timestamps end); got {seconds!r}.",
            )
        clock.advance(value)
        return self.clock()

    # -- outcomes and faults ----------------------------------------------------------------

    def queue_outcome(self, outcome: Any, count: Any = 1) -> dict[str, list[str]]:
        """Make the next `count` phases end with `outcome` (success, image-failed,
        video-failed); returns what is queued."""
        try:
            chosen = Outcome.parse("outcome", outcome)
        except ValueError as exc:
            raise AdminError(400, f"{exc}.") from None
        self._state.outcomes.enqueue(chosen, _count(count))
        return self.queued_outcomes()

    def fail_next(self, phase: Any, count: Any = 1) -> dict[str, list[str]]:
        """Make the next `count` image or video phases fail."""
        if phase not in _PHASES:
            raise AdminError(400, f"phase: expected 'image' or 'video'; got {phase!r}.")
        return self.queue_outcome(_PHASES[phase].value, count)

    def queued_outcomes(self) -> dict[str, list[str]]:
        return self._state.outcomes.queued()

    def clear_outcomes(self) -> dict[str, list[str]]:
        self._state.outcomes.clear()
        return self.queued_outcomes()

    def queue_fault(
        self,
        status: Any = 429,
        operation: Any = None,
        count: Any = 1,
        retry_after: Any = 1,
        *,
        body: Any = None,
        drop: Any = None,
        seconds: Any = 0,
        processed: Any = False,
        after: Any = None,
    ) -> list[dict[str, object]]:
        """Fault the next `count` calls of `operation` (None: any); returns what is pending.

        An answer: `status` 429 or 503 (JSON, with Retry-After) or 502/504 as a gateway sends
        them (`body` "html" or "empty"), before anything is processed. No answer: `drop`
        "stall" (held `seconds`, then closed) or "reset", after the operation ran when
        `processed`. `after`: only once a call of that operation was accepted.
        """
        operations = self._state.contract.operations
        for name, value in (("operation", operation), ("after", after)):
            if value is not None and value not in operations:
                valid = ", ".join(sorted(operations))
                raise AdminError(400, f"{name}: expected null or one of {valid}; got {value!r}.")
        if isinstance(status, bool) or not isinstance(status, int):
            raise AdminError(400, f"status: expected 429, 502, 503 or 504; got {status!r}.")
        if isinstance(retry_after, bool) or not isinstance(retry_after, int):
            raise AdminError(400, f"retry_after: expected whole seconds; got {retry_after!r}.")
        if body is not None and body not in ("json", "html", "empty"):
            raise AdminError(400, f"body: expected 'json', 'html' or 'empty'; got {body!r}.")
        if not isinstance(processed, bool):
            raise AdminError(400, f"processed: expected true or false; got {processed!r}.")
        fault = Fault(
            status,
            operation,
            retry_after,
            body=body,
            drop=drop,
            seconds=_number("seconds", seconds),
            processed=processed,
            after=after,
        )
        self._state.faults.add(fault, _count(count))
        return self.faults()

    def faults(self) -> list[dict[str, object]]:
        return self._state.faults.pending()

    # -- records ----------------------------------------------------------------------------

    def record(self, record_id: str) -> dict[str, Any] | None:
        """The record as a client would see it now, or None."""
        found = self._state.simulator.peek(record_id)
        return None if found is None else self._render(found)

    def records(self, account: str) -> list[dict[str, Any]]:
        """Every record of an account (its X-API-ID), as a client would see them now."""
        return [self._render(r) for r in self._state.simulator.list(account, None)]

    def tasks(self, account: Any = None, limit: Any = 20, offset: Any = 0) -> dict[str, Any]:
        """A page of records, newest first, each as `inspect` shows it (every account's, or
        `account`'s), and how many records each account has: what the dashboard lists."""
        if account is not None and not isinstance(account, str):
            raise AdminError(400, f"account: expected an X-API-ID; got {account!r}.")
        size, skip = _whole("limit", limit, 1, 500), _whole("offset", offset, 0, 10**9)
        counts = self._state.store.accounts()
        records = self._state.simulator.newest(account, size, skip)
        return {
            "accounts": [{"account": a, "records": n} for a, n in counts.items()],
            "total": counts.get(account, 0) if account is not None else sum(counts.values()),
            "offset": skip,
            "records": [self._view(r) for r in records],
        }

    def inspect(self, record_id: str) -> dict[str, Any]:
        """The record with what a client cannot see: its account, task, plan and failure."""
        return self._view(self._existing(record_id))

    def complete(self, record_id: str) -> dict[str, Any]:
        """End the record's running phase now, successfully; returns `inspect`'s view."""
        self._existing(record_id)
        return self._view(self._state.simulator.end_phase(record_id, fail=False, reason=None))

    def end_phase(
        self, record_id: str, outcome: Any = "success", reason: Any = None
    ) -> dict[str, Any]:
        """End the record's running phase now: `outcome` "success" or "failed" (with
        `reason`, or a default one)."""
        if outcome not in ("success", "failed"):
            raise AdminError(400, f"outcome: expected 'success' or 'failed'; got {outcome!r}.")
        if outcome == "failed":
            return self.fail(record_id, reason)
        return self.complete(record_id)

    def fail(self, record_id: str, reason: Any = None) -> dict[str, Any]:
        """End the record's running phase now as failed, with `reason` or a default one."""
        if reason is not None and not isinstance(reason, str):
            raise AdminError(400, f"failed_reason: expected a string; got {reason!r}.")
        self._existing(record_id)
        return self._view(self._state.simulator.end_phase(record_id, fail=True, reason=reason))

    # -- variants, journal, webhooks --------------------------------------------------------

    def variants(self) -> dict[str, Any]:
        return self._state.variants.as_dict()

    def set_variants(self, changes: dict[str, Any]) -> dict[str, Any]:
        """Serve other forms where the docs leave a choice open; unknown keys are refused."""
        try:
            return self._state.set_variants(changes).as_dict()
        except (TypeError, ValueError) as exc:
            raise AdminError(400, str(exc)) from None

    @staticmethod
    def variant_choices() -> dict[str, list[Any]]:
        """Every value each variant can take."""
        return Variants.choices()

    def journal(self, since: Any = 0, limit: Any = None) -> list[JournalEntry]:
        """Every request answered since sequence number `since`, oldest first; the first
        `limit` of them when given."""
        after = _whole("since", since, 0, 10**18 - 1)
        entries = self._state.journal.entries(after)
        return entries if limit is None else entries[: _whole("limit", limit, 1, 100_000)]

    def journal_start(self) -> int | None:
        """The sequence number of the oldest entry the journal still keeps (None: empty)."""
        return self._state.journal.first()

    def clear_journal(self) -> None:
        self._state.journal.clear()

    def webhooks(
        self, *, wait: float = 0.0, newest: Any = None, offset: Any = 0
    ) -> list[dict[str, Any]]:
        """Webhook deliveries, after waiting up to `wait` seconds for those in flight: every
        one, oldest first; or the `newest` (that many), newest first, after `offset`."""
        if wait:
            self._state.webhooks.wait_idle(wait)
        count = None if newest is None else _whole("newest", newest, 1, 1000)
        skip = _whole("offset", offset, 0, 10**9)
        return [d.as_dict() for d in self._state.webhooks.deliveries(count, skip)]

    def webhook_count(self) -> int:
        """How many deliveries are kept (the newest 1,000)."""
        return self._state.webhooks.count()

    # -- the mock itself --------------------------------------------------------------------

    def health(self) -> dict[str, Any]:
        state = self._state
        health = {
            "status": "ok",
            "records": state.store.count(),
            "clock": self.clock(),
            "spec": str(state.contract.path),
            "variants": self.variants(),
        }
        if state.recordings is not None:  # where the answers come from instead
            health["replay"] = state.recordings.summary()
        return health

    def problems(self) -> list[str]:
        """The mock's own failures: internal errors, and answers that broke the contract."""
        state = self._state
        own = [
            f"{e.method} {e.path}: {v}"
            for e in state.journal.entries()
            for v in e.response_violations
        ]
        return [f"{type(e).__name__}: {e}" for e in state.errors] + own

    def accept_any_credentials(self, on: bool = True) -> None:
        """Accept any non-empty X-API-ID/X-API-KEY pair, as `serve` does without --api-id
        (each X-API-ID its own account); off, only the configured pairs again. A reset
        turns it off."""
        if not isinstance(on, bool):
            raise AdminError(400, f"accept_any_credentials: expected true or false; got {on!r}")
        self._state.accept_any_credentials(on)

    def reset(self) -> int:
        """Forget every record, request, delivery, queued outcome and fault; variants back
        to the configured ones, and the configured credentials. Returns how many records
        are left (0)."""
        self._state.reset()
        return self._state.store.count()

    # -- helpers ----------------------------------------------------------------------------

    def _render(self, record: Record) -> dict[str, Any]:
        return render(record, self._state.variants)

    def _existing(self, record_id: str) -> Record:
        found = self._state.simulator.peek(record_id)
        if found is None:
            raise AdminError(404, f"No record has id {record_id!r}.")
        return found

    def _view(self, record: Record) -> dict[str, Any]:
        form = self._state.variants.timestamps
        return {
            "record": self._render(record),
            "account": record.account,
            "task": record.task,
            "history": [
                {"at": format_time(s.at, form), "status": s.status} for s in record.history
            ],
            "plan": [{"at": format_time(s.at, form), "status": s.status} for s in record.steps],
            "failure": (
                {"reason": record.failure_reason, "source": record.failure_source}
                if record.failure_reason
                else None
            ),
        }


def _number(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise AdminError(400, f"{name}: expected a finite number; got {value!r}.")
    return float(value)


def _whole(name: str, value: Any, low: int, high: int) -> int:
    """A whole number from `low` to `high`, given as one or as its digits (a query string)."""
    text = str(value)
    if isinstance(value, bool) or not (text.isascii() and text.isdigit() and len(text) <= 18):
        number = None
    else:
        number = int(text)
    if number is None or not low <= number <= high:
        raise AdminError(
            400, f"{name}: expected a whole number from {low} to {high}; got {value!r}."
        )
    return number


def _count(count: Any) -> int:
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 1000:
        raise AdminError(400, f"count: expected an integer from 1 to 1000; got {count!r}.")
    return count
