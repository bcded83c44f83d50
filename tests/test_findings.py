"""verify-client's findings from journal entries, in process: what each says, and in which
order."""

from __future__ import annotations

from typing import Any

import pytest

from contract_tests.checks import (
    Finding,
    check_contract,
    check_retry_safety,
    check_timeouts,
    ordered,
)
from contract_tests.outcome import crash_line, last_answer, stderr_tail
from contract_tests.scenarios import select
from mock_server import Contract, JournalEntry, Violation

IMAGE = "product_to_videos_gen_image"
RECORD = "e174956c-92b5-464e-acdb-d99895aeee42"


def entry(seq: int, **fields: Any) -> JournalEntry:
    base: dict[str, Any] = {
        "seq": seq,
        "at": float(seq),
        "method": "POST",
        "path": "/api/product_to_videos/gen_image/",
        "query": "",
        "operation": IMAGE,
        "account": "a",
        "status": 200,
    }
    return JournalEntry(**{**base, **fields})


def test_a_finding_names_its_field_and_an_inferred_rule() -> None:
    contract = Contract.load()
    unknown = Violation(
        "body",
        "aspectRatio",
        "additionalProperties",
        "no such key",
        "aspectRatio",
        "Unknown key aspectRatio.",
    )
    enum = Violation(
        "body", "aspect_ratio", "enum", 'one of "9x16"', '"9:16"', "Expected one of ..."
    )
    found = check_contract([entry(1, status=400, violations=(unknown, enum))], contract)
    assert [(f.field, f.inferred) for f in found] == [
        ("aspectRatio", True),
        ("aspect_ratio", False),
    ]
    assert str(found[0]).endswith("(inferred: Creatify does not document this)")
    assert "aspect_ratio: Expected one of" in str(found[1])


def test_causes_come_before_symptoms_and_errors_before_warnings() -> None:
    findings = [
        Finding("exit code", "exited 1"),
        Finding("reason not shown", "not shown", severity="warning"),
        Finding("abandoned paid work", "left running"),
        Finding("enum", "bad", "POST /x/", field="aspect_ratio"),
    ]
    assert [f.rule for f in ordered(findings)] == [
        "enum",
        "abandoned paid work",
        "exit code",
        "reason not shown",
    ]


def test_a_paid_post_sent_again_after_its_lost_answer_names_both_records() -> None:
    lost = entry(1, dropped="reset", record_id=RECORD)
    again = entry(2, record_id="second-id")
    [finding] = check_retry_safety([lost, again])
    assert finding.rule == "retry safety"
    assert f"records {RECORD} and second-id" == finding.actual
    assert check_retry_safety([lost]) == []  # looked it up instead: nothing to say


def test_a_stall_waited_out_is_no_request_timeout() -> None:
    poll = {"method": "GET", "operation": "product_to_videos_retrieve", "status": 0}
    waited = entry(1, dropped="stall", held=30.0, **poll)
    gave_up = entry(2, dropped="stall abandoned", held=10.0, **poll)
    [finding] = check_timeouts([waited, gave_up])
    assert "no request timeout: the client waited 30 s for one answer" in finding.message


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        (
            {
                "status": 429,
                "response_headers": (("Retry-After", "1"), ("Content-Type", "application/json")),
                "response_body": '{"detail": "Request was throttled."}',
            },
            (
                "the last answer was 429 with Retry-After: 1 to gen_image; the client sent "
                "nothing after it"
            ),
        ),
        (
            {
                "status": 502,
                "response_headers": (("Content-Type", "text/html"),),
                "response_body": "<html>",
            },
            "the last answer was 502 with a text/html body to gen_image",
        ),
        ({"status": 0, "dropped": "reset"}, "the last answer was a connection reset (no answer)"),
        (
            {"status": 0, "dropped": "stall", "held": 30.0},
            "no answer: held 30 s, then the connection closed",
        ),
    ],
)
def test_the_last_answer_in_words(fields: dict[str, Any], said: str) -> None:
    assert said in last_answer([entry(1, **fields)])


def test_the_last_line_of_a_crash() -> None:
    python = (
        'Traceback (most recent call last):\n  File "c.py", line 3, in <module>\n'
        "    json.loads(body)\njson.decoder.JSONDecodeError: Expecting value: line 1 column 1\n"
    )
    assert crash_line(python) == "json.decoder.JSONDecodeError: Expecting value: line 1 column 1"
    node = (
        "file:///c.mjs:12\n    const data = await response.json();\n\n"
        "SyntaxError: Unexpected token '<', \"<html>\" is not valid JSON\n"
        "    at JSON.parse (<anonymous>)\n    at async call (file:///c.mjs:12:18)\n\n"
        "Node.js v20.20.2\n"
    )
    assert crash_line(node) == "SyntaxError: Unexpected token '<', \"<html>\" is not valid JSON"
    assert crash_line("generation failed: the image could not be made\n") == ""


def test_scenario_names_are_checked() -> None:
    picked, replay = select(["success", "variants-2", "success"], 0, 3, replay=False)
    assert [s.name for s in picked] == ["success", "variants-2"]
    assert replay is False
    with pytest.raises(ValueError, match="needs --replay DIR"):
        select(["replay"], 0, 3, replay=False)
    with pytest.raises(ValueError, match="unknown scenario 'sucess'"):
        select(["sucess"], 0, 3, replay=False)


def test_the_stderr_tail_leaves_out_a_stacks_frames() -> None:
    node = (
        "file:///c.mjs:4\nconst data = await r.json();\n             ^\n"
        "SyntaxError: Unexpected token '<'\n    at JSON.parse (<anonymous>)\n"
        "    at async file:///c.mjs:4:14\n\nNode.js v20.20.2\n"
    )
    assert stderr_tail(node) == [
        "const data = await r.json();",
        "             ^",
        "SyntaxError: Unexpected token '<'",
    ]
