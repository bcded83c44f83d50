"""The record of one product-to-video task and the rules that move it through its statuses.

Pure data and functions: no I/O, no clock of their own, no locks. `simulation` drives them.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import MISSING, dataclass, field, fields
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..config import Phases

__all__ = [
    "ALLOWED_SOURCES",
    "GATES",
    "PACIFIC",
    "Record",
    "Step",
    "apply_due_steps",
    "end_now",
    "ends_task",
    "new_id",
    "plan_image_task",
    "plan_video_task",
]

TERMINAL = frozenset({"image_generated", "video_generated", "failed"})
# Inferred (the docs are silent): which source statuses each follow-up operation accepts.
ALLOWED_SOURCES: dict[str, tuple[str, ...]] = {
    "gen_video": ("image_generated",),
    "regen_image": ("image_generated", "video_generating", "video_generated"),
    "regen_video": ("video_generated",),
}
# The `lenient` state-gates variant: each regen one step earlier, as a server that queues
# the work might allow; a client should work under either policy.
GATES: dict[str, dict[str, tuple[str, ...]]] = {
    "strict": ALLOWED_SOURCES,
    "lenient": {
        "gen_video": ("image_generated",),
        "regen_image": (
            "image_generating",
            "image_generated",
            "video_generating",
            "video_generated",
        ),
        "regen_video": ("video_generating", "video_generated"),
    },
}
# Creatify's servers run on US Pacific time; their webhook examples carry its offset.
PACIFIC = ZoneInfo("America/Los_Angeles")


@dataclass
class Step:
    at: float
    status: str


@dataclass
class Record:
    """A task as the mock keeps it: the public fields plus the plan for what comes next."""

    id: str
    account: str
    type: str
    product_url: str
    aspect_ratio: str
    created_at: float
    updated_at: float
    status: str = "initializing"
    override_avatar: str | None = None
    motion_style: str | None = None
    product_showcase_url: str | None = None
    image_prompt: str | None = None
    video_prompt: str | None = None
    webhook_url: str | None = None
    generated_photo_url: str | None = None
    generated_video_url: str | None = None
    failed_reason: str | None = None
    regen_type: str | None = None
    regen_source_id: str | None = None
    # What follows is the mock's own bookkeeping, never sent to clients.
    seq: int = 0
    submitted_url: str = ""  # product_url as the client sent it, before the CDN rewrite
    task: str = "image"  # the running task: "image" or "video"
    steps: list[Step] = field(default_factory=list)  # the plan: what comes next, and when
    history: list[Step] = field(default_factory=list)  # each status entered, and when
    failure_reason: str | None = None  # set when the plan ends in `failed`
    failure_source: str | None = None  # which control chose the failure
    video_failure: tuple[str, str] | None = None  # (reason, source) asked for at creation

    @property
    def due(self) -> float | None:
        return self.steps[0].at if self.steps else None

    def to_json(self) -> dict[str, Any]:
        """The record as JSON-ready data, without `seq` (the store keeps it in a column of
        its own) or a field at its default: a load test leaves thousands of records behind,
        and this halves each one. A changed default would change what stored records
        mean; tests/test_store.py pins them."""
        # By hand, not dataclasses.asdict: its recursive deep copy cost ~100 µs a record.
        data = {
            name: value
            for name, default in _STORED_FIELDS
            if (value := getattr(self, name)) != default
        }
        if self.steps:
            data["steps"] = [{"at": s.at, "status": s.status} for s in self.steps]
        if self.history:
            data["history"] = [{"at": s.at, "status": s.status} for s in self.history]
        return data

    @classmethod
    def from_json(cls, state: dict[str, Any]) -> Record:
        data = dict(state)
        data["steps"] = [Step(**s) for s in data.get("steps", [])]
        data["history"] = [Step(**s) for s in data.get("history", [])]
        if data.get("video_failure") is not None:
            data["video_failure"] = tuple(data["video_failure"])
        return cls(**data)


_REQUIRED: Any = object()  # equal to no value: a field without a default is always kept
# (name, default) of every field `to_json` keeps; steps, the one list, it writes itself.
_STORED_FIELDS = tuple(
    (f.name, _REQUIRED if f.default is MISSING else f.default)
    for f in fields(Record)
    if f.name not in ("seq", "steps", "history")
)


def new_id() -> str:
    return str(uuid.uuid4())


def _user_number(account: str) -> int:
    return int(hashlib.sha256(account.encode()).hexdigest()[:8], 16) % 900_000 + 100_000


def _digest(record_id: str, kind: str) -> str:
    return hashlib.sha256(f"{record_id}:{kind}".encode()).hexdigest()[:32]


def cdn_image_url(record: Record) -> str:
    return f"https://cdn.creatify.ai/images/{_digest(record.id, 'product')}.jpg"


def photo_url(record: Record, when: float) -> str:
    day = datetime.fromtimestamp(when, PACIFIC).strftime("%Y-%m-%d")
    user = _user_number(record.account)
    return f"https://cdn.creatify.ai/user/{user}/{day}/{_digest(record.id, 'photo')}.jpg"


def video_url(record: Record, when: float) -> str:
    day = datetime.fromtimestamp(when, PACIFIC).strftime("%Y%m%d")
    user = _user_number(record.account)
    digest = _digest(record.id, "video")
    return f"https://cdn.creatify.ai/product_to_videos/{user}/{record.id}/{day}/{digest}.mp4"


def plan_image_task(
    record: Record, now: float, phases: Phases, failure: tuple[str, str] | None
) -> None:
    """initializing -> image_generating -> image_generated (or failed)."""
    generating = now + phases.initializing
    done = generating + phases.image_generating
    record.task = "image"
    record.status = "initializing"
    record.updated_at = now
    record.history.append(Step(now, "initializing"))
    record.steps = [
        Step(generating, "image_generating"),
        Step(done, "failed" if failure else "image_generated"),
    ]
    record.failure_reason, record.failure_source = failure or (None, None)


def plan_video_task(
    record: Record, now: float, phases: Phases, failure: tuple[str, str] | None
) -> None:
    """video_generating now -> video_generated (or failed)."""
    record.task = "video"
    record.status = "video_generating"
    record.updated_at = now
    record.history.append(Step(now, "video_generating"))
    record.steps = [Step(now + phases.video_generating, "failed" if failure else "video_generated")]
    record.failure_reason, record.failure_source = failure or (None, None)


def enter(record: Record, status: str, when: float) -> None:
    """Move the record into `status` at `when`, filling what that status brings."""
    record.status = status
    record.updated_at = max(record.updated_at, when)
    record.history.append(Step(when, status))
    if status == "image_generating" and record.regen_source_id is None:
        # A third party saw Creatify swap product_url for its own CDN copy once work began.
        record.product_url = cdn_image_url(record)
    elif status == "image_generated":
        record.generated_photo_url = photo_url(record, when)
    elif status == "video_generated":
        record.generated_video_url = video_url(record, when)
    elif status == "failed":
        record.failed_reason = record.failure_reason or "Generation failed."


def apply_due_steps(record: Record, now: float) -> list[str]:
    """Apply every step due by `now`; return the statuses entered, in order."""
    entered: list[str] = []
    while record.steps and record.steps[0].at <= now:
        step = record.steps.pop(0)
        enter(record, step.status, step.at)
        entered.append(step.status)
    return entered


def end_now(record: Record, now: float, *, fail: bool, reason: str | None) -> list[str]:
    """Skip to the end of the running task, succeeding or failing as told."""
    if record.status in TERMINAL and not record.steps:
        return []
    entered: list[str] = []
    if record.task == "image" and record.status == "initializing":
        enter(record, "image_generating", now)
        entered.append("image_generating")
    if fail:
        record.failure_reason = reason or record.failure_reason or "Generation failed."
        record.failure_source = "admin"
        final = "failed"
    else:
        final = "image_generated" if record.task == "image" else "video_generated"
    record.steps = []
    enter(record, final, now)
    entered.append(final)
    return entered


def ends_task(record: Record, status: str) -> bool:
    """True when entering `status` ends the running task, which is when webhooks fire."""
    return status == "failed" or (
        status == ("image_generated" if record.task == "image" else "video_generated")
    )
