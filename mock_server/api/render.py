"""A record as clients see it, in the variant forms the mock is set to serve."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from ..config import EmptyValues, Timestamps, Variants
from ..lifecycle.records import PACIFIC, Record

__all__ = ["format_time", "render"]

# Key order of Creatify's own examples, so a diff against them reads cleanly.
PUBLIC_FIELDS = (
    "id",
    "type",
    "product_url",
    "aspect_ratio",
    "override_avatar",
    "motion_style",
    "product_showcase_url",
    "image_prompt",
    "video_prompt",
    "status",
    "generated_video_url",
    "generated_photo_url",
    "created_at",
    "updated_at",
    "webhook_url",
    "failed_reason",
    "regen_type",
    "regen_source_id",
)


@functools.lru_cache(maxsize=4096)  # a polled record shows the same two times again and again
def format_time(when: float, form: Timestamps) -> str:
    if form is Timestamps.UTC:
        return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return datetime.fromtimestamp(when, PACIFIC).isoformat(timespec="microseconds")


def render(record: Record, variants: Variants) -> dict[str, Any]:
    empty: str | None = "" if variants.empty_values is EmptyValues.EMPTY_STRING else None
    body: dict[str, Any] = {}
    for name in PUBLIC_FIELDS:
        value = getattr(record, name)
        if name in ("created_at", "updated_at"):
            value = format_time(value, variants.timestamps)
        elif value is None or value == "":
            value = empty
        body[name] = value
    if variants.extra_keys:
        # Keys Creatify sends on its other resources; the contract lets records carry more.
        body.update(credits_used=1 if record.task == "image" else 4, progress=None, is_hidden=False)
    return body
