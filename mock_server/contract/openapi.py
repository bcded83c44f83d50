"""openapi-core, the validator of record, on the mock's messages: its errors turned into
violations that name the field, the rule, the expected and the actual value.

openapi-core is imported on first use, so that a mock that only ever sees messages the
compiled validator passes starts without it."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from .spec import Contract
from .violations import RequestVerdict, Violation

__all__ = ["OpenApiChecker"]

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


def _show(value: Any) -> str:
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
            return "type", _expected_types(types), f"{_json_type(value)} {_show(value)}"
        if branches:
            return _describe(min(branches, key=lambda e: len(e.relative_schema_path)))
    if rule == "enum":
        options = ", ".join(_show(o) for o in error.validator_value)
        return rule, f"one of {options}", _show(value)
    if rule == "pattern":
        if "://" in str(error.validator_value):
            return "format", "an absolute http(s) URL with a host", _show(value)
        return rule, f"a string matching {error.validator_value}", _show(value)
    if rule == "format":
        expected = _FORMATS.get(str(error.validator_value), f"format {error.validator_value}")
        return rule, expected, _show(value)
    if rule in ("maxLength", "minLength"):
        bound = "at most" if rule == "maxLength" else "at least"
        return rule, f"{bound} {error.validator_value} characters", f"{len(value)} characters"
    if rule in ("maxItems", "minItems"):
        bound = "at most" if rule == "maxItems" else "at least"
        return rule, f"{bound} {error.validator_value} entries", f"{len(value)} entries"
    if rule == "type":
        return rule, _expected_types(error.validator_value), f"{_json_type(value)} {_show(value)}"
    return str(rule), str(error.validator_value), _show(value)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _schema_violations(
    errors: Iterable[Any], location: str, root_field: str | None, operation_id: str
) -> list[Violation]:
    found: list[Violation] = []
    url_fields: set[str] = set()
    for error in errors:
        path = [str(p) for p in error.path]
        if error.validator == "required":
            for name in error.validator_value:
                if isinstance(error.instance, dict) and name not in error.instance:
                    found.append(
                        Violation(
                            location,
                            _join(root_field, path + [name]),
                            "required",
                            "the field to be present",
                            "missing",
                            "This field is required.",
                        )
                    )
            continue
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = sorted(error.schema.get("properties", {}))
            for name in error.instance:
                if name not in known:
                    found.append(
                        Violation(
                            location,
                            _join(root_field, path + [name]),
                            "additionalProperties",
                            f"one of the fields {', '.join(known)}",
                            f"unknown field {name!r}",
                            f"Unknown field {name!r}: {operation_id} takes only "
                            f"{', '.join(known)}. Fix: remove it or correct its spelling.",
                        )
                    )
            continue
        if not path and location == "body" and error.validator == "type":
            found.append(
                Violation(
                    location,
                    "non_field_errors",
                    "type",
                    "a JSON object",
                    _json_type(error.instance),
                    f"Invalid data. Expected a dictionary, but got {_json_type(error.instance)}.",
                )
            )
            continue
        rule, expected, actual = _describe(error)
        name = _join(root_field, path)
        if rule == "format" and expected.startswith("an absolute"):
            url_fields.add(name)
        found.append(
            Violation(
                location,
                name,
                rule,
                expected,
                actual,
                f"Expected {expected}; got {actual}.",
            )
        )
    return _one_url_message(found, url_fields)


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


def _canonical_request(request: Request, host_url: str) -> Any:
    return _adapter_class()(request, host_url)


@functools.cache
def _adapter_class() -> type:
    from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest

    class _CanonicalRequest(WerkzeugOpenAPIRequest):
        """Presents the request as sent to the production server, whatever the mock's host."""

        def __init__(self, request: Request, host_url: str) -> None:
            super().__init__(request)
            self._host_url = host_url

        @property
        def host_url(self) -> str:
            return self._host_url

        @property
        def method(self) -> str:
            # HEAD is GET without the body, as Werkzeug and DRF both serve it.
            method = self.request.method.lower()
            return "get" if method == "head" else method

        @property
        def body(self) -> bytes | None:
            try:
                return self.request.get_data(cache=True)
            except HTTPException:  # a body refused as too large is no body to validate
                return None

    return _CanonicalRequest


class OpenApiChecker:
    """openapi-core's verdicts on requests, responses and component schemas, as violations.
    A response may be a werkzeug Response or anything with openapi-core's Response protocol
    (`status_code`, `content_type`, `headers`, `data`)."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self._schema_validators: dict[str, Any] = {}

    @property
    def openapi(self) -> Any:
        return self.contract.openapi

    def schema_violations(self, schema_name: str, instance: Any) -> list[Violation]:
        """Check a value against one of the spec's component schemas (a record, a body)."""
        validator = self._schema_validators.get(schema_name)
        if validator is None:
            from openapi_schema_validator import OAS31Validator, oas31_format_checker

            root = {
                "$ref": f"#/components/schemas/{schema_name}",
                "components": self.contract.document["components"],
            }
            validator = OAS31Validator(root, format_checker=oas31_format_checker)
            self._schema_validators[schema_name] = validator
        return _schema_violations(validator.iter_errors(instance), "body", None, schema_name)

    def check_request(self, request: Request, operation_id: str) -> RequestVerdict:
        """openapi-core's verdict alone, with its violations."""
        verdict = RequestVerdict()
        malformed = _malformed_media_parameter(request.content_type)
        if malformed is not None and _raw_body(request):
            # openapi-core would raise ValueError on it; the client deserves a 415 instead.
            verdict.violations.append(
                Violation(
                    "header",
                    "Content-Type",
                    "media-type",
                    "application/json, with parameters as name=value",
                    _show(request.content_type),
                    f"Malformed media type parameter {malformed!r} in Content-Type "
                    f"{request.content_type!r}; send Content-Type: application/json.",
                )
            )
            return verdict
        adapter = _canonical_request(request, self.contract.server_url)
        result = self.openapi.unmarshal_request(adapter)
        for error in result.errors:
            verdict.violations.extend(self._request_violations(error, operation_id))
        if not result.errors:
            verdict.body = result.body if isinstance(result.body, dict) else None
            verdict.path = dict(result.parameters.path)
            verdict.query = dict(result.parameters.query)
        return verdict

    def _request_violations(self, error: Exception, operation_id: str) -> list[Violation]:
        from openapi_core.templating.media_types.exceptions import MediaTypeNotFound
        from openapi_core.templating.paths.exceptions import PathError
        from openapi_core.validation.request.exceptions import (
            InvalidParameter,
            InvalidRequestBody,
            MissingRequestBodyError,
            MissingRequiredParameter,
            ParameterValidationError,
            RequestBodyValidationError,
            SecurityValidationError,
        )

        cause = error.__cause__
        if isinstance(error, InvalidRequestBody):
            return _schema_violations(
                getattr(cause, "schema_errors", ()), "body", None, operation_id
            )
        if isinstance(error, MissingRequestBodyError):
            required = self.contract.required_fields(operation_id) or ["body"]
            return [
                Violation(
                    "body",
                    name,
                    "required",
                    "a JSON body with this field",
                    "no body",
                    "This field is required.",
                )
                for name in required
            ]
        if isinstance(error, RequestBodyValidationError) and isinstance(cause, MediaTypeNotFound):
            return [
                Violation(
                    "header",
                    "Content-Type",
                    "media-type",
                    "application/json",
                    _show(cause.mimetype),
                    f'Unsupported media type "{cause.mimetype}" in request; send the body '
                    "as JSON with Content-Type: application/json.",
                )
            ]
        if isinstance(error, InvalidParameter) and getattr(cause, "schema_errors", None):
            return _schema_violations(cause.schema_errors, error.location, error.name, operation_id)
        if isinstance(error, MissingRequiredParameter):
            return [
                Violation(
                    error.location,
                    error.name,
                    "required",
                    "the parameter to be present",
                    "missing",
                    f"Missing required {error.location} parameter {error.name!r}.",
                )
            ]
        if isinstance(error, ParameterValidationError):
            return [
                Violation(
                    error.location,
                    error.name,
                    "parameter",
                    "a valid value",
                    str(cause or error),
                    f"Invalid {error.location} parameter {error.name!r}: {cause or error}.",
                )
            ]
        if isinstance(error, SecurityValidationError):
            return [
                Violation(
                    "header",
                    "X-API-ID/X-API-KEY",
                    "security",
                    "both headers",
                    "missing",
                    "Send both X-API-ID and X-API-KEY.",
                )
            ]
        if isinstance(error, PathError):
            return [Violation("path", "path", "path", "a documented path", "", str(error))]
        return [Violation("request", "request", type(error).__name__, "", "", str(error))]

    def check_response(self, request: Request, response: Any) -> list[Violation]:
        """openapi-core's verdict alone, as violations."""
        from openapi_core.contrib.werkzeug import WerkzeugOpenAPIResponse

        if isinstance(response, Response):
            response = WerkzeugOpenAPIResponse(response)
        adapter = _canonical_request(request, self.contract.server_url)
        found: list[Violation] = []
        for error in self.openapi.iter_response_errors(adapter, response):
            schema_errors = getattr(error.__cause__, "schema_errors", None)
            if schema_errors:
                found.extend(_schema_violations(schema_errors, "response", None, "response"))
            else:
                found.append(
                    Violation(
                        "response",
                        f"status {response.status_code}",
                        type(error).__name__,
                        "a response the operation documents",
                        f"{response.status_code} {response.content_type}",
                        str(error),
                    )
                )
        return found


def _malformed_media_parameter(content_type: str | None) -> str | None:
    for parameter in (content_type or "").split(";")[1:]:
        if parameter.count("=") != 1:
            return parameter.strip()
    return None


def _raw_body(request: Request) -> bytes:
    try:
        return request.get_data(cache=True)
    except HTTPException:  # refused as too large: openapi-core sees no body either
        return b""
