"""The shapes of what `CreatifyMock` returns, as TypedDicts (plain dicts at run time)."""

from __future__ import annotations

from typing import Literal, TypedDict

__all__ = [
    "OPERATION_IDS",
    "AttemptDict",
    "JournalEntryDict",
    "ViolationDict",
    "WebhookDict",
]

# The operationIds of spec/openapi.yaml: what `request_bodies()` and the journal's
# `operation` name (the three with a body are gen_image, gen_video and regen_image).
OPERATION_IDS = (
    "product_to_videos_list",
    "product_to_videos_retrieve",
    "product_to_videos_gen_image",
    "product_to_videos_gen_video",
    "product_to_videos_regen_image",
    "product_to_videos_regen_video",
)


class ViolationDict(TypedDict):
    """One rule a message broke."""

    location: str  # body, query, path, header, method, response
    field: str  # aspect_ratio, ids.0, X-API-KEY...
    rule: str  # enum, format, required, security, path, state...
    expected: str
    actual: str
    message: str  # the whole sentence, as the mock's answer says it


class JournalEntryDict(TypedDict):
    """One request the mock answered (`CreatifyMock.journal()`)."""

    seq: int
    at: float  # the mock's clock, epoch seconds
    method: str
    path: str
    query: str
    operation: str | None  # an operationId, None for a path the spec does not have
    account: str | None  # the X-API-ID it was served for
    status: int
    verdict: Literal["valid", "invalid"]
    violations: list[ViolationDict]  # what the request broke
    response_violations: list[ViolationDict]  # what the mock's own answer broke (a bug)
    record_id: str | None
    record_status: str | None  # the status the record was served with
    request_headers: dict[str, str]  # X-API-KEY as a fingerprint, never in clear
    request_body: str  # cut at 4 KiB


class AttemptDict(TypedDict):
    at: float
    status_code: int | None  # None when no answer came
    error: str | None
    seconds: float


class WebhookDict(TypedDict):
    """One webhook delivery (`CreatifyMock.webhooks()`)."""

    id: int
    record_id: str
    url: str
    event: str  # image_generated, video_generated or failed
    payload: dict[str, object]  # the record, as GET /api/product_to_videos/ID/ shows it
    state: Literal["pending", "delivered", "failed"]
    attempts: list[AttemptDict]
    account: str
