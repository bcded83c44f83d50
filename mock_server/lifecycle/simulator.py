"""The running mock's tasks: create and follow up records, move them on the clock, notify.

All mutation happens under one lock, and every record is read as of the clock's now: a
record with a webhook is moved on time by the ticker (its webhook must fire unasked), every
other one is brought up to date when it is read. Its status is a function of its plan and the
clock, so a client cannot tell the two apart, and a load of thousands of records costs no
background work.
"""

from __future__ import annotations

import heapq
import random
import threading
import uuid
from collections.abc import Callable
from typing import Any

from ..config import Phases
from .clock import Clock
from .errors import RecordNotFound, StoreFull, WrongState
from .outcomes import OutcomePolicy, Preference
from .records import (
    GATES,
    Record,
    apply_due_steps,
    end_now,
    ends_task,
    new_id,
    plan_image_task,
    plan_video_task,
)
from .store import Store

__all__ = ["Simulator"]

Notifier = Callable[[Record, str], None]


class Simulator:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        phases: Phases,
        outcomes: OutcomePolicy,
        notify: Notifier,
        id_seed: int | None = None,
        max_records: int = 100_000,
    ) -> None:
        self.store, self.clock, self.phases, self.outcomes = store, clock, phases, outcomes
        self.max_records = max_records
        self._records = store.count()  # kept here: a COUNT(*) per create would cost a scan
        self._notify = notify
        # A seed makes ids repeat run to run; the record count keeps a restarted mock
        # from handing out ids its --state file already holds.
        self._id_seed = id_seed
        self._ids = random.Random(f"{id_seed}:{store.count()}") if id_seed is not None else None
        self._lock = threading.RLock()
        self._due: list[tuple[float, str]] = store.pending()
        heapq.heapify(self._due)
        self._wake = threading.Condition(self._lock)
        self._stopping = False
        self._ticker: threading.Thread | None = None

    # -- time ---------------------------------------------------------------------------

    def settle(self, now: float | None = None) -> int:
        """Apply every step due by `now` to the records the ticker follows (those with a
        webhook); return how many moved."""
        moved = 0
        with self._lock:
            if self._due and self._ticker is None:
                self.start()  # webhooks still due from a --state file: on time from now on
            now = self.clock.now() if now is None else now
            while self._due and self._due[0][0] <= now:
                _, record_id = heapq.heappop(self._due)
                record = self.store.get(record_id)
                if record is None or record.due is None or record.due > now:
                    continue  # stale heap entry: the record was rescheduled or finished
                self._brought_up_to_date(record, now)
                moved += 1
        return moved

    def _schedule(self, record: Record) -> None:
        if record.due is not None and record.webhook_url:
            heapq.heappush(self._due, (record.due, record.id))
            self._wake.notify_all()
            self.start()

    def _announce(self, record: Record, entered: list[str]) -> None:
        for status in entered:
            if ends_task(record, status):
                self._notify(record, status)

    def _brought_up_to_date(self, record: Record, now: float) -> Record:
        """`record` with every step due by `now` applied (and saved, and announced)."""
        if record.due is not None and record.due <= now:
            entered = apply_due_steps(record, now)
            self.store.save(record)
            self._schedule(record)
            self._announce(record, entered)
        return record

    def _load(self, record_id: str) -> Record | None:
        record = self.store.get(record_id)
        return None if record is None else self._brought_up_to_date(record, self.clock.now())

    def resume(self) -> None:
        """Start the ticker for webhooks a --state file left due. The servers call it where
        they serve, so that they go out even if no client calls."""
        with self._lock:
            if self._due:
                self.start()

    def start(self) -> None:
        """With a real clock, a thread finishes phases with a webhook on time even when
        nobody polls."""
        if self.clock.manual or self._ticker is not None or self._stopping:
            return
        self._ticker = threading.Thread(target=self._tick, name="creatify-mock-ticker", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        with self._lock:
            while not self._stopping:
                wait = 1.0
                if self._due:
                    wait = min(max(self._due[0][0] - self.clock.now(), 0.0), 1.0)
                self._wake.wait(wait)
                if not self._stopping:
                    self.settle()

    def close(self) -> None:
        with self._lock:
            self._stopping = True
            self._wake.notify_all()
        if self._ticker is not None:
            self._ticker.join(timeout=5)

    # -- operations ---------------------------------------------------------------------

    def newest(self, account: str | None, limit: int, offset: int = 0) -> list[Record]:
        """A page of records as of now, newest first (every account's when `account` is
        None): what the dashboard shows."""
        with self._lock:
            self.settle()
            now = self.clock.now()
            found = self.store.newest(account, limit, offset)
            return [self._brought_up_to_date(r, now) for r in found]

    def get(self, account: str, record_id: str) -> Record:
        with self._lock:
            self.settle()
            record = self._load(record_id)
            if record is None or record.account != account:
                raise RecordNotFound(record_id)  # a foreign record is as unknown as a missing one
            return record

    def list(self, account: str, ids: list[str] | None) -> list[Record]:
        with self._lock:
            self.settle()
            now = self.clock.now()
            return [self._brought_up_to_date(r, now) for r in self.store.of_account(account, ids)]

    def gen_image(self, account: str, body: dict[str, Any], preference: Preference) -> Record:
        with self._lock:
            self._make_room()
            self.settle()
            now = self.clock.now()
            record = Record(
                id=self._new_id(),
                account=account,
                type=body["type"],
                product_url=body["product_url"],
                submitted_url=body["product_url"],
                aspect_ratio=body["aspect_ratio"],
                override_avatar=_text(body.get("override_avatar")),
                product_showcase_url=body.get("product_showcase_url"),
                image_prompt=body.get("image_prompt"),
                webhook_url=body.get("webhook_url"),
                created_at=now,
                updated_at=now,
            )
            inputs = (record.submitted_url, record.image_prompt)
            plan_image_task(
                record, now, self.phases, self.outcomes.decide("image", preference, inputs)
            )
            if preference.outcome is not None and preference.outcome.value == "video-failed":
                reason = self.outcomes.decide("video", preference, ())
                record.video_failure = reason
            return self._create(record)

    def gen_video(
        self,
        account: str,
        record_id: str,
        body: dict[str, Any],
        preference: Preference,
        gates: str = "strict",
    ) -> Record:
        with self._lock:
            record = self._source_in_state(account, record_id, "gen_video", gates)
            now = self.clock.now()
            if "motion_style" in body:
                record.motion_style = body["motion_style"]
            if "video_prompt" in body:
                record.video_prompt = body["video_prompt"]
            if body.get("webhook_url"):
                record.webhook_url = body["webhook_url"]
            plan_video_task(record, now, self.phases, self._video_failure(record, preference))
            self.store.save(record)
            self._schedule(record)
            return record

    def regen_image(
        self,
        account: str,
        record_id: str,
        body: dict[str, Any],
        preference: Preference,
        gates: str = "strict",
    ) -> Record:
        with self._lock:
            self._make_room()
            source = self._source_in_state(account, record_id, "regen_image", gates)
            now = self.clock.now()
            record = self._copy(source, now, "regen_image", body)
            record.image_prompt = body.get("image_prompt") or source.image_prompt
            inputs = (record.submitted_url, record.image_prompt)
            plan_image_task(
                record, now, self.phases, self.outcomes.decide("image", preference, inputs)
            )
            return self._create(record)

    def regen_video(
        self,
        account: str,
        record_id: str,
        body: dict[str, Any],
        preference: Preference,
        gates: str = "strict",
    ) -> Record:
        with self._lock:
            self._make_room()
            source = self._source_in_state(account, record_id, "regen_video", gates)
            now = self.clock.now()
            record = self._copy(source, now, "regen_video", body)
            record.generated_photo_url = source.generated_photo_url
            record.motion_style = body.get("motion_style", source.motion_style)
            record.video_prompt = body.get("video_prompt") or source.video_prompt
            plan_video_task(record, now, self.phases, self._video_failure(record, preference))
            return self._create(record)

    def end_phase(self, record_id: str, *, fail: bool, reason: str | None) -> Record:
        """Admin: end the running task now, as a success or a failure."""
        with self._lock:
            self.settle()
            record = self._load(record_id)
            if record is None:
                raise RecordNotFound(record_id)
            entered = end_now(record, self.clock.now(), fail=fail, reason=reason)
            self.store.save(record)
            self._announce(record, entered)
            return record

    def peek(self, record_id: str) -> Record | None:
        with self._lock:
            self.settle()
            return self._load(record_id)

    def reset(self) -> None:
        with self._lock:
            self.store.clear()
            self._records = 0
            self._due.clear()
            self.outcomes.clear()
            if self._id_seed is not None:  # a reset mock hands out the same ids again
                self._ids = random.Random(f"{self._id_seed}:0")

    # -- helpers ------------------------------------------------------------------------

    def _new_id(self) -> str:
        if self._ids is None:
            return new_id()
        return str(uuid.UUID(int=self._ids.getrandbits(128), version=4))

    def _source_in_state(self, account: str, record_id: str, operation: str, gates: str) -> Record:
        record = self.get(account, record_id)
        allowed = GATES[gates][operation]
        if record.status not in allowed:
            raise WrongState(
                record_id=record.id, operation=operation, current=record.status, allowed=allowed
            )
        return record

    def _video_failure(self, record: Record, preference: Preference) -> tuple[str, str] | None:
        if preference.outcome is None and record.video_failure is not None:
            return record.video_failure
        inputs = (record.submitted_url, record.image_prompt, record.video_prompt)
        return self.outcomes.decide("video", preference, inputs)

    def _copy(self, source: Record, now: float, regen_type: str, body: dict[str, Any]) -> Record:
        return Record(
            id=self._new_id(),
            account=source.account,
            type=source.type,
            product_url=source.product_url,
            submitted_url=source.submitted_url,
            aspect_ratio=source.aspect_ratio,
            override_avatar=source.override_avatar,
            motion_style=source.motion_style,
            product_showcase_url=source.product_showcase_url,
            image_prompt=source.image_prompt,
            video_prompt=source.video_prompt,
            webhook_url=body.get("webhook_url"),
            regen_type=regen_type,
            regen_source_id=source.id,
            created_at=now,
            updated_at=now,
        )

    def _make_room(self) -> None:
        if self._records >= self.max_records:
            raise StoreFull(self.max_records)

    def _create(self, record: Record) -> Record:
        self.store.insert(record)
        self._records += 1
        self._schedule(record)
        return record


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
