"""Both headers on every operation, and one account never sees another's records."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BASE, Api, image_ready, new_record, video_ready
from flask import Flask

from mock_server import Controls, Credentials, ManualClock, MockConfig, Variants
from mock_server.api.state import state_of

OPERATIONS = [
    ("get", BASE),
    ("get", BASE + "{id}/"),
    ("post", BASE + "gen_image/"),
    ("post", BASE + "{id}/gen_video/"),
    ("post", BASE + "{id}/regen_image/"),
    ("post", BASE + "{id}/regen_video/"),
]


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
@pytest.mark.parametrize(
    ("headers", "named", "state"),
    [
        ({"X-API-ID": "a"}, "X-API-KEY", "missing"),
        ({"X-API-KEY": "k"}, "X-API-ID", "missing"),
        ({"X-API-ID": "a", "X-API-KEY": ""}, "X-API-KEY", "empty"),
        ({"X-API-ID": " ", "X-API-KEY": "k"}, "X-API-ID", "empty"),
        ({}, "X-API-ID", "missing"),
    ],
)
def test_every_operation_needs_both_headers(
    api: Api, method: str, path: str, headers: dict[str, str], named: str, state: str
) -> None:
    record_id = new_record(api)
    call = getattr(api.client, method)
    kwargs = {"json": {"product_url": "https://example.com/a.png"}} if method == "post" else {}
    response = call(path.format(id=record_id), headers=headers, **kwargs)
    assert response.status_code == 401
    detail = response.get_json()["detail"]
    assert f"the {named} header is {state}" in detail
    assert len(api.list_records().get_json()) == 1  # nothing was created


def test_auth_failures_can_be_403(make_app: Callable[..., Flask]) -> None:
    app = make_app(MockConfig(variants=Variants(auth_failure_status=403)))
    response = app.test_client().get(BASE, headers={"X-API-ID": "a"})
    assert response.status_code == 403
    assert "X-API-KEY" in response.get_json()["detail"]


@pytest.fixture
def locked_app(make_app: Callable[..., Flask]) -> Flask:
    return make_app(MockConfig(credentials=(Credentials("team-id", "team-key"),)))


def test_configured_credentials_accept_only_their_pair(locked_app: Flask) -> None:
    client = locked_app.test_client()
    good = client.get(BASE, headers={"X-API-ID": "team-id", "X-API-KEY": "team-key"})
    assert good.status_code == 200
    bad = client.get(BASE, headers={"X-API-ID": "team-id", "X-API-KEY": "guess"})
    assert bad.status_code == 401
    detail = bad.get_json()["detail"]
    assert detail.startswith("Incorrect authentication credentials")
    assert "This mock accepts X-API-ID 'team-id' with its key only" in detail
    assert "the pair shown in creatify-mock's banner" in detail
    assert state_of(locked_app).journal.entries()[-1].violations == ()  # wrong, not broken


def test_a_swapped_pair_is_named_as_such_and_journaled(locked_app: Flask) -> None:
    swapped = locked_app.test_client().get(
        BASE, headers={"X-API-ID": "team-key", "X-API-KEY": "team-id"}
    )
    assert swapped.status_code == 401
    assert "X-API-ID and X-API-KEY are swapped" in swapped.get_json()["detail"]
    (violation,) = state_of(locked_app).journal.entries()[-1].violations
    assert (violation.field, violation.rule) == ("X-API-ID", "credentials")


def test_any_pair_can_be_accepted_until_a_reset(locked_app: Flask) -> None:
    controls, client = Controls.of(locked_app), locked_app.test_client()
    anyone = {"X-API-ID": "me", "X-API-KEY": "mine"}
    controls.accept_any_credentials()
    assert client.get(BASE, headers=anyone).status_code == 200
    controls.reset()
    assert client.get(BASE, headers=anyone).status_code == 401


def test_records_are_private_to_their_account(api: Api, clock: ManualClock) -> None:
    other = api.as_account("account-b")
    image_id = image_ready(api, clock)
    video_id = video_ready(api, clock)
    unknown = str(uuid.uuid4())
    for record_id in (image_id, video_id):
        foreign, missing = other.get(record_id), other.get(unknown)
        assert (foreign.status_code, foreign.get_json()) == (404, missing.get_json())
        for action in ("gen_video", "regen_image", "regen_video"):
            foreign = other.follow_up(action, record_id)
            missing = other.follow_up(action, unknown)
            assert (foreign.status_code, foreign.get_json()) == (404, missing.get_json())
    assert other.list_records().get_json() == []
    assert other.list_records([image_id, video_id]).get_json() == []
    assert {r["id"] for r in api.list_records().get_json()} == {image_id, video_id}
    assert api.status(image_id) == "image_generated"  # the foreign calls changed nothing


def test_a_key_outside_ascii_is_refused_not_a_500(locked_app: Flask) -> None:
    # Found in review: hmac.compare_digest raises TypeError on non-ASCII text.
    client = locked_app.test_client()
    bad = client.get(BASE, headers={"X-API-ID": "team-id", "X-API-KEY": "k\xe9y"})
    assert bad.status_code == 401
    assert not state_of(locked_app).errors


SWAPPING_CLIENT = """
import os, httpx
headers = {"X-API-ID": os.environ["CREATIFY_API_KEY"], "X-API-KEY": os.environ["CREATIFY_API_ID"]}
answer = httpx.get(os.environ["CREATIFY_API_BASE_URL"] + "/api/product_to_videos/", headers=headers)
raise SystemExit(0 if answer.status_code == 200 else 3)
"""


@pytest.mark.slow
def test_verify_client_names_a_swapped_pair(tmp_path: Path) -> None:
    from contract_tests.harness import BASE_SCENARIOS, ClientHarness

    client = tmp_path / "swapping_client.py"
    client.write_text(SWAPPING_CLIENT)
    success = next(s for s in BASE_SCENARIOS if s.name == "success")
    result = ClientHarness([sys.executable, str(client)], timeout=30).run(success)
    swapped = [f for f in result.findings if f.rule == "credentials"]
    assert swapped, [str(f) for f in result.findings]
    assert "X-API-ID and X-API-KEY are swapped" in str(swapped[0])
