"""What a state file's rows must hold for the store to read them and the API to serve them.

`record_problem` and `meta_problem` say what is wrong with one row, or None. `statefile`
asks them about every row when it opens a file, so that a bad row is refused at the start,
naming it, and not answered 500 on every call that reads it. Each check is a few type
tests: about 20 µs a record with its JSON parse, json's (the standard library's).
"""

from __future__ import annotations

import json
import math
import typing
from collections.abc import Callable
from dataclasses import MISSING, fields
from typing import Any

from .records import Record

__all__ = ["STATUSES", "is_time", "meta_problem", "record_problem", "shown", "text_of", "whole"]

STATUSES = frozenset(
    {
        "initializing",
        "image_generating",
        "image_generated",
        "video_generating",
        "video_generated",
        "failed",
    }
)
# Times the API renders, in US Pacific time too: years 1 to 9999, a day's margin each side.
_EARLIEST = -62_135_596_800 + 86_400
_LATEST = 253_402_300_799 - 86_400

Check = Callable[[Any], bool]


def is_time(value: object) -> bool:
    """Seconds since 1970 that a timestamp can be made of (a bool is no number here)."""
    return type(value) in (int, float) and _EARLIEST <= value <= _LATEST  # type: ignore[operator]


def whole(value: object) -> int | None:
    """A whole number, from an int or its digits."""
    if type(value) is int:
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value)
    return None


def text_of(value: object) -> str | None:
    """Text read with SQLite's bytes as they are: None unless it is UTF-8."""
    if isinstance(value, bytes):
        try:
            return value.decode()
        except UnicodeDecodeError:
            return None
    return value if isinstance(value, str) else None


def shown(value: object, limit: int = 40) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def meta_problem(key: object, value: object) -> str | None:
    """What `value` should be for `key` when it is not; None when it is fine."""
    if key == "schema_version":
        return None if (whole(value) or 0) >= 1 else "a whole number from 1"
    if key == "clock":
        try:
            seconds = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            seconds = math.nan
        return None if is_time(seconds) else "a time in seconds since 1970"
    if key == "pid":
        return None if (whole(value) or 0) >= 1 else "a process id"
    return "a key creatify-mock writes"


def record_problem(record_id: object, account: object, due: object, data: object) -> str | None:
    """What would make reading or serving this row fail; None when it is a good record."""
    text = text_of(data)
    if text is None:
        return "its data is not UTF-8 text"
    try:
        # json, which the store falls back on where orjson refuses (Infinity in an earlier
        # mock's file, an escaped lone surrogate): what json reads, the store reads.
        state = json.loads(text)
    except json.JSONDecodeError as exc:
        return f"its data is not JSON ({exc.msg} at character {exc.pos})"
    if not isinstance(state, dict):
        return "its data is not a JSON object"
    for name, value in state.items():
        known = _FIELDS.get(name)
        if known is None:
            return f"its data has a field the mock does not know: {shown(name)}"
        check, expected = known
        if not check(value):
            return f"its {name} is {shown(value)}, not {expected}"
    missing = _REQUIRED.difference(state)
    if missing:
        return f"its data has no {', '.join(sorted(missing))}"
    for column, value in (("id", record_id), ("account", account)):
        if text_of(value) != state[column]:
            return f"its {column} column ({shown(text_of(value))}) is not its data's"
    steps = state.get("steps") or ()
    next_at = steps[0]["at"] if steps else None
    if due != next_at:
        return f"its due column ({shown(due)}) is not the time of its next step ({next_at})"
    return None


def _is_status(value: object) -> bool:
    return isinstance(value, str) and value in STATUSES


def _is_steps(value: object) -> bool:
    # A step at Infinity (an earlier mock's "never") is never due, so never rendered.
    return isinstance(value, list) and all(
        isinstance(step, dict)
        and step.keys() == {"at", "status"}
        and _is_status(step["status"])
        and (is_time(step["at"]) or step["at"] == math.inf)
        for step in value
    )


def _fields() -> dict[str, tuple[Check, str]]:
    """name: (check, what it must be) for each field of a stored Record, from its type
    hints, so that a field added to Record cannot be forgotten here: an unknown hint fails
    at import."""
    by_hint: dict[Any, tuple[Check, str]] = {
        str: (lambda v: isinstance(v, str), "a string"),
        str | None: (lambda v: v is None or isinstance(v, str), "a string or null"),
        float: (is_time, "a time in seconds since 1970"),
        int: (lambda v: type(v) is int, "a whole number"),  # seq, which the earliest mocks kept
        tuple[str, str] | None: (
            lambda v: v is None or (isinstance(v, list) and [type(s) for s in v] == [str, str]),
            "null or two strings",
        ),
    }
    hints = typing.get_type_hints(Record)
    checks = {
        f.name: (_is_steps, "a list of steps {at, status}")
        if f.name in ("steps", "history")
        else by_hint[hints[f.name]]
        for f in fields(Record)
    }
    checks["status"] = (_is_status, "a status of the API")
    checks["task"] = (lambda v: v in ("image", "video"), '"image" or "video"')
    return checks


_FIELDS = _fields()
_REQUIRED = frozenset(
    f.name for f in fields(Record) if f.default is MISSING and f.default_factory is MISSING
)
