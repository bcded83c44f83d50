"""The hot path answers exactly as Flask's request cycle would.

Two seeded mocks on equal manual clocks, one with the hot path and one without, get the same
Hypothesis-drawn sequence of requests: valid and broken bodies, known, unknown and foreign
ids, follow-ups in right and wrong states, missing credentials, Prefer headers, queries,
HEAD, OPTIONS, other content types and clock moves. Every answer and every journal entry
must match.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from conftest import BASE, PRODUCT
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contract_tests import invalid_request_bodies, request_bodies
from mock_server import ManualClock, MockConfig, close_app, create_app
from mock_server.state import state_of

AUTH = {"X-API-ID": "alice", "X-API-KEY": "k"}
OTHER = {"X-API-ID": "bob", "X-API-KEY": "k"}
UNKNOWN = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
FOLLOW_UPS = ("gen_video", "regen_image", "regen_video")


def _apps() -> tuple[Flask, Flask]:
    start = 1_748_603_465.449603
    hot = create_app(MockConfig(seed=7), clock=ManualClock(start=start))
    plain = create_app(MockConfig(seed=7, hot_path=False), clock=ManualClock(start=start))
    return hot, plain


@st.composite
def steps(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(
        st.sampled_from(["create", "create-broken", "get", "follow-up", "list", "advance", "odd"])
    )
    headers = draw(st.sampled_from([AUTH, AUTH, AUTH, OTHER, {"X-API-ID": "alice"}]))
    step: dict[str, Any] = {"kind": kind, "headers": dict(headers)}
    if draw(st.integers(0, 5)) == 0:
        step["headers"]["Prefer"] = draw(
            st.sampled_from(["outcome=image-failed", "outcome=success", "outcome=nope"])
        )
    if kind == "create":
        step["body"] = draw(request_bodies("product_to_videos_gen_image"))
    elif kind == "create-broken":
        step["body"] = draw(invalid_request_bodies("product_to_videos_gen_image")).body
    elif kind in ("get", "follow-up"):
        step["which"] = draw(st.integers(0, 3))  # an index into the records made, or unknown
        step["action"] = draw(st.sampled_from(FOLLOW_UPS))
        step["body"] = draw(st.none() | request_bodies(f"product_to_videos_{step['action']}"))
    elif kind == "list":
        step["query"] = draw(st.sampled_from(["", "ids=" + UNKNOWN, "ids=nope"]))
    elif kind == "advance":
        step["seconds"] = draw(st.sampled_from([0.4, 1.0, 2.0, 5.0]))
    else:
        step["odd"] = draw(
            st.sampled_from(
                [
                    "head",
                    "options",
                    "form",
                    "no-slash",
                    "bad-json",
                    "put",
                    "newline",
                    "bare-semicolon",
                    "get-with-body",
                ]
            )
        )
    return step


def _send(app: Flask, step: dict[str, Any], made: list[str]) -> Any:
    client = app.test_client()
    headers = step["headers"]
    kind = step["kind"]
    if kind in ("create", "create-broken"):
        return client.post(BASE + "gen_image/", json=step["body"], headers=headers)
    if kind in ("get", "follow-up"):
        record_id = made[step["which"]] if step["which"] < len(made) else UNKNOWN
        if kind == "get":
            return client.get(f"{BASE}{record_id}/", headers=headers)
        path = f"{BASE}{record_id}/{step['action']}/"
        if step["body"] is None:
            return client.post(path, headers=headers)
        return client.post(path, json=step["body"], headers=headers)
    if kind == "list":
        return client.get(BASE, query_string=step["query"], headers=headers)
    if kind == "advance":
        clock = state_of(app).clock
        assert isinstance(clock, ManualClock)
        clock.advance(step["seconds"])
        return None
    odd = step["odd"]
    if odd == "head":
        return client.head(BASE, headers=headers)
    if odd == "options":
        return client.options(BASE + "gen_image/", headers=headers)
    if odd == "form":
        return client.post(BASE + "gen_image/", data={"product_url": PRODUCT}, headers=headers)
    if odd == "no-slash":
        return client.get(BASE.rstrip("/"), headers=headers)
    if odd == "bad-json":
        return client.post(
            BASE + "gen_image/", data="{", content_type="application/json", headers=headers
        )
    if odd == "newline":
        return client.post(BASE + "gen_image/%0A", json={"product_url": PRODUCT}, headers=headers)
    if odd == "bare-semicolon":
        return client.post(
            BASE + "gen_image/", data=json.dumps({"product_url": PRODUCT}),
            content_type="application/json;", headers=headers,
        )  # fmt: skip
    if odd == "get-with-body":
        return client.get(BASE, data="{", content_type="application/json", headers=headers)
    return client.put(BASE, headers=headers)


def _journal(app: Flask) -> list[dict[str, Any]]:
    return [e.as_dict() for e in state_of(app).journal.entries()]


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.lists(steps(), min_size=1, max_size=14))
def test_the_hot_path_answers_and_journals_as_flask_does(sequence: list[dict]) -> None:
    hot, plain = _apps()
    try:
        made: dict[str, list[str]] = {"hot": [], "plain": []}
        for step in sequence:
            answers = {}
            for name, app in (("hot", hot), ("plain", plain)):
                response = _send(app, step, made[name])
                if response is None:
                    continue
                body = response.get_data(as_text=True)
                answers[name] = (response.status_code, response.headers.get("Allow"), body)
                if step["kind"] in ("create", "follow-up") and response.status_code < 300:
                    made[name].append(json.loads(body)["id"])
            assert answers.get("hot") == answers.get("plain"), step
        assert _journal(hot) == _journal(plain)
        assert state_of(hot).errors == state_of(plain).errors == []
    finally:
        close_app(hot)
        close_app(plain)


def test_plain_calls_take_the_hot_path_and_the_rest_do_not() -> None:
    hot, _ = _apps()
    try:
        client = hot.test_client()
        created = client.post(BASE + "gen_image/", json={"product_url": PRODUCT}, headers=AUTH)
        client.get(f"{BASE}{created.get_json()['id']}/", headers=AUTH)
        client.get(BASE, headers=AUTH)
        assert hot.wsgi_app.answered == 3  # type: ignore[attr-defined]
        client.get(BASE, query_string="ids=" + UNKNOWN, headers=AUTH)  # a query
        client.get(BASE, headers={"X-API-ID": "alice"})  # no key
        client.post(BASE + "gen_image/", json={"product_url": "nope"}, headers=AUTH)
        client.get(f"{BASE}{UNKNOWN}/", headers=AUTH)  # 404 from the operation
        assert hot.wsgi_app.answered == 3  # type: ignore[attr-defined]
        assert len(state_of(hot).journal.entries()) == 7
    finally:
        close_app(hot)


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


def _call(app: Flask, environ: dict[str, Any]) -> tuple[str, bytes]:
    statuses: list[str] = []
    body = b"".join(app(environ, lambda status, headers: statuses.append(status)))
    return statuses[0], body


def test_a_body_shorter_than_its_content_length_is_400_on_both_paths() -> None:
    hot, plain = _apps()
    try:
        answers = []
        for app in (hot, plain):
            body = json.dumps({"product_url": PRODUCT}).encode()
            answers.append(_call(app, _post_environ(body, CONTENT_LENGTH="500")))
        assert answers[0] == answers[1]
        assert answers[0][0].startswith("400")
        assert state_of(hot).errors == []
    finally:
        close_app(hot)
        close_app(plain)


_JSON = json.dumps({"product_url": PRODUCT}).encode()


@pytest.mark.parametrize(
    ("body", "extra"),
    [
        (_JSON, {"CONTENT_LENGTH": "1" * 5000}),  # past int()'s 4,300 digits
        (_JSON, {"CONTENT_LENGTH": "0" * 30 + str(len(_JSON))}),
        (_JSON, {"CONTENT_LENGTH": str(len(_JSON) - 1), "wsgi.input_terminated": True}),
        (_JSON + b" x", {"CONTENT_LENGTH": str(len(_JSON)), "wsgi.input_terminated": True}),
        (_JSON, {"CONTENT_LENGTH": "0", "wsgi.input_terminated": True}),
        (_JSON, {"CONTENT_LENGTH": str(len(_JSON)), "wsgi.input_terminated": True}),
    ],
    ids=["5000 digits", "leading zeros", "terminated, longer", "terminated, trailing bytes",
         "terminated, length 0", "terminated, exact"],
)  # fmt: skip
def test_content_lengths_are_read_as_werkzeug_reads_them(
    body: bytes, extra: dict[str, Any]
) -> None:
    # Found in review: int() of 5,000 digits raised (a 500), and where the server framed
    # the body the hot path cut it at Content-Length while werkzeug reads it to the end.
    hot, plain = _apps()
    try:
        answers = [_call(app, _post_environ(body, **extra)) for app in (hot, plain)]
        assert answers[0] == answers[1]
        assert not answers[0][0].startswith("5")
        assert state_of(hot).errors == state_of(plain).errors == []
    finally:
        close_app(hot)
        close_app(plain)


def test_a_get_with_a_malformed_json_body_is_answered_alike() -> None:
    hot, plain = _apps()
    try:
        answers = [
            app.test_client()
            .get(BASE, data="{", content_type="application/json", headers=AUTH)
            .status_code
            for app in (hot, plain)
        ]
        assert answers[0] == answers[1]
    finally:
        close_app(hot)
        close_app(plain)


def test_paths_and_bodies_that_once_split_the_two_paths() -> None:
    # Found in review: "$" matched before a final newline, so the hot path answered
    # "/gen_image/%0A" (and made a record) where Flask answers 404; a body nested 1,000
    # deep raised RecursionError (a 500) on both paths.
    hot, plain = _apps()
    try:
        answers = []
        for app in (hot, plain):
            client = app.test_client()
            answers.append(
                [
                    client.post(BASE + "gen_image/%0A", json={"product_url": PRODUCT}, headers=AUTH)
                    .status_code,
                    client.get(BASE + "%0A", headers=AUTH).status_code,
                    client.post(
                        BASE + "gen_image/", data="[" * 1000 + "]" * 1000,
                        content_type="application/json", headers=AUTH,
                    ).status_code,
                ]
            )  # fmt: skip
            assert state_of(app).store.count() == 0
        assert answers[0] == answers[1] == [404, 404, 400]
        assert state_of(hot).errors == state_of(plain).errors == []
    finally:
        close_app(hot)
        close_app(plain)


def test_a_bug_on_the_hot_path_is_a_500_journaled_as_flask_journals_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hot, plain = _apps()
    try:
        entries = []
        for app in (hot, plain):
            monkeypatch.setattr(state_of(app), "render", _broken_render)
            response = app.test_client().post(
                BASE + "gen_image/", json={"product_url": PRODUCT}, headers=AUTH
            )
            assert response.status_code == 500
            assert "RuntimeError: a bug" in response.get_json()["detail"]
            entry = state_of(app).journal.entries()[-1].as_dict()
            entries.append({k: entry[k] for k in ("operation", "account", "status")})
            entries[-1]["response_rules"] = [v["rule"] for v in entry["response_violations"]]
        assert entries[0] == entries[1]
        assert entries[0]["operation"] == "product_to_videos_gen_image"
    finally:
        close_app(hot)
        close_app(plain)


def _broken_render(*_: Any) -> dict[str, Any]:
    raise RuntimeError("a bug")


@pytest.mark.parametrize("size", [60_000, 70_000])
def test_a_chunked_body_over_the_limit_is_413_not_cut_short(size: int) -> None:
    # A server that ends the stream itself (granian sets wsgi.input_terminated) lets
    # werkzeug cut a chunked body at the limit instead of refusing it.
    body = json.dumps({"product_url": PRODUCT}).encode()
    body += b" " * (size - len(body) - 7) + b"garbage"
    hot, plain = _apps()
    try:
        answers = []
        for app in (hot, plain):
            environ = _post_environ(body, HTTP_TRANSFER_ENCODING="chunked")
            environ["wsgi.input_terminated"] = True
            answers.append(_call(app, environ))
        assert answers[0] == answers[1]
        expected = "413" if size > 64 * 1024 else "400"  # "garbage" is not JSON either
        assert answers[0][0].startswith(expected), answers[0]
        assert state_of(hot).store.count() == 0
    finally:
        close_app(hot)
        close_app(plain)


def test_a_lone_surrogate_in_a_prompt_is_kept_on_both_paths() -> None:
    # Found in review: valid JSON ("\ud800") that orjson will not write made a 500.
    body = b'{"product_url": "https://example.com/p.jpg", "image_prompt": "\\ud800"}'
    hot, plain = _apps()
    try:
        for app in (hot, plain):
            client = app.test_client()
            made = client.post(
                BASE + "gen_image/", data=body, content_type="application/json", headers=AUTH
            )
            assert made.status_code == 200, made.get_json()
            again = client.get(BASE + made.get_json()["id"] + "/", headers=AUTH)
            assert again.get_json()["image_prompt"] == "\ud800"
            assert state_of(app).errors == []
    finally:
        close_app(hot)
        close_app(plain)
