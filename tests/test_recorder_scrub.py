"""The recording proxy keeps no secret: not in any encoded form, not in its log, and never
by garbling unrelated text. In process: the upstream is an app behind httpx's WSGI or mock
transport, the proxy is called through Flask's test client."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus, unquote, unquote_plus

import httpx
import pytest
from flask import Flask

from mock_server import Contract, ManualClock, MockConfig, create_app, create_replay_app
from mock_server.recordings.drift import check_path
from mock_server.recordings.har import HarFile
from mock_server.recordings.recorder import ScrubbingFormatter, create_recorder
from mock_server.recordings.scrub import SCRUBBED, Scrubber

BASE = "/api/product_to_videos/"
RECORD_ID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
# A --scrub value with what encodings change: a slash, a plus, a space, a quote, non-ASCII.
PROJECT = 'acme/internal project+1 "café"'
API_ID, API_KEY = "acct_7fQ2xK9mP4wL", "sk_live_51Hq8ZyX2c9vT0pQrStUvWx"


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _assert_kept_nowhere(secret: str, har: Path) -> None:
    """Neither as written nor once JSON-, percent- or form-decoded."""
    text = har.read_text(encoding="utf-8")
    assert secret not in text
    for string in _strings(json.loads(text)):
        for decoded in (string, unquote(string), unquote_plus(string)):
            assert secret not in decoded, string


def _lower_hex(text: str) -> str:
    """Percent-encoded with lower-case hex, as some clients write it."""
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(text, safe=""))


def _echo(request: httpx.Request) -> httpx.Response:
    """An upstream that echoes a secret back, escaped every way JSON allows."""
    escaped = json.dumps(PROJECT).replace("/", "\\/")
    unicode = json.dumps(PROJECT, ensure_ascii=True).replace("a", "\\u0061")
    body = f'{{"echo": {escaped}, "again": {unicode}, "note": "for {escaped[1:-1]}"}}'
    headers = {"Content-Type": "application/json", "Location": f"/x?p={quote(PROJECT)}"}
    return httpx.Response(200, content=body.encode(), headers=headers)


def _recorder(tmp_path: Path, contract: Contract, **options: Any) -> Flask:
    return create_recorder("http://upstream.test", tmp_path, contract=contract, **options)


def test_a_secret_is_scrubbed_in_every_encoded_form(tmp_path: Path, contract: Contract) -> None:
    recorder = _recorder(
        tmp_path, contract, scrub_values=(PROJECT,), transport=httpx.MockTransport(_echo)
    )
    body = json.dumps({"product_url": f"https://a.io/{PROJECT}.png"}).replace("/", "\\/")
    query = f"?p={quote(PROJECT, safe='')}&q={quote_plus(PROJECT)}&r={_lower_hex(PROJECT)}"
    answer = recorder.test_client().post(
        BASE + "gen_image/" + query,
        data=body,
        headers={"X-API-ID": API_ID, "X-API-KEY": API_KEY, "Content-Type": "application/json"},
    )
    assert answer.status_code == 200
    assert answer.get_json()["echo"] == PROJECT  # the client gets the upstream's answer as is
    (har,) = tmp_path.glob("*.har")
    for secret in (PROJECT, API_ID, API_KEY):
        _assert_kept_nowhere(secret, har)
    (entry,) = HarFile.load(har).entries
    assert entry["request"]["url"].endswith("?p=[scrubbed]&q=[scrubbed]&r=[scrubbed]")
    assert json.loads(entry["response"]["content"]["text"]) == {
        "echo": SCRUBBED,
        "again": SCRUBBED,
        "note": f"for {SCRUBBED}",
    }


def test_one_character_credentials_are_scrubbed_whole_and_garble_nothing(
    tmp_path: Path, contract: Contract
) -> None:
    upstream = create_app(MockConfig(), clock=ManualClock(start=1_748_603_465.0))
    recorder = _recorder(tmp_path, contract, transport=httpx.WSGITransport(app=upstream))
    client = recorder.test_client()
    headers = {"X-API-ID": "a", "X-API-KEY": "k"}
    body = {"product_url": "https://example.com/a/shoe.jpg", "image_prompt": "a"}
    created = client.post(BASE + "gen_image/", json=body, headers=headers)
    assert created.status_code == 200, created.text  # was 500: the HAR garbled, then read
    listed = client.get(BASE, query_string={"ids": created.get_json()["id"]}, headers=headers)
    assert listed.status_code == 200

    (har,) = tmp_path.glob("*.har")
    first, second = HarFile.load(har).entries
    request = first["request"]
    assert request["url"] == "https://api.creatify.ai" + BASE + "gen_image/"
    sent = {h["name"]: h["value"] for h in request["headers"]}
    assert (sent["X-Api-Id"], sent["X-Api-Key"]) == (SCRUBBED, SCRUBBED)
    assert sent["Content-Type"] == "application/json"
    assert json.loads(request["postData"]["text"]) == {**body, "image_prompt": SCRUBBED}
    answer = json.loads(first["response"]["content"]["text"])
    assert answer["product_url"] == "https://example.com/a/shoe.jpg"
    assert answer["image_prompt"] == SCRUBBED  # a whole JSON string that is the key
    assert second["request"]["queryString"] == [{"name": "ids", "value": answer["id"]}]
    assert "scrubbed]" not in har.read_text().replace(SCRUBBED, "")  # never inside itself
    assert check_path(har, contract) == (2, [])
    with httpx.Client(
        base_url="http://replay", transport=httpx.WSGITransport(app=create_replay_app(har))
    ) as replay:
        again = replay.post(BASE + "gen_image/", json=body, headers=headers)
    assert again.status_code == 200


S = SCRUBBED


@pytest.mark.parametrize(
    ("place", "text", "expected"),
    [
        ("header", "a", SCRUBBED),
        ("header", "application/json", "application/json"),
        ("header", "Mon, 02 Jun 2025 10:00:00 GMT", "Mon, 02 Jun 2025 10:00:00 GMT"),
        ("target", "/api/a/b/?a=a&ab=ba&x=a%20b", f"/api/{S}/b/?{S}={S}&ab=ba&x=a%20b"),
        ("target", "/x/?q=%61", f"/x/?q={S}"),
        ("body", '{"a": ["a", "aa", "a b"], "n": 1}', f'{{"{S}": ["{S}", "aa", "a b"], "n": 1}}'),
        ("body", '{"x": "\\u0061"}', '{"x": "[scrubbed]"}'),
        ("body", "a", SCRUBBED),
        ("body", "a cat", "a cat"),
        ("body", SCRUBBED, SCRUBBED),
    ],
)
def test_a_short_secret_is_scrubbed_only_where_it_is_a_whole_value(
    place: str, text: str, expected: str
) -> None:
    scrubber = Scrubber({"a"})
    scrub = {"header": scrubber.text, "target": scrubber.target, "body": scrubber.body}[place]
    assert scrub(text) == expected


def test_a_long_secret_is_scrubbed_inside_other_text_in_every_form() -> None:
    secret = "sk/live key+1"
    scrubber = Scrubber({secret})
    assert scrubber.text(f"Bearer {secret}") == f"Bearer {SCRUBBED}"
    assert scrubber.target(f"/x/?cb=https%3A%2F%2Fh%2F%3Fk%3D{quote(secret, safe='')}") == (
        f"/x/?cb=https%3A%2F%2Fh%2F%3Fk%3D{SCRUBBED}"
    )
    assert scrubber.target(f"/x/?k={_lower_hex(secret)}") == f"/x/?k={SCRUBBED}"
    assert scrubber.target(f"/x/?k=pre-{quote_plus(secret)}") == f"/x/?k=pre-{SCRUBBED}"
    escaped = json.dumps({"u": f"https://h/?k={secret}"}).replace("/", "\\/")
    assert json.loads(scrubber.body(escaped)) == {"u": f"https://h/?k={SCRUBBED}"}
    assert scrubber.body('{"n": 1234567890123}') == '{"n": 1234567890123}'
    assert json.loads(Scrubber({"12345678"}).body('{"n": 1234567890}')) == {"n": SCRUBBED}


def test_the_proxy_log_shows_no_secret(tmp_path: Path, contract: Contract) -> None:
    """Every line the record command logs goes through this formatter: httpx's line for
    each upstream call prints the full URL, with the --scrub value in its query."""
    app = _recorder(
        tmp_path,
        contract,
        scrub_values=(PROJECT,),
        transport=httpx.MockTransport(lambda request: httpx.Response(200, json=[])),
    )
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(ScrubbingFormatter(app.extensions["creatify_recorder"]))
    root, level = logging.getLogger(), logging.getLogger().level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        app.test_client().get(
            BASE + f"?ids={quote(PROJECT, safe='')}&key=k",
            headers={"X-API-ID": "i", "X-API-KEY": "k"},
        )
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    printed = stream.getvalue()
    assert "HTTP Request: GET http://upstream.test" in printed
    assert f"?ids={SCRUBBED}&key={SCRUBBED}" in printed
    for form in (PROJECT, quote(PROJECT, safe=""), "key=k"):
        assert form not in printed
