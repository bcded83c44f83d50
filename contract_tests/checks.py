"""What verify-client checks in the journal of a client's run: each request against the
contract and the record's state, the polling rate, and paid POSTs made once per intent."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from mock_server import JournalEntry

__all__ = ["Finding", "check_contract", "check_paid_posts", "check_polling"]

TERMINAL = ("failed", "video_generated")


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str
    request: str = ""
    expected: str = ""
    actual: str = ""

    def __str__(self) -> str:
        where = f"{self.request}: " if self.request else ""
        detail = f" (expected {self.expected}; got {self.actual})" if self.expected else ""
        return f"[{self.rule}] {where}{self.message}{detail}"


def check_contract(entries: list[JournalEntry]) -> list[Finding]:
    """Every request matches an operation and validates; none is sent in the wrong state."""
    return [
        Finding(v.rule, v.message, f"{e.method} {e.path}", v.expected, v.actual)
        for e in entries
        for v in e.violations
    ]


def check_polling(entries: list[JournalEntry], ceiling: float) -> list[Finding]:
    """Polite polling: at most `ceiling` GETs of one record in any second, and none after
    the record was served a terminal status."""
    findings: list[Finding] = []
    polls: dict[str, list[JournalEntry]] = defaultdict(list)
    for e in entries:
        if e.operation == "product_to_videos_retrieve" and e.record_id:
            polls[e.record_id].append(e)
    for record_id, gets in polls.items():
        times = [g.at for g in gets]
        busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
        if busiest > ceiling:
            findings.append(
                Finding(
                    "polling rate",
                    f"record {record_id} was polled {busiest} times in one second",
                    f"GET /api/product_to_videos/{record_id}/",
                    f"at most {ceiling:g} per second",
                    f"{busiest} per second",
                )
            )
        served = next((i for i, g in enumerate(gets) if g.record_status in TERMINAL), None)
        if served is not None and len(gets) > served + 1:
            extra = len(gets) - served - 1
            findings.append(
                Finding(
                    "polling after the end",
                    f"record {record_id} was polled {extra} more time(s) after it was served "
                    f"{gets[served].record_status!r}",
                    f"GET /api/product_to_videos/{record_id}/",
                    "no poll after a terminal status",
                    f"{extra} more",
                )
            )
    return findings


def check_paid_posts(entries: list[JournalEntry]) -> list[Finding]:
    """gen_image accepted once per flow, gen_video once per record: paid calls are not retried
    once they succeeded."""
    accepted = [e for e in entries if 200 <= e.status < 300]
    images = [e for e in accepted if e.operation == "product_to_videos_gen_image"]
    findings = []
    if len(images) > 1:
        findings.append(
            Finding(
                "duplicate paid POST",
                f"gen_image was accepted {len(images)} times for one flow (1 credit each)",
                "POST /api/product_to_videos/gen_image/",
                "1",
                str(len(images)),
            )
        )
    videos: dict[str | None, int] = defaultdict(int)
    for e in accepted:
        if e.operation == "product_to_videos_gen_video":
            videos[e.record_id] += 1
    for record_id, count in videos.items():
        if count > 1:
            findings.append(
                Finding(
                    "duplicate paid POST",
                    f"gen_video was accepted {count} times for record {record_id} (3 credits each)",
                    "",
                    "1",
                    str(count),
                )
            )
    return findings
