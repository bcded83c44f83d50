"""openapi-core, the validator of record, on the mock's messages: its errors turned into
violations that name the field, the rule, the expected and the actual value.

openapi-core is imported on first use, so that a mock that only ever sees messages the
compiled validator passes starts without it."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request, Response

from .spec import Contract
from .violations import RequestVerdict, Violation
from .wording import schema_violations, show

__all__ = ["OpenApiChecker"]


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
        return schema_violations(validator.iter_errors(instance), "body", None, schema_name)

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
                    show(request.content_type),
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
        """openapi-core's error as violations: the first translation that applies."""
        for kind, translate in _translations():
            if isinstance(error, kind):
                found = translate(error, operation_id, self.contract)
                if found is not None:
                    return found
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
                found.extend(schema_violations(schema_errors, "response", None, "response"))
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


Translation = Callable[[Any, str, Contract], list[Violation] | None]


@functools.cache
def _translations() -> tuple[tuple[type[Exception], Translation], ...]:
    """(openapi-core error class, its translation) in the order they are tried; a
    translation that returns None leaves the error to the next one."""
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

    return (
        (InvalidRequestBody, _invalid_body),
        (MissingRequestBodyError, _missing_body),
        (RequestBodyValidationError, _unsupported_media_type),
        (InvalidParameter, _invalid_parameter_schema),
        (MissingRequiredParameter, _missing_parameter),
        (ParameterValidationError, _invalid_parameter),
        (SecurityValidationError, _missing_credentials),
        (PathError, _unknown_path),
    )


def _invalid_body(error: Any, operation_id: str, _: Contract) -> list[Violation]:
    errors = getattr(error.__cause__, "schema_errors", ())
    return schema_violations(errors, "body", None, operation_id)


def _missing_body(error: Any, operation_id: str, contract: Contract) -> list[Violation]:
    required = contract.required_fields(operation_id) or ["body"]
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


def _unsupported_media_type(error: Any, _: str, __: Contract) -> list[Violation] | None:
    from openapi_core.templating.media_types.exceptions import MediaTypeNotFound

    cause = error.__cause__
    if not isinstance(cause, MediaTypeNotFound):
        return None
    return [
        Violation(
            "header",
            "Content-Type",
            "media-type",
            "application/json",
            show(cause.mimetype),
            f'Unsupported media type "{cause.mimetype}" in request; send the body '
            "as JSON with Content-Type: application/json.",
        )
    ]


def _invalid_parameter_schema(error: Any, operation_id: str, _: Contract) -> list[Violation] | None:
    errors = getattr(error.__cause__, "schema_errors", None)
    if not errors:
        return None
    return schema_violations(errors, error.location, error.name, operation_id)


def _missing_parameter(error: Any, _: str, __: Contract) -> list[Violation]:
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


def _invalid_parameter(error: Any, _: str, __: Contract) -> list[Violation]:
    cause = error.__cause__ or error
    return [
        Violation(
            error.location,
            error.name,
            "parameter",
            "a valid value",
            str(cause),
            f"Invalid {error.location} parameter {error.name!r}: {cause}.",
        )
    ]


def _missing_credentials(error: Any, _: str, __: Contract) -> list[Violation]:
    message = "Send both X-API-ID and X-API-KEY."
    return [
        Violation("header", "X-API-ID/X-API-KEY", "security", "both headers", "missing", message)
    ]


def _unknown_path(error: Any, _: str, __: Contract) -> list[Violation]:
    return [Violation("path", "path", "path", "a documented path", "", str(error))]
