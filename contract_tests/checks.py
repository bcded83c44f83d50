"""What verify-client checks in the journal of a client's run: each request against the
contract and the record's state, the polling rate, paid POSTs made once per intent (and not
again after an answer was lost), and request timeouts.

Each check returns `Finding`s. A finding is an error (the scenario fails) or a warning
(reported only); it names the request, the field and the rule, and says when the rule is
one Creatify does not document (an `x-inferred` note in the spec).
"""

from __future__ import annotations

import functools
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from mock_server import Contract, JournalEntry, Violation

__all__ = [
    "INFERRED",
    "Finding",
    "check_contract",
    "check_paid_posts",
    "check_polling",
    "check_retry_safety",
    "check_timeouts",
    "ordered",
]

TERMINAL = ("failed", "video_generated")
INFERRED = "inferred: Creatify does not document this"
PAID = {
    "product_to_videos_gen_image": 1,
    "product_to_videos_regen_image": 1,
    "product_to_videos_regen_video": 1,
}
# Causes come before the symptoms they explain: what was sent wrong, then how the client
# behaved, then how it ended.
_SYMPTOMS = ("exit code", "termination", "output")
_CAUSES = ("path", "method", "security", "state", "body", "media-type", "maxBytes")


@dataclass(frozen=True)
class Finding:
    rule: str
    message: str
    request: str = ""
    expected: str = ""
    actual: str = ""
    field: str = ""  # the field the finding is about: aspect_ratio, X-API-KEY, status
    severity: str = "error"  # "error" fails the scenario; "warning" is reported only
    inferred: bool = False  # the rule rests on an x-inferred note of the spec

    def __str__(self) -> str:
        where = f"{self.request}: " if self.request else ""
        field = f"{self.field}: " if self.field and self.field not in self.message else ""
        said = self.expected in self.message and f"got {self.actual}" in self.message
        detail = (
            f" (expected {self.expected}; got {self.actual})" if self.expected and not said else ""
        )
        inferred = f" ({INFERRED})" if self.inferred else ""
        level = "warning: " if self.severity == "warning" else ""
        return f"[{self.rule}] {level}{where}{field}{self.message}{detail}{inferred}"


def ordered(findings: list[Finding]) -> list[Finding]:
    """Errors first, causes before behaviour before symptoms; otherwise as found."""

    def rank(f: Finding) -> tuple[int, int]:
        kind = 2 if f.rule in _SYMPTOMS else 0 if _is_contract(f) else 1
        return (f.severity != "error", kind)

    return sorted(findings, key=rank)


def _is_contract(f: Finding) -> bool:
    return f.rule in _CAUSES or bool(f.field and f.request and f.rule not in _SYMPTOMS)


def check_contract(entries: list[JournalEntry], contract: Contract | None = None) -> list[Finding]:
    """Every request matches an operation and validates; none is sent in the wrong state.
    `contract` (the bundled spec by default) says which rules are inferred."""
    contract = contract or _bundled()
    return [
        Finding(
            v.rule,
            v.message,
            f"{e.method} {e.path}",
            v.expected,
            v.actual,
            field=v.field,
            inferred=_inferred(contract, e.operation, v),
        )
        for e in entries
        for v in e.violations
    ]


@functools.cache
def _bundled() -> Contract:
    return Contract.load()


def _inferred(contract: Contract, operation: str | None, v: Violation) -> bool:
    """Whether the rule a violation breaks is one the spec marks as inferred: the states an
    operation is allowed from, unknown keys refused, or a note on the field's own schema."""
    if operation is None or operation not in contract.operations:
        return False
    method, template = contract.operations[operation]
    node = contract.document["paths"][template][method.lower()]
    notes: dict[str, Any] = node.get("x-inferred", {})
    if v.rule == "state":
        return "allowed-states" in notes
    schema = contract.request_schema(operation) or {}
    if v.rule == "additionalProperties":
        return "unknown-keys" in schema.get("x-inferred", {})
    if v.location != "body":
        return False
    prop = schema.get("properties", {}).get(v.field.split(".")[0])
    if not isinstance(prop, dict):
        return False
    own = dict(prop.get("x-inferred", {}))
    if "$ref" in prop:
        own |= contract.resolve(prop).get("x-inferred", {})
    return v.rule in own


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
    if len(images) > 1 and not any(e.dropped for e in images):  # else: retry safety says it
        ids = ", ".join(str(e.record_id) for e in images)
        findings.append(
            Finding(
                "duplicate paid POST",
                f"gen_image was accepted {len(images)} times for one flow (1 credit each): "
                f"records {ids}",
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
                    f"POST /api/product_to_videos/{record_id}/gen_video/",
                    "1",
                    str(count),
                )
            )
    return findings


def check_retry_safety(entries: list[JournalEntry]) -> list[Finding]:
    """After the answer to a paid POST was lost (stalled or reset) once the record was made,
    a second accepted call of the same operation pays twice for one intent."""
    findings = []
    for i, lost in enumerate(entries):
        if not (lost.dropped and lost.operation in PAID and 200 <= lost.status < 300):
            continue
        again = next(
            (
                e
                for e in entries[i + 1 :]
                if e.operation == lost.operation and 200 <= e.status < 300 and not e.dropped
            ),
            None,
        )
        if again is not None:
            name = str(lost.operation).removeprefix("product_to_videos_")
            findings.append(
                Finding(
                    "retry safety",
                    f"the answer to {name} was lost ({lost.dropped}) after record "
                    f"{lost.record_id} was made; the client sent it again and record "
                    f"{again.record_id} was made too: two records, and two charges, for one "
                    "intent. Look the record up (GET /api/product_to_videos/) before sending "
                    "a paid POST again.",
                    f"{again.method} {again.path}",
                    "one record per intent",
                    f"records {lost.record_id} and {again.record_id}",
                )
            )
    return findings


def check_timeouts(entries: list[JournalEntry]) -> list[Finding]:
    """A stalled answer that the client waited out to the end: it has no request timeout
    shorter than the stall, and against a real outage would hang."""
    return [
        Finding(
            "no request timeout",
            f"no request timeout: the client waited {e.held:.0f} s for one answer, until the "
            "mock closed the connection (a timeout longer than the stall, --stall-seconds, "
            "counts as none). Set one on every request (httpx: timeout=, fetch: "
            "AbortSignal.timeout(), axios: timeout:) and retry a poll that times out.",
            f"{e.method} {e.path}",
            f"the client gives up well before {e.held:.0f} s",
            f"waited {e.held:.0f} s",
        )
        for e in entries
        if e.dropped == "stall" and e.held > 0
    ]
