"""How a client's run ended, judged against its scenario: its exit code (with what it last
saw on the wire, and its crash if it crashed), whether it stopped for the right reason,
whether it abandoned work it paid for, and whether the reason it was given reached its user.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from mock_server import JournalEntry

from .checks import Finding
from .process import ClientRun
from .scenarios import Scenario

__all__ = ["RUNNING", "Ending", "crash_line", "judge_ending", "last_answer", "stderr_tail"]

RUNNING = ("initializing", "image_generating", "video_generating")
_NOISE = re.compile(r"^\s+at \S|^Node\.js v\d")
_EXCEPTION = re.compile(r"^(?:[\w.]+(?:Error|Exception|Exit|Interrupt)|[\w.]+Error \[\w+\])\b.*")


@dataclass(frozen=True)
class Ending:
    """What the harness knows once the client's process is gone."""

    scenario: Scenario
    run: ClientRun
    entries: list[JournalEntry]  # the journal, oldest first
    served: dict[str, dict[str, Any]]  # record id -> the record as the client could see it
    # then; only records whose id reached the client
    strict: bool = False
    timeout: float = 60.0


def crash_line(stderr: str) -> str:
    """The last line of a traceback in the client's stderr (Python's, or Node's), or ""."""
    lines = [line.rstrip() for line in stderr.splitlines() if line.strip()]
    if "Traceback (most recent call last):" in stderr:
        start = max(i for i, line in enumerate(lines) if line.startswith("Traceback"))
        tail = [line for line in lines[start + 1 :] if not line.startswith((" ", "\t"))]
        return tail[-1] if tail else ""
    errors = [line.strip() for line in lines if _EXCEPTION.match(line.strip())]
    if errors and any(line.lstrip().startswith("at ") for line in lines):  # a JS stack
        return errors[-1]
    return ""


def stderr_tail(stderr: str, count: int = 3) -> list[str]:
    """The last lines of the client's stderr, without a JS stack's frames and Node's version
    line, which say nothing of what went wrong."""
    lines = [
        line.rstrip() for line in stderr.splitlines() if line.strip() and not _NOISE.match(line)
    ]
    return [line if len(line) <= 200 else line[:197] + "..." for line in lines[-count:]]


def last_answer(entries: list[JournalEntry]) -> str:
    """What the client last saw on the wire, in words."""
    if not entries:
        return "the client sent no request the mock received"
    e = max(entries, key=lambda x: x.at)
    operation = (e.operation or "").removeprefix("product_to_videos_") or f"{e.method} {e.path}"
    saying = ""
    if e.dropped == "reset":
        seen = "a connection reset (no answer)"
    elif e.dropped:
        seen = f"no answer: held {e.held:.0f} s, then the connection closed"
    else:
        seen, saying = f"{e.status}{_answer_detail(e)}", _saying(e)
    return f"the last answer was {seen} to {operation}{saying}; the client sent nothing after it"


def _answer_detail(e: JournalEntry) -> str:
    headers = dict(e.response_headers)
    parts = []
    if "Retry-After" in headers:
        parts.append(f"with Retry-After: {headers['Retry-After']}")
    kind = headers.get("Content-Type", "")
    if e.status >= 400 and not kind.startswith("application/json"):
        parts.append(f"with a {kind} body" if kind and e.response_body else "with an empty body")
    if e.record_status:
        parts.append(f"(status {e.record_status!r})")
    return (" " + " ".join(parts)) if parts else ""


def _saying(e: JournalEntry) -> str:
    headers = dict(e.response_headers)
    json_body = headers.get("Content-Type", "").startswith("application/json")
    if e.response_body and json_body and "Retry-After" not in headers:
        return f", saying {_short(e.response_body)}"
    return ""


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def judge_ending(ending: Ending) -> list[Finding]:
    run = ending.run
    if run.exit_code is None:
        return [
            Finding(
                "termination",
                f"the client did not finish within {ending.timeout:g} s; "
                + last_answer(ending.entries).replace("; the client sent nothing after it", ""),
                expected=f"exit within {ending.timeout:g} s",
                actual="still running (its process group was ended)",
            )
        ]
    findings = _exit_code(ending)
    if run.exit_code != 0:
        findings += _wrong_reason(ending) + _abandoned(ending) + _reason_shown(ending)
    return findings


def _exit_code(ending: Ending) -> list[Finding]:
    run, expect = ending.run, ending.scenario.expect_video
    code = run.exit_code
    if expect is True and code != 0:
        why = _why_exited(ending)
        return [
            Finding(
                "exit code",
                f"the scenario lets the video be made, but the client exited {code}: {why}",
                expected="0",
                actual=str(code),
            )
        ]
    if expect is False and code == 0:
        return [
            Finding(
                "exit code",
                "the API reported a failure or refused the client, yet it exited 0; "
                + last_answer(ending.entries),
                expected="non-zero",
                actual="0",
            )
        ]
    return []


def _why_exited(ending: Ending) -> str:
    run = ending.run
    if run.exit_code == 127:
        return f"command not found ({run.stderr.strip() or 'exit 127'})"
    if run.exit_code == 126:
        return f"the command cannot be run ({run.stderr.strip() or 'exit 126'})"
    crashed = crash_line(run.stderr)
    said = f"it crashed: {crashed}; " if crashed else ""
    return said + last_answer(ending.entries)


def _wrong_reason(ending: Ending) -> list[Finding]:
    """In a failure scenario, a non-zero exit must follow the failure (or the refusal) the
    mock served; any other reason is the client's own."""
    scenario = ending.scenario
    if scenario.expect_video is not False:
        return []
    entries = ending.entries
    if scenario.refuse_credentials:
        told = any(e.status in (401, 403) for e in entries)
        signal = "a 401 refusal"
    else:
        told = any(e.record_status == "failed" for e in entries)
        signal = "'failed'"
    crashed = crash_line(ending.run.stderr)
    own = [e for e in entries if e.violations and 400 <= e.status < 500]
    if told and not crashed and not (own and own[-1] is max(entries, key=lambda x: x.at)):
        return []
    if ending.run.exit_code in (126, 127):
        why = _why_exited(ending)
    elif crashed:
        why = f"it crashed: {crashed}"
    elif own:
        last = own[-1]
        name = (last.operation or last.path).removeprefix("product_to_videos_")
        why = f"its own {name} was refused ({last.status}: {last.violations[0].message})"
    else:
        why = last_answer(entries)
    return [
        Finding(
            "stopped for the wrong reason",
            f"the client exited {ending.run.exit_code}, but not because of the failure the "
            f"scenario served: {why}",
            expected=f"exit non-zero after it was served {signal}",
            actual="served it, then stopped for another reason" if told else "not served it",
        )
    ]


def _abandoned(ending: Ending) -> list[Finding]:
    """A record the client paid for and knew of, still running when it exited, in a scenario
    where it could have waited for it."""
    if ending.scenario.expect_video is not True:
        return []
    return [
        Finding(
            "abandoned paid work",
            f"the client exited while record {record_id} it paid for was still "
            f"{record['status']!r}; it could have waited (or retried the call that failed)",
            f"GET /api/product_to_videos/{record_id}/",
            "exit once the record is video_generated or failed",
            f"exited at {record['status']!r}",
        )
        for record_id, record in ending.served.items()
        if record["status"] in RUNNING
    ]


def _reason_shown(ending: Ending) -> list[Finding]:
    """The failed_reason, the refusal's detail, or the refused field's name, somewhere in
    what the client printed."""
    reasons = _reasons(ending)
    printed = " ".join((ending.run.stdout + "\n" + ending.run.stderr).split())
    missing = [r for r in reasons if not any(key in printed for key in r[1])]
    return [
        Finding(
            "reason not shown",
            f"the mock gave the reason ({what}), but it is in neither the client's stdout "
            "nor its stderr: its user cannot tell what to fix",
            expected=f"the output names {keys[0]!r}",
            actual="not in the output",
            severity="error" if ending.strict else "warning",
        )
        for what, keys in missing
    ]


def _reasons(ending: Ending) -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []
    for record_id, record in ending.served.items():
        reason = record.get("failed_reason")
        if record["status"] == "failed" and reason:
            found.append((f"failed_reason of {record_id}: {reason!r}", [_key(reason)]))
    refusals = [e for e in ending.entries if 400 <= e.status < 500 and e.status != 429]
    if refusals:
        last = refusals[-1]
        try:
            body = json.loads(last.response_body)
        except ValueError:
            return found
        if isinstance(body, dict) and isinstance(body.get("detail"), str):
            found.append(
                (f"{last.status} detail {_short(body['detail'], 80)!r}", [_key(body["detail"])])
            )
        elif isinstance(body, dict) and body:
            fields = [str(k) for k in body]
            found.append((f"{last.status} on field(s) {', '.join(fields)}", fields))
    return found


def _key(text: str) -> str:
    """The part of a reason that must be shown: its first clause, at least a few words."""
    text = " ".join(text.split())
    cut = min((i for i in (text.find(": "), text.find(". ")) if i >= 20), default=len(text))
    return text[:cut]
