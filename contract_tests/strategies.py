"""Hypothesis strategies drawn from spec/openapi.yaml.

Valid data comes from schemathesis's generator, run on the spec's own schemas; nothing
here restates a schema. Invalid bodies are valid ones broken in exactly one named way.
"""

from __future__ import annotations

import copy
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mock_server import Contract

__all__ = ["InvalidBody", "invalid_request_bodies", "records", "request_bodies"]

RULES = (
    "wrong enum",
    "too long",
    "missing required",
    "wrong type",
    "bad uuid",
    "not a URL",
    "unknown field",
)
EMPTY_FORMS = ("null", "empty-string")
# Keys Creatify sends on other resources; a tolerant client ignores them here too.
_EXTRA_KEYS = ("credits_used", "duration", "progress", "preview", "video_output", "is_hidden")


@dataclass(frozen=True)
class InvalidBody:
    """A request body that breaks exactly one rule of the contract, on one field."""

    body: dict[str, Any]
    field: str
    rule: str


@cache
def _contract() -> Contract:
    return Contract.load()


@cache
def _schemathesis(kind: str) -> Any:
    import schemathesis  # heavy; only strategy users pay for it

    contract = _contract()
    if kind == "api":
        return schemathesis.openapi.from_dict(copy.deepcopy(contract.document))
    # A one-operation document whose request body is the record schema, so schemathesis
    # draws records from the spec exactly as it draws request bodies.
    document = {
        "openapi": contract.document["openapi"],
        "info": {"title": "records", "version": "1"},
        "paths": {
            "/records": {
                "post": {
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ProductToVideo"}
                            }
                        },
                    },
                    "responses": {"200": {"description": "the record"}},
                }
            }
        },
        "components": {"schemas": copy.deepcopy(contract.document["components"]["schemas"])},
    }
    schema: Any = schemathesis.openapi.from_dict(document)
    return schema


def _positive_bodies(path: str, method: str, api: str) -> st.SearchStrategy[dict[str, Any]]:
    from schemathesis import GenerationMode

    operation = _schemathesis(api)[path][method]
    cases: st.SearchStrategy[Any] = operation.as_strategy(generation_mode=GenerationMode.POSITIVE)
    return cases.map(lambda case: dict(case.body) if isinstance(case.body, dict) else {})


def _operation(operation_id: str) -> tuple[str, str]:
    operations = _contract().operations
    if operation_id not in operations:
        raise InvalidArgument(
            f"operation_id={operation_id!r} is not in the spec; expected one of "
            f"{', '.join(sorted(operations))}"
        )
    method, template = operations[operation_id]
    if _contract().request_schema(operation_id) is None:
        with_bodies = sorted(o for o in operations if _contract().request_schema(o) is not None)
        raise InvalidArgument(
            f"operation_id={operation_id!r} takes no request body; expected one of "
            f"{', '.join(with_bodies)}"
        )
    return method, template


def request_bodies(operation_id: str) -> st.SearchStrategy[dict[str, Any]]:
    """Valid JSON bodies for the operation, as the spec allows them."""
    method, template = _operation(operation_id)
    return _positive_bodies(template, method, "api")


def _property(schema: dict[str, Any], name: str) -> dict[str, Any]:
    """A property's schema with `$ref`s followed and nullable wrappers unwrapped."""
    contract = _contract()
    prop = contract.resolve(schema["properties"][name])
    for key in ("anyOf", "oneOf"):
        branches = [contract.resolve(b) for b in prop.get(key, [])]
        concrete = [b for b in branches if b.get("type") != "null"]
        if concrete:
            prop = {**concrete[0], **{k: v for k, v in prop.items() if k != key}}
    return prop


def _nullable(schema: dict[str, Any], name: str) -> bool:
    contract = _contract()
    prop = contract.resolve(schema["properties"][name])
    types = prop.get("type")
    if isinstance(types, list) and "null" in types:
        return True
    return any(contract.resolve(b).get("type") == "null" for b in prop.get("anyOf", []))


def _breakages(schema: dict[str, Any]) -> list[tuple[str, str, st.SearchStrategy[Any]]]:
    """(field, rule, strategy of the breaking value); a missing field's value is unused."""
    found: list[tuple[str, str, st.SearchStrategy[Any]]] = []
    for name in schema.get("properties", {}):
        prop = _property(schema, name)
        not_string = st.one_of(st.integers(), st.booleans(), st.lists(st.integers(), max_size=2))
        wrong = not_string if _nullable(schema, name) else st.one_of(st.none(), not_string)
        found.append((name, "wrong type", wrong))
        if "enum" in prop:
            enum = set(prop["enum"])
            found.append(
                (
                    name,
                    "wrong enum",
                    st.text(min_size=1, max_size=12).filter(_not_in(enum)),
                )
            )
        if "maxLength" in prop:
            limit = int(prop["maxLength"])
            prefix = "https://example.com/" if "pattern" in prop else ""
            found.append(
                (
                    name,
                    "too long",
                    st.integers(limit + 1, limit + 40).map(_padded(prefix)),
                )
            )
        if prop.get("format") == "uuid":
            found.append(
                (name, "bad uuid", st.text(string.ascii_letters + "-", min_size=1, max_size=40))
            )
        if "pattern" in prop:
            found.append(
                (
                    name,
                    "not a URL",
                    st.sampled_from(
                        ["shoe.jpg", "ftp://x.io/a.png", "example.com/a.png", "mailto:a@b.io"]
                    ),
                )
            )
    for name in schema.get("required", []):
        found.append((name, "missing required", st.just(None)))
    if schema.get("additionalProperties") is False:
        known = set(schema.get("properties", {}))
        unknown = st.sampled_from(["aspectRatio", "productUrl", "prompt", "callback_url"])
        found.append(("", "unknown field", unknown.filter(lambda k: k not in known)))
    return found


def invalid_request_bodies(
    operation_id: str, *, rules: tuple[str, ...] = RULES
) -> st.SearchStrategy[InvalidBody]:
    """Bodies that break one named rule each: wrong enum, too long, missing required,
    wrong type, bad uuid, not a URL, or an unknown field."""
    method, template = _operation(operation_id)
    unknown_rules = set(rules) - set(RULES)
    if unknown_rules:
        raise InvalidArgument(f"rules: unknown {sorted(unknown_rules)}; expected some of {RULES}")
    schema = _contract().request_schema(operation_id) or {}
    choices = [b for b in _breakages(schema) if b[1] in rules]
    if not choices:
        raise InvalidArgument(f"no rule among {rules} applies to {operation_id}'s body")

    @st.composite
    def broken(draw: st.DrawFn) -> InvalidBody:
        body = draw(_positive_bodies(template, method, "api"))
        field, rule, values = draw(st.sampled_from(choices))
        value = draw(values)
        if rule == "missing required":
            body.pop(field, None)
        elif rule == "unknown field":
            field = value
            body[field] = "x"
        else:
            body[field] = value
        return InvalidBody(body, field, rule)

    return broken()


def _timestamps() -> st.SearchStrategy[tuple[str, str]]:
    """(created_at, updated_at), updated no earlier, in one of the forms seen in the docs."""
    forms: dict[str, Callable[[datetime], str]] = {
        "offset with microseconds": lambda d: d.isoformat(timespec="microseconds"),
        "offset": lambda d: d.isoformat(timespec="seconds"),
        "utc Z": lambda d: d.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "utc Z with microseconds": lambda d: d.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
    }

    @st.composite
    def pair(draw: st.DrawFn) -> tuple[str, str]:
        zone = timezone(timedelta(hours=draw(st.sampled_from([-8, -7, 0, 1, 8]))))
        created = draw(st.datetimes(datetime(2024, 1, 1), datetime(2027, 1, 1))).replace(
            tzinfo=zone
        )
        updated = created + timedelta(seconds=draw(st.floats(0, 600, allow_nan=False)))
        form = forms[draw(st.sampled_from(sorted(forms)))]
        return form(created), form(updated)

    return pair()


def records(
    status: str | None = None, *, empty: str | None = None, extra_keys: bool = True
) -> st.SearchStrategy[dict[str, Any]]:
    """`ProductToVideo` records consistent with their status.

    No video URL before `video_generated`, no photo URL before `image_generated`, a
    `failed_reason` exactly when `failed`, `regen_*` set together or not at all. Empty
    values come as `null` or `""` (`empty=` picks one), timestamps with and without
    fractions and offsets, and with `extra_keys` unknown keys a client must ignore.
    """
    record_schema = _contract().schema("ProductToVideo")
    statuses = record_schema["properties"]["status"]["enum"]
    if status is not None and status not in statuses:
        raise InvalidArgument(f"status={status!r}; expected one of {', '.join(statuses)}")
    if empty is not None and empty not in EMPTY_FORMS:
        raise InvalidArgument(f"empty={empty!r}; expected one of {', '.join(EMPTY_FORMS)}")
    regen_types = _property(record_schema, "regen_type")["enum"]

    @st.composite
    def record(draw: st.DrawFn) -> dict[str, Any]:
        data = draw(_positive_bodies("/records", "POST", "records"))
        blank: str | None = (
            ""
            if draw(st.sampled_from([empty] if empty else EMPTY_FORMS)) == "empty-string"
            else None
        )
        data["status"] = state = status or draw(st.sampled_from(statuses))
        data["id"] = str(draw(st.uuids(version=4)))
        data.update(draw(_generated(data["id"], state, blank)))
        if draw(st.booleans()):
            data["regen_type"] = draw(st.sampled_from(regen_types))
            data["regen_source_id"] = str(draw(st.uuids(version=4)))
        else:
            data["regen_type"] = data["regen_source_id"] = blank
        for name in (
            "override_avatar",
            "motion_style",
            "product_showcase_url",
            "webhook_url",
            "image_prompt",
            "video_prompt",
        ):
            if data.get(name) in (None, ""):
                data[name] = blank
        data["created_at"], data["updated_at"] = draw(_timestamps())
        if extra_keys:
            values = st.one_of(st.none(), st.integers(), st.text(max_size=10), st.booleans())
            data.update(draw(st.dictionaries(st.sampled_from(_EXTRA_KEYS), values, max_size=3)))
        return data

    return record()


@st.composite
def _generated(draw: st.DrawFn, record_id: str, state: str, blank: str | None) -> dict[str, Any]:
    """The URLs and failure a record in `state` has, as Creatify's CDN names them."""
    user, day = draw(st.integers(100_000, 999_999)), draw(st.dates())
    has_photo = state in ("image_generated", "video_generating", "video_generated") or (
        state == "failed" and draw(st.booleans())
    )
    photo = f"https://cdn.creatify.ai/user/{user}/{day:%Y-%m-%d}/{draw(st.uuids()).hex}.jpg"
    video = (
        f"https://cdn.creatify.ai/product_to_videos/{user}/{record_id}/{day:%Y%m%d}/"
        f"{draw(st.uuids()).hex}.mp4"
    )
    reason = draw(st.text(min_size=1, max_size=80).filter(str.strip))
    return {
        "generated_photo_url": photo if has_photo else blank,
        "generated_video_url": video if state == "video_generated" else blank,
        "failed_reason": reason if state == "failed" else blank,
    }


def _not_in(values: Any) -> Any:
    def check(value: str) -> bool:
        return value not in values

    return check


def _padded(prefix: str) -> Any:
    def pad(length: int) -> str:
        return prefix + "a" * (length - len(prefix))

    return pad
