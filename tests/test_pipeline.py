"""The one door of the API, tried with the requests that once split the mock's two doors:
odd Content-Lengths, server-framed bodies, a path with a final newline, deep nesting, a bug
inside an operation. Each gets the answer werkzeug's reading of the request implies, and
nothing reaches the store that should not."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import BASE, PRODUCT
from flask import Flask

from mock_server import ManualClock, MockConfig, close_app, create_app
from mock_server.api.state import state_of

AUTH = {"X-API-ID": "alice", "X-API-KEY": "k"}
_JSON = json.dumps({"product_url": PRODUCT}).encode()


@pytest.fixture
def app() -> Iterator[Flask]:
    made = create_app(MockConfig(seed=7), clock=ManualClock(start=1_748_603_465.449603))
    yield made
    close_app(made)


def _post_environ(body: bytes, **extra: Any) -> dict[str, Any]:
    """A raw WSGI POST to gen_image, for what the test client will not send."""
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": BASE + "gen_image/",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": io.StringIO(),
        "CONTENT_TYPE": "application/json",
        "HTTP_X_API_ID": "alice",
        "HTTP_X_API_KEY": "k",
        **extra,
    }


def _call(app: Flask, environ: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> Any:
        statuses.append(status)

    body = b"".join(app(environ, start_response))
    return int(statuses[0].split()[0]), json.loads(body)


def test_a_body_shorter_than_its_content_length_is_400_and_no_bug(app: Flask) -> None:
    status, _ = _call(app, _post_environ(_JSON, CONTENT_LENGTH="500"))
    assert status == 400
    assert not state_of(app).errors
    assert state_of(app).store.count() == 0


@pytest.mark.parametrize(
    ("body", "extra", "expected"),
    [
        # werkzeug reads a Content-Length it cannot parse as none: no body, a missing field
        (_JSON, {"CONTENT_LENGTH": "1" * 5000}, 400),
        (_JSON, {"CONTENT_LENGTH": "0" * 30 + str(len(_JSON))}, 200),
        # a server-framed body is read to its end, whatever Content-Length says
        (_JSON, {"CONTENT_LENGTH": str(len(_JSON) - 1), "wsgi.input_terminated": True}, 200),
        (_JSON + b" x", {"CONTENT_LENGTH": str(len(_JSON)), "wsgi.input_terminated": True}, 400),
        (_JSON, {"CONTENT_LENGTH": "0", "wsgi.input_terminated": True}, 200),
        (_JSON, {"CONTENT_LENGTH": str(len(_JSON)), "wsgi.input_terminated": True}, 200),
    ],
    ids=[
        "5000 digits",
        "leading zeros",
        "terminated, longer",
        "terminated, trailing bytes",
        "terminated, length 0",
        "terminated, exact",
    ],
)
def test_content_lengths_are_read_as_werkzeug_reads_them(
    app: Flask, body: bytes, extra: dict[str, Any], expected: int
) -> None:
    status, answer = _call(app, _post_environ(body, **extra))
    assert status == expected, answer
    assert not state_of(app).errors
    assert state_of(app).store.count() == (1 if expected == 200 else 0)


def test_a_body_sent_to_an_operation_that_takes_none_is_ignored(app: Flask) -> None:
    client = app.test_client()
    for body in ("{", '{"a": 1}'):
        answer = client.get(BASE, data=body, content_type="application/json", headers=AUTH)
        assert answer.status_code == 200
    entries = state_of(app).journal.entries()
    assert [e.response_violations for e in entries] == [(), ()]


def test_a_final_newline_or_deep_nesting_is_refused_without_a_record(app: Flask) -> None:
    # "$" matches before a final newline ("/gen_image/%0A"); a body nested 1,000 deep
    # raises RecursionError in json.loads.
    client = app.test_client()
    newline = client.post(BASE + "gen_image/%0A", json={"product_url": PRODUCT}, headers=AUTH)
    listed = client.get(BASE + "%0A", headers=AUTH)
    deep = client.post(
        BASE + "gen_image/",
        data="[" * 1000 + "]" * 1000,
        content_type="application/json",
        headers=AUTH,
    )
    assert [newline.status_code, listed.status_code, deep.status_code] == [404, 404, 400]
    assert state_of(app).store.count() == 0
    assert not state_of(app).errors


def _post_with_a_bug(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Any:
    """POST gen_image to `app` with its rendering broken; the answer must name the bug."""

    def broken(*_: Any) -> dict[str, Any]:
        raise RuntimeError("a bug")

    monkeypatch.setattr(state_of(app), "render", broken)
    response = app.test_client().post(
        BASE + "gen_image/", json={"product_url": PRODUCT}, headers=AUTH
    )
    assert response.status_code == 500
    assert "RuntimeError: a bug" in response.get_json()["detail"]
    return response


def test_a_bug_in_an_operation_is_a_500_journaled_with_its_operation(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    _post_with_a_bug(app, monkeypatch)
    entry = state_of(app).journal.entries()[-1]
    assert (entry.operation, entry.account, entry.status) == (
        "product_to_videos_gen_image",
        "alice",
        500,
    )
    assert [type(e).__name__ for e in state_of(app).errors] == ["RuntimeError"]


@pytest.mark.parametrize("size", [60_000, 70_000])
def test_a_chunked_body_over_the_limit_is_413_not_cut_short(app: Flask, size: int) -> None:
    # A server that ends the stream itself (one that sets wsgi.input_terminated) lets
    # werkzeug cut a chunked body at the limit instead of refusing it.
    body = _JSON + b" " * (size - len(_JSON) - 7) + b"garbage"
    environ = _post_environ(body, HTTP_TRANSFER_ENCODING="chunked")
    environ["wsgi.input_terminated"] = True
    status, answer = _call(app, environ)
    assert status == (413 if size > 64 * 1024 else 400), answer  # "garbage" is not JSON
    if status == 413:
        assert "expected at most 65536 bytes; got a longer chunked body" in answer["detail"]
    assert state_of(app).store.count() == 0


def test_a_lone_surrogate_in_a_prompt_is_kept(app: Flask) -> None:
    # Valid JSON ("\ud800") that orjson will not write once made a 500.
    body = b'{"product_url": "https://example.com/p.jpg", "image_prompt": "\\ud800"}'
    client = app.test_client()
    made = client.post(
        BASE + "gen_image/", data=body, content_type="application/json", headers=AUTH
    )
    assert made.status_code == 200, made.get_json()
    again = client.get(BASE + made.get_json()["id"] + "/", headers=AUTH)
    assert again.get_json()["image_prompt"] == "\ud800"
    assert not state_of(app).errors


def test_every_refusal_goes_through_the_pipeline_and_is_journaled(app: Flask) -> None:
    client = app.test_client()
    answers = [
        client.open(BASE, method="OPTIONS"),
        client.head(BASE, headers=AUTH),
        client.get(BASE + "gen_image/", headers=AUTH),
        client.delete(BASE, headers=AUTH),
        client.get("/api/product_to_videos", headers=AUTH),
        client.get(BASE, headers={"X-API-ID": "alice"}),
    ]
    assert [a.status_code for a in answers] == [200, 200, 405, 405, 404, 401]
    assert answers[0].headers["Allow"] == "GET, HEAD, OPTIONS"
    assert answers[1].data == b"" and int(answers[1].headers["Content-Length"]) > 0
    assert answers[2].headers["Allow"] == "POST, OPTIONS"
    assert "did you mean /api/product_to_videos/?" in answers[4].get_json()["detail"]
    rules = [
        (e.method, e.operation, [v.rule for v in e.violations])
        for e in state_of(app).journal.entries()
    ]
    assert rules == [
        ("OPTIONS", None, []),
        ("HEAD", "product_to_videos_list", []),
        ("GET", None, ["method"]),
        ("DELETE", None, ["method"]),
        ("GET", None, ["path"]),
        ("GET", "product_to_videos_list", ["security"]),
    ]
    assert all(not e.response_violations for e in state_of(app).journal.entries())


def test_admin_paths_are_flasks_and_never_journaled(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/__mock__/health").status_code == 200
    missing = client.get("/__mock__/nope")
    assert missing.status_code == 404 and "detail" in missing.get_json()
    assert state_of(app).journal.entries() == []


class _Endless(io.RawIOBase):
    """A request stream that never ends, counting what was read of it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self.read_bytes += len(buffer)
        buffer[:] = b"x" * len(buffer)
        return len(buffer)


def test_a_get_declaring_a_huge_body_is_413_without_reading_it(app: Flask) -> None:
    # Found in review: the response check's openapi-core adapter once read the whole
    # declared body of a refused request.
    stream = _Endless()
    environ = _post_environ(b"", CONTENT_LENGTH=str(200 * 1024 * 1024))
    environ.update(REQUEST_METHOD="GET", PATH_INFO=BASE, **{"wsgi.input": stream})
    status, answer = _call(app, environ)
    assert status == 413, answer
    assert stream.read_bytes == 0


def test_a_refused_requests_body_is_journaled_for_its_curl_line(app: Flask) -> None:
    client = app.test_client()
    refused = client.post(
        BASE + "gen_image/", json={"product_url": PRODUCT}, headers={"X-API-ID": "a"}
    )
    assert refused.status_code == 401
    (entry,) = state_of(app).journal.entries()
    assert json.loads(entry.request_body) == {"product_url": PRODUCT}


def test_the_admin_api_refuses_a_body_past_the_limit(app: Flask) -> None:
    answer = app.test_client().post(
        "/__mock__/outcomes", data="{" + " " * 200_000 + "}", content_type="application/json"
    )
    assert answer.status_code == 413


def test_a_method_in_lower_case_is_read_in_capitals(app: Flask) -> None:
    environ = _post_environ(_JSON, CONTENT_LENGTH=str(len(_JSON)), REQUEST_METHOD="post")
    status, answer = _call(app, environ)
    assert status == 200 and answer["status"] == "initializing"
    assert state_of(app).journal.entries()[-1].method == "POST"


def test_a_doubled_slash_still_reaches_the_admin_api(app: Flask) -> None:
    environ = _post_environ(b"", REQUEST_METHOD="GET", PATH_INFO="//__mock__/health")
    statuses: list[str] = []

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> Any:
        statuses.append(status)

    b"".join(app(environ, start_response))
    assert not statuses[0].startswith("404")  # Flask's answer (a redirect), not an API 404
    assert state_of(app).journal.entries() == []


def test_a_bug_at_the_end_of_an_exchange_is_a_500_naming_it(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**_: Any) -> None:
        raise RuntimeError("the journal broke")

    monkeypatch.setattr(state_of(app).journal, "add", broken)
    answer = app.test_client().get(BASE, headers=AUTH)
    assert answer.status_code == 500
    assert "RuntimeError: the journal broke" in answer.get_json()["detail"]
    assert [str(e) for e in state_of(app).errors] == ["the journal broke"]


def test_strict_mode_names_the_bug_rather_than_the_contract(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    strict = create_app(MockConfig(strict=True), clock=ManualClock())
    try:
        _post_with_a_bug(strict, monkeypatch)
    finally:
        close_app(strict)
