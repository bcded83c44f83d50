"""The compiled validator and openapi-core give the same verdict.

Requests come from schemathesis (positive and negative data drawn from the spec), responses
from the `records` strategy and from records broken by Hypothesis. Where the compiled one says
VALID, openapi-core must pass the message and unmarshal the same values; where it says
INVALID, openapi-core must refuse it; UNDECIDED leaves the verdict to openapi-core alone.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from flask import Flask, request
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.core import NotSet

from contract_tests import records
from mock_server import Contract, ManualClock, close_app, create_app
from mock_server.api.state import state_of
from mock_server.contract.compiled import CompiledValidator
from mock_server.contract.validator import Validator
from mock_server.contract.violations import Verdict

UUID_TEXT = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
AUTH = {"X-API-ID": "k", "X-API-KEY": "s"}
EXAMPLES = settings(  # as many examples as the profile runs: 100 in make test, 10 in test-fast
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CONTRACT = Contract.load()
API = schemathesis.openapi.from_dict(copy.deepcopy(CONTRACT.document))
OPERATIONS = sorted(CONTRACT.operations)


@pytest.fixture(scope="module")
def app() -> Iterator[Flask]:
    app = create_app(clock=ManualClock())
    yield app
    close_app(app)


@pytest.fixture(scope="module")
def validator(app: Flask) -> Validator:
    validator = state_of(app).validator
    assert validator.compiled is not None
    assert validator.compiled.not_compiled == {}, "every operation of the spec is compiled"
    return validator


def judge(
    app: Flask,
    validator: Validator,
    operation_id: str,
    path: str,
    *,
    query: Any = None,
    headers: dict[str, str] | None = None,
    data: bytes = b"",
    content_type: str | None = None,
) -> Verdict | None:
    """Both verdicts on one request, held to agree; returns the compiled validator's."""
    method = CONTRACT.operations[operation_id][0]
    with app.test_request_context(
        path,
        method=method,
        query_string=query,
        headers=headers or {},
        data=data,
        content_type=content_type,
    ):
        if CONTRACT.operation_for(method, request.path) != operation_id:
            return None  # the pipeline routes this path elsewhere: no operation to judge
        fast = validator.check_request(request, operation_id, only="compiled")
        core = validator.check_request(request, operation_id, only="openapi")
    if fast.verdict is Verdict.VALID:
        assert core.violations == [], f"compiled passed what openapi-core refuses: {fast}"
        assert (fast.path, fast.query) == (core.path, core.query)
        assert (fast.body if isinstance(fast.body, dict) else None) == core.body
    elif fast.verdict is Verdict.INVALID:
        assert core.violations, f"compiled refused what openapi-core passes ({fast.reason})"
    return fast.verdict


def _json_body(body: Any) -> bytes | None:
    if isinstance(body, NotSet):
        return b""
    try:
        return json.dumps(body, allow_nan=False).encode()
    except (TypeError, ValueError):
        return None


def _cases(operation_id: str, mode: GenerationMode) -> st.SearchStrategy[Any]:
    method, template = CONTRACT.operations[operation_id]
    return API[template][method.lower()].as_strategy(generation_mode=mode)


def _judge_case(app: Flask, validator: Validator, operation_id: str, case: Any, auth: bool) -> Any:
    data = _json_body(case.body)
    assume(data is not None)
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "content-type"}
    if auth:
        headers.update(AUTH)
    outcome = judge(
        app,
        validator,
        operation_id,
        case.formatted_path,
        query=case.query or None,
        headers=headers,
        data=data or b"",
        content_type=case.media_type if data else None,
    )
    assume(outcome is not None)
    return outcome


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_valid_requests_pass_both_and_the_fast_path_decides_them(
    app: Flask, validator: Validator, operation_id: str
) -> None:
    @EXAMPLES
    @given(case=_cases(operation_id, GenerationMode.POSITIVE))
    def check(case: Any) -> None:
        # Valid data, so the compiled validator must pass it itself: that is where the speed is.
        assert _judge_case(app, validator, operation_id, case, auth=True) is Verdict.VALID

    check()


@pytest.mark.parametrize("operation_id", OPERATIONS)
def test_invalid_requests_get_the_same_verdict(
    app: Flask, validator: Validator, operation_id: str
) -> None:
    @EXAMPLES
    @given(case=_cases(operation_id, GenerationMode.NEGATIVE), auth=st.booleans())
    def check(case: Any, auth: bool) -> None:
        _judge_case(app, validator, operation_id, case, auth)

    check()


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/json", Verdict.VALID),
        ("application/json; charset=utf-8", Verdict.VALID),
        ("Application/JSON", Verdict.VALID),
        ("application/json; charset=latin-1", Verdict.UNDECIDED),
        ("application/json;", Verdict.UNDECIDED),
        (" application/json", Verdict.UNDECIDED),
        ("application/json; foo", Verdict.UNDECIDED),
        ("text/plain", Verdict.UNDECIDED),
        ("application/vnd.api+json", Verdict.UNDECIDED),
    ],
)
def test_content_types(
    app: Flask, validator: Validator, content_type: str, expected: Verdict
) -> None:
    body = json.dumps({"product_url": "https://example.com/a.png"}).encode()
    outcome = judge(
        app,
        validator,
        "product_to_videos_gen_image",
        "/api/product_to_videos/gen_image/",
        headers=AUTH,
        data=body,
        content_type=content_type,
    )
    assert outcome is expected


TRICKY_IDS = [
    UUID_TEXT,
    UUID_TEXT.upper(),
    "{" + UUID_TEXT + "}",
    "urn:uuid:" + UUID_TEXT,
    UUID_TEXT.replace("-", ""),
    UUID_TEXT + "0",
    UUID_TEXT[:-1] + "g",
    "not-a-uuid",
    "%20",
]


@pytest.mark.parametrize("record_id", TRICKY_IDS)
def test_path_ids(app: Flask, validator: Validator, record_id: str) -> None:
    assert judge(
        app,
        validator,
        "product_to_videos_retrieve",
        f"/api/product_to_videos/{record_id}/",
        headers=AUTH,
    )


@pytest.mark.parametrize(
    "query",
    [
        f"ids={UUID_TEXT}",
        f"ids={UUID_TEXT},{UUID_TEXT.upper()}",
        "ids=",
        "ids",
        f"ids={UUID_TEXT}&ids=zz",
        f"ids=zz&ids={UUID_TEXT}",
        f"ids={UUID_TEXT},",
        "ids=" + ",".join([UUID_TEXT] * 100),
        "ids=" + ",".join([UUID_TEXT] * 101),
        "other=1",
    ],
)
def test_list_queries(app: Flask, validator: Validator, query: str) -> None:
    assert judge(
        app,
        validator,
        "product_to_videos_list",
        "/api/product_to_videos/",
        query=query,
        headers=AUTH,
    )


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (AUTH, Verdict.VALID),
        ({"X-API-ID": "k"}, Verdict.INVALID),
        ({"X-API-KEY": "s"}, Verdict.INVALID),
        ({}, Verdict.INVALID),
        ({"x-api-id": "k", "x-api-key": "s"}, Verdict.VALID),
    ],
)
def test_security_headers(
    app: Flask, validator: Validator, headers: dict[str, str], expected: Verdict
) -> None:
    path = f"/api/product_to_videos/{UUID_TEXT}/"
    outcome = judge(app, validator, "product_to_videos_retrieve", path, headers=headers)
    assert outcome is expected


@pytest.mark.parametrize(
    "raw",
    [
        '{"product_url": "http://\\u001cexample.com"}',
        '{"product_url": "http://\\u00a0example.com"}',
        '{"product_url": "HTTPS://EXAMPLE.COM/A"}',
        '{"product_url": "https://example.com/' + "a" * 181 + '"}',
        '{"product_url": "https://example.com/' + "a" * 182 + '"}',
        '{"product_url": "mailto:a@example.com"}',
        '{"product_url": "https://example.com", "aspect_ratio": NaN}',
        '{"product_url": "https://example.com", "image_prompt": ' + "9" * 40 + "}",
        '{"product_url": "https://example.com", "override_avatar": "' + UUID_TEXT.upper() + '"}',
        '{"product_url": "https://example.com", "override_avatar": null}',
        '{"product_url": "https://example.com", "webhook_url": null, "type": "product_avatar"}',
        '{"product_url": "https://example.com", "nested": ' + "[" * 300 + "]" * 300 + "}",
        "[]",
        '"text"',
        "null",
    ],
)
def test_edge_bodies(app: Flask, validator: Validator, raw: str) -> None:
    assert judge(
        app,
        validator,
        "product_to_videos_gen_image",
        "/api/product_to_videos/gen_image/",
        headers=AUTH,
        data=raw.encode(),
        content_type="application/json",
    )


def test_follow_ups_without_a_body(app: Flask, validator: Validator) -> None:
    for operation_id in OPERATIONS:
        method, template = CONTRACT.operations[operation_id]
        if method != "POST" or "{id}" not in template:
            continue
        path = template.replace("{id}", UUID_TEXT)
        assert judge(app, validator, operation_id, path, headers=AUTH) is Verdict.VALID
    outcome = judge(
        app,
        validator,
        "product_to_videos_gen_image",
        "/api/product_to_videos/gen_image/",
        headers=AUTH,
    )
    assert outcome is Verdict.INVALID  # gen_image requires its body


# -- responses ----------------------------------------------------------------------------

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=6,
)
TRICKY_STRINGS = st.sampled_from(
    [
        "",
        "not-a-uuid",
        UUID_TEXT,
        UUID_TEXT.upper(),
        "urn:uuid:" + UUID_TEXT,
        "https://cdn.example.com/a.mp4",
        "http://",
        "ftp://example.com/x",
        "relative/path",
        "https://exa mple.com",
        "2025-05-30T04:11:05.449603-07:00",
        "2025-05-30T04:11:05Z",
        "2025-05-30 04:11:05",
        "2025-13-30T04:11:05Z",
        "image_generated",
        "regen_video",
        "talking",
        "9x16",
    ]
)


@st.composite
def broken_records(draw: st.DrawFn) -> dict[str, Any]:
    record = dict(draw(records(extra_keys=draw(st.booleans()))))
    key = draw(st.sampled_from(sorted(record)))
    how = draw(st.sampled_from(["keep", "delete", "json", "string"]))
    if how == "delete":
        del record[key]
    elif how == "json":
        record[key] = draw(JSON)
    elif how == "string":
        record[key] = draw(TRICKY_STRINGS | st.text(max_size=5))
    return record


def judge_response(
    app: Flask,
    validator: Validator,
    operation_id: str,
    status: int,
    payload: Any,
    headers: dict[str, str] | None = None,
) -> Verdict:
    method, template = CONTRACT.operations[operation_id]
    path = template.replace("{id}", UUID_TEXT)
    with app.test_request_context(path, method=method, headers=AUTH):
        response = app.response_class(
            json.dumps(payload), status=status, mimetype="application/json", headers=headers
        )
        assert validator.compiled is not None
        fast = validator.compiled.check_response(
            operation_id,
            status=status,
            content_type=response.content_type,
            headers=response.headers,
            body=response.get_data(),
        )
        given_data = validator.compiled.check_response(  # as the pipeline's Reply asks
            operation_id,
            status=status,
            content_type=response.content_type,
            headers=response.headers,
            body=response.get_data(),
            parsed=payload,
        )
        core = validator.check_response(request, response, operation_id, only="openapi")
    assert given_data is fast, f"the data and its JSON got different verdicts: {payload}"
    if fast is Verdict.VALID:
        assert core == [], f"compiled passed a response openapi-core refuses: {payload}"
    elif fast is Verdict.INVALID:
        assert core, f"the compiled validator refused a response openapi-core passes: {payload}"
    return fast


@EXAMPLES
@given(
    record=broken_records(),
    operation_id=st.sampled_from(OPERATIONS),
    status=st.sampled_from([200, 201]),
)
def test_records_in_responses_get_the_same_verdict(
    app: Flask, validator: Validator, record: dict[str, Any], operation_id: str, status: int
) -> None:
    payload: Any = [record] if operation_id == "product_to_videos_list" else record
    judge_response(app, validator, operation_id, status, payload)


@EXAMPLES
@given(record=records(), operation_id=st.sampled_from(OPERATIONS))
def test_valid_records_are_passed_by_the_fast_path(
    app: Flask, validator: Validator, record: dict[str, Any], operation_id: str
) -> None:
    payload: Any = [record] if operation_id == "product_to_videos_list" else record
    assert judge_response(app, validator, operation_id, 200, payload) is Verdict.VALID


@EXAMPLES
@given(
    operation_id=st.sampled_from(OPERATIONS),
    status=st.sampled_from([400, 401, 403, 404, 413, 415, 429, 503]),
    payload=st.one_of(
        st.fixed_dictionaries({"detail": st.text(max_size=5)}),
        st.dictionaries(st.text(max_size=5), st.lists(st.text(max_size=5), max_size=2)),
        JSON,
    ),
    retry_after=st.none() | st.sampled_from(["0", "5", "007", "-1", "1.5", "soon", "", " 5"]),
)
def test_error_responses_get_the_same_verdict(
    app: Flask,
    validator: Validator,
    operation_id: str,
    status: int,
    payload: Any,
    retry_after: str | None,
) -> None:
    headers = {"Retry-After": retry_after} if retry_after is not None else None
    judge_response(app, validator, operation_id, status, payload, headers)


def test_a_spec_construct_the_fast_path_does_not_model_is_left_to_openapi_core() -> None:
    document = copy.deepcopy(CONTRACT.document)
    document["paths"]["/api/product_to_videos/"]["get"]["parameters"].append(
        {"name": "page", "in": "query", "schema": {"type": "integer"}}
    )
    fast = CompiledValidator(document)
    assert "integer" in fast.not_compiled["product_to_videos_list"]
    verdict = fast.check_request(
        "product_to_videos_list",
        path_args={},
        query={},
        headers=AUTH,
        content_type=None,
        body=b"",
    )
    assert verdict.verdict is Verdict.UNDECIDED


FORMAT_SAMPLES = st.one_of(
    st.text(max_size=40),
    st.uuids().map(str),
    st.uuids().map(lambda u: str(u).upper()),
    st.uuids().map(lambda u: u.hex),
    st.uuids().map(lambda u: "{" + str(u) + "}"),
    st.uuids().map(lambda u: "urn:uuid:" + str(u)),
    st.datetimes().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat() + "Z"),
    st.datetimes().map(lambda d: d.isoformat().lower() + "z"),
    st.from_regex(r"\Ahttps?://[a-z0-9.\-]{0,12}(:[0-9]{1,5})?(/[ -~]{0,12})?\Z"),
    TRICKY_STRINGS,
)


@settings(max_examples=400, deadline=None, database=None)
@given(value=FORMAT_SAMPLES, name=st.sampled_from(["uuid", "uri", "date-time"]))
def test_format_checks_mean_what_openapi_cores_do(value: str, name: str) -> None:
    from openapi_schema_validator import oas31_format_checker

    from mock_server.contract.formats import format_checks

    ours = format_checks({name})[name](value)
    assert ours == oas31_format_checker.conforms(value, name), (name, value)
