"""How a phase ends: success, or failure chosen by a header, a magic value, a queue or a seed."""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass

from ..choices import Choice

__all__ = ["MAGIC_VALUES", "Outcome", "OutcomePolicy", "Preference"]


class Outcome(Choice):
    SUCCESS = "success"
    IMAGE_FAILED = "image-failed"
    VIDEO_FAILED = "video-failed"


# A marker anywhere in product_url, image_prompt or video_prompt makes that phase fail.
MAGIC_VALUES = {"mock-fail-image": Outcome.IMAGE_FAILED, "mock-fail-video": Outcome.VIDEO_FAILED}
DEFAULT_REASONS = {
    "image": "Image generation failed: the product image could not be processed.",
    "video": "Video generation failed: the preview image could not be animated.",
}


@dataclass(frozen=True)
class Preference:
    """What the client asked of this record's outcome (a `Prefer:` header, parsed by the API)."""

    outcome: Outcome | None = None
    reason: str | None = None


class OutcomePolicy:
    """Decides, for each phase that starts, whether it will fail and why.

    Precedence: the request's Prefer header, then a magic value in the inputs, then the
    queue filled through the admin API, then the seeded failure rate.
    """

    def __init__(self, failure_rate: float = 0.0, seed: int | None = None) -> None:
        self.failure_rate = failure_rate
        self._random = random.Random(seed)
        self._queue: dict[str, deque[Outcome]] = {"image": deque(), "video": deque()}
        self._lock = threading.Lock()

    def enqueue(self, outcome: Outcome, count: int = 1) -> None:
        phase = "video" if outcome is Outcome.VIDEO_FAILED else "image"
        with self._lock:
            self._queue[phase].extend([outcome] * count)

    def queued(self) -> dict[str, list[str]]:
        with self._lock:
            return {phase: [o.value for o in q] for phase, q in self._queue.items()}

    def clear(self) -> None:
        with self._lock:
            for q in self._queue.values():
                q.clear()

    def decide(
        self, phase: str, preference: Preference, inputs: tuple[str | None, ...]
    ) -> tuple[str, str] | None:
        """(failed_reason, source) when the phase should fail, else None."""
        failing = Outcome.IMAGE_FAILED if phase == "image" else Outcome.VIDEO_FAILED
        reason = preference.reason or DEFAULT_REASONS[phase]
        if preference.outcome is not None:
            if preference.outcome is failing:
                return reason, "Prefer header"
            if preference.outcome is Outcome.SUCCESS:
                return None
        for marker, outcome in MAGIC_VALUES.items():
            if outcome is failing and any(marker in (value or "") for value in inputs):
                return reason, f"magic value {marker!r}"
        with self._lock:
            queue = self._queue[phase]
            if queue:
                return (reason, "admin queue") if queue.popleft() is failing else None
            if self.failure_rate and self._random.random() < self.failure_rate:
                return reason, f"failure rate {self.failure_rate}"
        return None
