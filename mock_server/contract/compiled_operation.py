"""What the compiled validator keeps for one operation, and how it judges one value, one
query or one media type against it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from .violations import Verdict

__all__ = [
    "Header",
    "Operation",
    "Param",
    "Response",
    "plain_media_type",
    "query_values",
    "valid",
    "verdict_of",
    "with_uuids",
]


@dataclass(frozen=True)
class Param:
    name: str
    required: bool
    array: bool  # a form-style, explode: false array of strings, split on ","
    uuid: bool  # values (or array items) are unmarshalled to UUID
    validator: Any


@dataclass(frozen=True)
class Header:
    name: str
    required: bool
    integer: bool
    validator: Any


@dataclass(frozen=True)
class Response:
    media: dict[str, Any]  # media type -> compiled body validator (None: no schema)
    headers: tuple[Header, ...]


@dataclass(frozen=True)
class Operation:
    path_params: tuple[Param, ...]
    query_params: tuple[Param, ...]
    security: tuple[tuple[str, ...], ...]  # header names, any one group suffices
    has_body: bool
    body_required: bool
    body_media: dict[str, Any]
    body_uuid_fields: frozenset[str]
    responses: dict[str, Response]


def query_values(operation: Operation, query: Any) -> dict[str, Any] | str:
    """The query parameters unmarshalled, or why they are invalid."""
    values: dict[str, Any] = {}
    for param in operation.query_params:
        raw = query.get(param.name)
        if raw is None:
            if param.required:
                return f"query {param.name} missing"
            continue
        value = raw.split(",") if param.array else raw
        if not valid(param.validator, value):
            return f"query {param.name}"
        if param.uuid:
            value = [UUID(v) for v in value] if param.array else UUID(value)
        values[param.name] = value
    return values


def with_uuids(operation: Operation, parsed: Any) -> Any:
    """The body with its `format: uuid` fields as UUIDs, as openapi-core unmarshals them."""
    if not operation.body_uuid_fields or not isinstance(parsed, dict):
        return parsed
    parsed = dict(parsed)
    for name in operation.body_uuid_fields:
        if isinstance(parsed.get(name), str):
            parsed[name] = UUID(parsed[name])
    return parsed


def plain_media_type(content_type: str | None) -> str | None:
    """The media type when it is plain or carries only `charset=utf-8`, else None."""
    if not content_type:
        return None
    media, separator, params = content_type.partition(";")
    # A bare ";" is a parameter openapi-core cannot parse, and openapi-core keeps a leading
    # space in the media type: both are left to it.
    if separator and params.strip().lower().replace(" ", "") != "charset=utf-8":
        return None
    return media.rstrip().lower()


def valid(validator: Any, value: Any) -> bool:
    return verdict_of(validator, value) is Verdict.VALID


def verdict_of(validator: Any, value: Any) -> Verdict:
    try:
        return Verdict.VALID if validator.is_valid(value) else Verdict.INVALID
    except (ValueError, TypeError, OverflowError, RecursionError):
        # NaN, an int beyond 64 bits, deep nesting: values JSON Schema in Rust cannot hold.
        return Verdict.UNDECIDED
