"""A web page, a DNS rebinding or a wrong value cannot act on the admin API or poison the
mock: foreign Hosts and Origins and non-JSON bodies are refused before anything changes,
every admin value is checked with a 400 naming it, and the journal keeps no secret and no
client-sized value."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from conftest import BASE, Api, new_record
from flask import Flask

from mock_server import MockConfig, fingerprint
from mock_server.api.journal import Journal
from mock_server.api.state import state_of


@pytest.fixture
def api(make_app: Callable[..., Flask]) -> Api:
    return Api(make_app().test_client())


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"])
def test_the_mocks_own_names_reach_the_admin_api(api: Api, host: str) -> None:
    assert api.client.get("/__mock__/journal", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example"])
def test_a_foreign_host_is_refused_naming_the_fix(api: Api, host: str) -> None:
    refused = api.client.get("/__mock__/journal", headers={"Host": host})
    assert refused.status_code == 403
    detail = refused.get_json()["detail"]
    assert "Host" in detail and "--allow-host" in detail and host.split(":")[0] in detail


def test_an_allowed_host_or_the_admin_token_lets_a_name_in(
    make_app: Callable[..., Flask],
) -> None:
    allowed = make_app(MockConfig(allowed_hosts=("mock.internal:8000",))).test_client()
    assert allowed.get("/__mock__/health", headers={"Host": "mock.internal"}).status_code == 200
    tokened = make_app(MockConfig(admin_token="t0k")).test_client()
    headers = {"Host": "192.168.1.20:8000", "X-Mock-Admin-Token": "t0k"}
    assert tokened.get("/__mock__/health", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("headers", "data", "status"),
    [
        ({"Origin": "http://evil.example"}, None, 403),
        ({"Origin": "null"}, None, 403),
        ({"Content-Type": "text/plain"}, "{}", 415),
        ({"Content-Type": "application/x-www-form-urlencoded"}, "a=1", 415),
        ({"Content-Type": "multipart/form-data; boundary=x"}, "--x--", 415),
        # Another app's page on the same machine: a foreign origin, whatever its host name.
        ({"Host": "localhost:8000", "Origin": "http://localhost:9999"}, None, 403),
        ({"Host": "localhost:8000", "Origin": "http://127.0.0.1:8000"}, None, 403),
        ({"Host": "localhost:8000", "Origin": "http://localhost:8000"}, None, 200),  # its page
        ({"Host": "[::1]:8000", "Origin": "http://[::1]:8000"}, None, 200),
        ({"Host": "localhost", "Origin": "http://localhost:80"}, None, 200),
        ({}, None, 200),  # curl -X POST .../reset
        ({"Content-Type": "application/json"}, "{}", 200),
    ],
)
def test_a_cross_site_reset_is_refused_before_anything_changes(
    api: Api, headers: dict[str, str], data: str | None, status: int
) -> None:
    kept = new_record(api)
    answer = api.client.post("/__mock__/reset", headers=headers, data=data)
    assert answer.status_code == status, answer.get_json()
    assert api.get(kept).status_code == (404 if status == 200 else 200)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/__mock__/faults", {"status": "429"}, "status"),
        ("/__mock__/faults", {"status": 429.0}, "status"),
        ("/__mock__/faults", {"status": 500}, "status"),
        ("/__mock__/faults", {"retry_after": 1.5}, "retry_after"),
        ("/__mock__/faults", {"count": 0}, "count"),
        ("/__mock__/faults", {"count": 1001}, "count"),
        ("/__mock__/faults", {"operation": "nope"}, "operation"),
        ("/__mock__/outcomes", {"outcome": "maybe"}, "outcome"),
        ("/__mock__/outcomes", {"outcome": "image-failed", "count": True}, "count"),
    ],
)
def test_bad_admin_values_are_refused_by_name(
    api: Api, path: str, body: dict[str, Any], field: str
) -> None:
    refused = api.client.post(path, json=body)
    assert refused.status_code == 400
    assert refused.get_json()["detail"].startswith(f"{field}:")
    assert api.gen_image().status_code == 200  # nothing was poisoned


@pytest.mark.parametrize("seconds", [1e12, 1e308, float("nan"), float("inf"), -1, "soon", True])
def test_a_clock_advance_out_of_range_is_refused(
    make_app: Callable[..., Flask], seconds: Any
) -> None:
    # Flask's JSON provider writes NaN and Infinity as the bare words Python reads back.
    api = Api(make_app().test_client())
    refused = api.client.post("/__mock__/clock/advance", json={"seconds": seconds})
    assert refused.status_code == 400
    assert refused.get_json()["detail"].startswith("seconds:")
    assert api.gen_image().status_code == 200
    assert api.client.post("/__mock__/reset").status_code == 200
    assert api.gen_image().status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"post_status": 201.0},
        {"auth_failure_status": 403.0},
        {"post_status": True},
        {"empty_values": "none"},
        {"extra_keys": 1},
    ],
)
def test_a_variant_of_the_wrong_type_is_refused(api: Api, change: dict[str, Any]) -> None:
    refused = api.client.patch("/__mock__/variants", json=change)
    assert refused.status_code == 400
    assert refused.get_json()["detail"].startswith(next(iter(change)))
    assert api.gen_image().status_code == 200
    assert api.client.get(BASE, headers={"X-API-ID": "a"}).status_code == 401


@pytest.mark.parametrize("since", ["²", "-1", "1" * 5000, "1.5"])
def test_since_takes_a_plain_integer_only(api: Api, since: str) -> None:
    refused = api.client.get(f"/__mock__/journal?since={since}")
    assert refused.status_code == 400 and refused.get_json()["detail"].startswith("since:")


def test_a_control_refusing_a_value_is_a_value_error() -> None:
    from contract_tests import CreatifyMock

    with CreatifyMock(transport="respx") as mock:
        with pytest.raises(ValueError, match="phase: expected 'image' or 'video'"):
            mock.fail_next("audio")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="seconds"):
            mock.advance(-1)


def test_strict_mode_answers_a_wrong_method_405_not_500(make_app: Callable[..., Flask]) -> None:
    api = Api(make_app(MockConfig(strict=True)).test_client())
    assert api.client.get(BASE + "gen_image/", headers=api.headers).status_code == 405


def test_the_journal_keeps_a_fingerprint_of_the_key_and_cuts_long_values(api: Api) -> None:
    huge = "x" * 400_000
    api.client.get(BASE, headers={"X-API-ID": "a", "X-API-KEY": "s3cret", "Prefer": huge})
    (entry,) = state_of(api.client.application).journal.entries()
    headers = dict(entry.request_headers)
    assert headers["X-API-KEY"] == fingerprint("s3cret") != fingerprint("s3cret!")
    assert "s3cret" not in str(entry.as_dict())
    assert len(headers["Prefer"]) < 300 and headers["Prefer"].endswith("more]")


def test_the_journal_is_bounded_in_bytes_as_well_as_entries() -> None:
    journal = Journal(size=10_000, max_bytes=200_000)
    for n in range(2_500):
        journal.add(
            at=0.0,
            method="GET",
            path="/" + "p" * 100_000,
            query="q" * 100_000,
            operation=None,
            account=None,
            status=404,
            request_body=str(n) * 1000,
        )
    kept = journal.entries()
    assert 0 < len(kept) < 2_500 and kept[-1].seq == 2_500
    assert sum(len(e.path) + len(e.query) + len(e.request_body) for e in kept) <= 200_000


def test_records_are_capped_and_a_reset_makes_room(make_app: Callable[..., Flask]) -> None:
    api = Api(make_app(MockConfig(max_records=3)).test_client())
    made = [new_record(api) for _ in range(3)]
    refused = api.gen_image()
    assert refused.status_code == 503
    assert "at most 3 records" in refused.get_json()["detail"]
    assert "--max-records" in refused.get_json()["detail"]
    assert [api.get(r).status_code for r in made] == [200, 200, 200]  # nothing was lost
    assert api.client.post("/__mock__/reset").status_code == 200
    assert api.gen_image().status_code == 200
