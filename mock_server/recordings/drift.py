"""Drift: where a recorded or documented exchange departs from the spec.

A request the spec refuses, which the API refused as the spec says (a 4xx whose answer
validates), is the client's error rather than drift: such a Drift is marked `client_error`."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

from flask import Request, Response
from werkzeug.test import EnvironBuilder

from ..contract.spec import Contract
from ..contract.validator import Validator
from ..contract.violations import Violation
from .har import Entry, load_dir

__all__ = ["Drift", "check_entry", "check_path"]


@dataclass(frozen=True)
class Drift:
    where: str  # file#entry
    part: str  # request, response, webhook
    field: str
    rule: str
    expected: str
    found: str
    excused_by: str | None = None
    client_error: bool = False  # the client's request was wrong and the API said so

    def __str__(self) -> str:
        text = (
            f"{self.where} {self.part} {self.field} [{self.rule}]: "
            f"expected {self.expected}; found {self.found}"
        )
        return text + (f" (excused: {self.excused_by})" if self.excused_by else "")


def _drift(entry: Entry, part: str, violation: Violation) -> Drift:
    excuse = next(
        (
            e.get("why", "documented exception")
            for e in entry.exceptions
            if e.get("field") == violation.field.split(".")[0]
            and e.get("rule") in (None, violation.rule)
            and e.get("part", part) == part
        ),
        None,
    )
    return Drift(
        entry.where,
        part,
        violation.field,
        violation.rule,
        violation.expected,
        violation.actual,
        excuse,
    )


def _request(entry: Entry) -> Request:
    headers = {k: v for k, v in entry.request_headers.items() if k.lower() != "content-length"}
    builder = EnvironBuilder(
        method=entry.method,
        path=entry.path,
        query_string=entry.query,
        headers=list(headers.items()),
        data=entry.request_body.encode() if entry.request_body else None,
        content_type=entry.request_mime or None,
    )
    return Request(builder.get_environ())


def check_entry(entry: Entry, validator: Validator) -> list[Drift]:
    if entry.kind == "webhook":
        try:
            body = json.loads(entry.request_body)
        except ValueError as exc:
            return [Drift(entry.where, "webhook", "body", "json", "a JSON record", str(exc))]
        return [
            _drift(entry, "webhook", v) for v in validator.schema_violations("ProductToVideo", body)
        ]
    operation = validator.contract.operation_for(entry.method, entry.path)
    if operation is None:
        where = f"{entry.method} {entry.path}"
        refused = entry.failure is None and entry.status in (404, 405)
        return [
            Drift(
                entry.where,
                "request",
                "path",
                "path",
                "an operation of the spec",
                where,
                client_error=refused,
            )
        ]
    request = _request(entry)
    found = [
        _drift(entry, "request", v) for v in validator.check_request(request, operation).violations
    ]
    if entry.failure is not None:  # the API did not answer: there is no response to check
        return found
    response = Response(entry.response_body, status=entry.status, mimetype=entry.response_mime)
    answer = [
        _drift(entry, "response", v) for v in validator.check_response(request, response, operation)
    ]
    if found and not answer and 400 <= entry.status < 500:
        found = [replace(d, client_error=True) for d in found]
    return found + answer


def check_path(path: Path, contract: Contract | None = None) -> tuple[int, list[Drift]]:
    """(entries checked, drifts) for a .har file or every .har file under a folder."""
    validator = Validator(contract or Contract.load())
    entries = load_dir(path)
    return len(entries), [d for e in entries for d in check_entry(e, validator)]
