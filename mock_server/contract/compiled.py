"""Validators compiled once per operation from the spec, so that a message that keeps the
contract costs microseconds.

openapi-core stays the validator of record. This one answers VALID only where openapi-core
would pass the message too, with the values unmarshalled as openapi-core does (`format:
uuid` strings become `UUID`s); anything else is INVALID or UNDECIDED, and openapi-core
decides it and words what is wrong. Formats are checked as openapi-core checks them
(`formats`). A construct it does not model (a cookie parameter, an integer query
parameter, an OAuth scheme) leaves its operation UNDECIDED; tests/test_compiled.py holds
both judges to the same verdict on Hypothesis-generated messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from uuid import UUID

import jsonschema_rs
from werkzeug.datastructures import Headers

from .compiled_operation import (
    Header,
    Operation,
    Param,
    Response,
    plain_media_type,
    query_values,
    valid,
    verdict_of,
    with_uuids,
)
from .formats import format_checks, formats_in
from .violations import RequestVerdict, Verdict

__all__ = ["UNPARSED", "CompiledValidator", "HeaderView"]

# A request's or a response's headers, looked up by name in any case.
HeaderView = Mapping[str, str] | Headers

_DIGITS = re.compile(r"[0-9]{1,18}")
UNPARSED: Any = object()  # no parsed body given: parse it here
_NUMERIC_FORMATS = frozenset({"int32", "int64", "float", "double"})


def _request(verdict: Verdict, reason: str = "", **values: Any) -> RequestVerdict:
    body = values.pop("body", None)
    return RequestVerdict(
        body=body if isinstance(body, dict) else None, verdict=verdict, reason=reason, **values
    )


class _NotCompilable(Exception):
    """The spec uses something the compiled validator does not model: openapi-core decides alone."""


class CompiledValidator:
    """Per-operation validators compiled from an OpenAPI 3.1 document."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self._document = document
        self._components = document.get("components", {})
        self._formats = format_checks(formats_in(document))
        # Every compiled schema carries the components; scan them for these once.
        self._numeric_in_components = _NUMERIC_FORMATS & formats_in(self._components)
        self._compiled: dict[str, Any] = {}
        self._operations: dict[str, Operation] = {}
        self.not_compiled: dict[str, str] = {}  # operationId -> why openapi-core decides alone
        for item in document.get("paths", {}).values():
            item = self._deref(item)
            shared = item.get("parameters", [])
            for operation in item.values():
                if not isinstance(operation, dict) or "operationId" not in operation:
                    continue
                operation_id = operation["operationId"]
                try:
                    self._operations[operation_id] = self._compile(operation, shared)
                except _NotCompilable as exc:
                    self.not_compiled[operation_id] = str(exc)

    # -- compiling -------------------------------------------------------------------------

    def _deref(self, node: Any) -> Any:
        seen = 0
        while isinstance(node, dict) and "$ref" in node:
            ref = str(node["$ref"])
            if not ref.startswith("#/") or seen > 16:
                raise _NotCompilable(f"reference {ref!r} is not a local one")
            target: Any = self._document
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node, seen = target, seen + 1
        return node

    def _validator(self, schema: Any) -> Any:
        # Most responses share a schema (Detail, ProductToVideo); one compiled copy each.
        key = json.dumps(schema, sort_keys=True)
        if key not in self._compiled:
            self._compiled[key] = self._compile_schema(schema)
        return self._compiled[key]

    def _compile_schema(self, schema: Any) -> Any:
        root = {"allOf": [schema], "components": self._components}
        numeric = self._numeric_in_components | (_NUMERIC_FORMATS & formats_in(schema))
        if numeric:
            # jsonschema-rs applies formats to strings only; openapi-core to numbers too.
            raise _NotCompilable(f"numeric formats {sorted(numeric)}")
        return jsonschema_rs.Draft202012Validator(
            root, formats=self._formats, validate_formats=True
        )

    def _compile(self, operation: dict[str, Any], shared: list[Any]) -> Operation:
        params: dict[tuple[str, str], dict[str, Any]] = {}
        for raw in [*shared, *operation.get("parameters", [])]:
            param = self._deref(raw)
            params[(param["name"], param["in"])] = param  # the operation's own win
        path_params, query_params = [], []
        for (name, location), param in params.items():
            if location == "path":
                path_params.append(self._param(param, array_ok=False))
            elif location == "query":
                query_params.append(self._param(param, array_ok=True))
            else:
                raise _NotCompilable(f"{location} parameter {name!r}")
        body = self._deref(operation.get("requestBody", {}))
        responses = {
            str(code): self._response(self._deref(response))
            for code, response in operation.get("responses", {}).items()
        }
        return Operation(
            path_params=tuple(path_params),
            query_params=tuple(query_params),
            security=self._security(operation.get("security", self._document.get("security"))),
            has_body=bool(body),
            body_required=bool(body.get("required", False)),
            body_media={
                media: self._validator(content["schema"]) if "schema" in content else None
                for media, content in body.get("content", {}).items()
            },
            body_uuid_fields=self._uuid_fields(body),
            responses=responses,
        )

    def _param(self, param: dict[str, Any], *, array_ok: bool) -> Param:
        schema = self._deref(param.get("schema", {}))
        if "content" in param or param.get("allowEmptyValue") or param.get("allowReserved"):
            raise _NotCompilable(f"parameter {param['name']!r} uses content/allowEmpty/Reserved")
        kind = schema.get("type")
        if kind == "string":
            return Param(
                param["name"],
                bool(param.get("required", False)),
                False,
                schema.get("format") == "uuid",
                self._validator(schema),
            )
        style = param.get("style", "form")
        items = self._deref(schema.get("items", {}))
        if (
            array_ok
            and kind == "array"
            and style == "form"
            and param.get("explode") is False
            and items.get("type") == "string"
        ):
            return Param(
                param["name"],
                bool(param.get("required", False)),
                True,
                items.get("format") == "uuid",
                self._validator(schema),
            )
        raise _NotCompilable(f"parameter {param['name']!r} of type {kind!r} style {style!r}")

    def _security(self, requirements: Any) -> tuple[tuple[str, ...], ...]:
        schemes = self._components.get("securitySchemes", {})
        groups = []
        for requirement in requirements or [{}]:
            names = []
            for scheme_name in requirement:
                scheme = self._deref(schemes[scheme_name])
                if scheme.get("type") != "apiKey" or scheme.get("in") != "header":
                    raise _NotCompilable(f"security scheme {scheme_name!r}")
                names.append(str(scheme["name"]))
            groups.append(tuple(names))
        return tuple(groups)

    def _uuid_fields(self, body: dict[str, Any]) -> frozenset[str]:
        # openapi-core unmarshals `format: uuid` to UUID; the mock's bodies are flat objects.
        schema = self._deref(body.get("content", {}).get("application/json", {}).get("schema", {}))
        found = set()
        for name, prop in schema.get("properties", {}).items():
            prop = self._deref(prop)
            if isinstance(prop, dict) and prop.get("format") == "uuid":
                found.add(name)
            elif isinstance(prop, dict) and any(
                isinstance(b, dict) and self._deref(b).get("format") == "uuid"
                for b in prop.get("anyOf", []) + prop.get("oneOf", [])
            ):
                raise _NotCompilable(f"body field {name!r}: uuid inside anyOf/oneOf")
        return frozenset(found)

    def _response(self, response: dict[str, Any]) -> Response:
        headers = []
        for name, raw in response.get("headers", {}).items():
            header = self._deref(raw)
            schema = self._deref(header.get("schema", {}))
            if schema.get("type") not in ("integer", "string"):
                raise _NotCompilable(f"response header {name!r} of type {schema.get('type')!r}")
            headers.append(
                Header(
                    name,
                    bool(header.get("required", False)),
                    schema.get("type") == "integer",
                    self._validator(schema),
                )
            )
        return Response(
            media={
                media: self._validator(content["schema"]) if "schema" in content else None
                for media, content in response.get("content", {}).items()
            },
            headers=tuple(headers),
        )

    # -- checking --------------------------------------------------------------------------

    def takes_body(self, operation_id: str) -> bool:
        """Whether the operation has a request body to read (unknown ones: yes, to be safe)."""
        operation = self._operations.get(operation_id)
        return operation is None or operation.has_body

    def check_request(
        self,
        operation_id: str,
        *,
        path_args: Mapping[str, str],
        query: Any,
        headers: HeaderView,
        content_type: str | None,
        body: bytes,
        parsed: Any = UNPARSED,
    ) -> RequestVerdict:
        """Judge a request. `query` is a MultiDict (its `get` returns the first value);
        `parsed` is the body already parsed as JSON, when the caller has done so."""
        operation = self._operations.get(operation_id)
        if operation is None:
            return _request(Verdict.UNDECIDED, self.not_compiled.get(operation_id, "unknown"))
        if not any(all(name in headers for name in group) for group in operation.security):
            return _request(Verdict.INVALID, "security")
        path: dict[str, Any] = {}
        for param in operation.path_params:
            value = path_args.get(param.name)
            if value is None or not valid(param.validator, value):
                return _request(Verdict.INVALID, f"path {param.name}")
            path[param.name] = UUID(value) if param.uuid else value
        values = query_values(operation, query)
        if isinstance(values, str):
            return _request(Verdict.INVALID, values)
        if not operation.has_body:
            return _request(Verdict.VALID, path=path, query=values)
        if not body:
            if operation.body_required:
                return _request(Verdict.INVALID, "body missing")
            return _request(Verdict.VALID, path=path, query=values)
        media = plain_media_type(content_type)
        if media is None or media not in operation.body_media:
            return _request(Verdict.UNDECIDED, f"content type {content_type!r}")
        if parsed is UNPARSED:
            try:
                parsed = json.loads(body)
            except (ValueError, RecursionError):
                return _request(Verdict.UNDECIDED, "body is not JSON")
        validator = operation.body_media[media]
        verdict = Verdict.VALID if validator is None else verdict_of(validator, parsed)
        if verdict is not Verdict.VALID:
            return _request(verdict, "body")
        return _request(Verdict.VALID, path=path, query=values, body=with_uuids(operation, parsed))

    def check_response(
        self,
        operation_id: str,
        *,
        status: int,
        content_type: str | None,
        headers: HeaderView,
        body: bytes,
        parsed: Any = UNPARSED,
    ) -> Verdict:
        """Judge a response; `parsed` is the data its JSON body was encoded from, when the
        caller has it (JSON types only, so that it decodes to itself)."""
        operation = self._operations.get(operation_id)
        if operation is None:
            return Verdict.UNDECIDED
        response = operation.responses.get(str(status))
        if response is None:
            # openapi-core also tries "4XX" and "default"; the mock's spec names every code.
            return Verdict.UNDECIDED
        for header in response.headers:
            value = headers.get(header.name)
            if value is None:
                if header.required:
                    return Verdict.INVALID
                continue
            if header.integer:
                if not _DIGITS.fullmatch(value):
                    return Verdict.UNDECIDED
                candidate: Any = int(value)
            else:
                candidate = value
            if not valid(header.validator, candidate):
                return Verdict.INVALID
        if not response.media:
            return Verdict.VALID
        media = plain_media_type(content_type)
        if media is None or media not in response.media:
            return Verdict.UNDECIDED
        validator = response.media[media]
        if validator is None:
            return Verdict.VALID
        if parsed is UNPARSED:
            try:
                parsed = json.loads(body)
            except (ValueError, RecursionError):
                return Verdict.UNDECIDED
        return verdict_of(validator, parsed)
