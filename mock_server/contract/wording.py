"""jsonschema's errors in words a client's author can act on: the field, the rule, the
expected and the actual value, and the fix."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from .violations import Violation

__all__ = ["schema_violations", "show"]

_EXAMPLE_UUID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
_FORMATS = {
    "uuid": f"a UUID such as {_EXAMPLE_UUID}",
    "uri": "an absolute URI",
    "date-time": "an RFC 3339 date-time",
}
_JSON_TYPES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "a boolean",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _typed(value: Any) -> str:
    """The JSON type and the value: `string "9:16"`, `integer 5`; null is said once."""
    return "null" if value is None else f"{_json_type(value)} {show(value)}"


def show(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 80 else text[:77] + "..."


def _expected_types(types: Any) -> str:
    names = types if isinstance(types, list) else [types]
    return " or ".join(_JSON_TYPES.get(str(t), str(t)) for t in names)


def _describe(error: Any) -> tuple[str, str, str]:
    """(rule, expected, actual) for one jsonschema error, unwrapping nullable anyOf/oneOf."""
    rule, value = error.validator, error.instance
    if rule in ("anyOf", "oneOf") and error.context:
        branches = [
            e for e in error.context if not (e.validator == "type" and e.validator_value == "null")
        ]
        if branches and all(e.validator == "type" for e in error.context):
            types = [t for e in error.context for t in _as_list(e.validator_value)]
            return "type", _expected_types(types), _typed(value)
        if branches:
            return _describe(min(branches, key=lambda e: len(e.relative_schema_path)))
    if rule == "enum":
        options = ", ".join(show(o) for o in error.validator_value)
        return rule, f"one of {options}", show(value)
    if rule == "pattern":
        if "://" in str(error.validator_value):
            return "format", "an absolute http(s) URL with a host", show(value)
        return rule, f"a string matching {error.validator_value}", show(value)
    if rule == "format":
        expected = _FORMATS.get(str(error.validator_value), f"format {error.validator_value}")
        return rule, expected, show(value)
    if rule in ("maxLength", "minLength"):
        bound = "at most" if rule == "maxLength" else "at least"
        return rule, f"{bound} {error.validator_value} characters", f"{len(value)} characters"
    if rule in ("maxItems", "minItems"):
        bound = "at most" if rule == "maxItems" else "at least"
        return rule, f"{bound} {error.validator_value} entries", f"{len(value)} entries"
    if rule == "type":
        return rule, _expected_types(error.validator_value), _typed(value)
    return str(rule), str(error.validator_value), show(value)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def schema_violations(
    errors: Iterable[Any], location: str, root_field: str | None, operation_id: str
) -> list[Violation]:
    """Each jsonschema error as violations naming the field, the rule, the expected and the
    actual value (a `required` or `additionalProperties` error names each field)."""
    found: list[Violation] = []
    url_fields: set[str] = set()
    for error in errors:
        path = [str(p) for p in error.path]
        if error.validator == "required":
            found += _missing_fields(error, location, root_field, path)
        elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
            found += _unknown_fields(error, location, root_field, path, operation_id)
        elif not path and location == "body" and error.validator == "type":
            got = _json_type(error.instance)
            message = f"Invalid data. Expected a dictionary, but got {got}."
            found.append(
                Violation(location, "non_field_errors", "type", "a JSON object", got, message)
            )
        else:
            rule, expected, actual = _describe(error)
            name = _join(root_field, path)
            if rule == "format" and expected.startswith("an absolute"):
                url_fields.add(name)
            message = f"Expected {expected}; got {actual}."
            found.append(Violation(location, name, rule, expected, actual, message))
    return _one_url_message(found, url_fields)


def _missing_fields(
    error: Any, location: str, root_field: str | None, path: list[str]
) -> list[Violation]:
    return [
        Violation(
            location,
            _join(root_field, path + [name]),
            "required",
            "the field to be present",
            "missing",
            "This field is required.",
        )
        for name in error.validator_value
        if isinstance(error.instance, dict) and name not in error.instance
    ]


def _unknown_fields(
    error: Any, location: str, root_field: str | None, path: list[str], operation_id: str
) -> list[Violation]:
    known = sorted(error.schema.get("properties", {}))
    return [
        Violation(
            location,
            _join(root_field, path + [name]),
            "additionalProperties",
            f"one of the fields {', '.join(known)}",
            f"unknown field {name!r}",
            f"Unknown field {name!r}: {operation_id} takes only "
            f"{', '.join(known)}. Fix: remove it or correct its spelling.",
        )
        for name in error.instance
        if name not in known
    ]


def _one_url_message(found: list[Violation], url_fields: set[str]) -> list[Violation]:
    """`format: uri` and the http(s) pattern say the same thing twice; keep the sharper one."""
    for name in url_fields:
        same = [v for v in found if v.field == name and v.expected.startswith("an absolute")]
        keep = next((v for v in same if "http(s)" in v.expected), same[0])
        found = [v for v in found if v is keep or not any(v is s for s in same)]
    return found


def _join(root: str | None, parts: list[str]) -> str:
    names = ([root] if root else []) + parts
    return ".".join(names) if names else "body"
