"""Per-test record and replay: record once against a local upstream, replay offline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from contract_tests import CREATIFY_URL, Cassette, CassetteMissing, RecordMode
from mock_server import ManualClock, MockConfig, MockServer, create_app

API_ID, API_KEY = "acct_live_8823", "sk_live_cassette_secret_0042"
BASE = "/api/product_to_videos/"


@pytest.fixture
def upstream() -> Iterator[str]:
    with MockServer(create_app(MockConfig(), clock=ManualClock(start=1_748_603_465.0))) as server:
        yield server.url


def _calls() -> list[tuple[int, Any]]:
    headers = {"X-API-ID": API_ID, "X-API-KEY": API_KEY}
    with httpx.Client(base_url=CREATIFY_URL, headers=headers) as client:
        created = client.post(BASE + "gen_image/", json={"product_url": "https://a.io/b.png"})
        fetched = client.get(f"{BASE}{created.json()['id']}/")
        listed = client.get(BASE)
    return [(r.status_code, r.json()) for r in (created, fetched, listed)]


@pytest.mark.slow
def test_record_once_then_replay_without_a_network(upstream: str, tmp_path: Path) -> None:
    path = tmp_path / "cassettes" / "test_flow.har"
    with Cassette(path, RecordMode.ONCE, upstream) as cassette:
        assert cassette.recording
        recorded = _calls()
    assert path.exists()
    assert API_KEY not in path.read_text() and API_ID not in path.read_text()
    with Cassette(path, RecordMode.NONE, "http://127.0.0.1:9") as cassette:  # upstream unused
        assert not cassette.recording
        assert _calls() == recorded
    with Cassette(path, RecordMode.ONCE, "http://127.0.0.1:9") as cassette:
        assert not cassette.recording  # exists: replayed, not recorded again


def test_mode_none_never_records(tmp_path: Path) -> None:
    with pytest.raises(CassetteMissing, match="--creatify-record-mode once"):
        Cassette(tmp_path / "missing.har", RecordMode.NONE).__enter__()


def test_a_bad_mode_lists_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="'none', 'once', 'all'; got 'sometimes'"):
        Cassette(tmp_path / "x.har", "sometimes")  # type: ignore[arg-type]


TEST_FILE = """
import httpx

def test_it(creatify_cassette):
    headers = {"X-API-ID": "pytester-id", "X-API-KEY": "pytester-key"}
    with httpx.Client(base_url="https://api.creatify.ai", headers=headers) as client:
        response = client.post("/api/product_to_videos/gen_image/",
                               json={"product_url": "https://a.io/b.png"})
    assert response.status_code == 200
    assert response.json()["status"] == "initializing"
"""


@pytest.mark.slow
def test_the_fixture_records_then_replays(pytester: pytest.Pytester, upstream: str) -> None:
    pytester.makepyfile(test_cassette=TEST_FILE)
    missing = pytester.runpytest("-p", "no:cacheprovider")
    missing.assert_outcomes(errors=1)
    assert "no cassette at" in missing.stdout.str()
    recorded = pytester.runpytest(
        "-p", "no:cacheprovider", "--creatify-record-mode", "once", "--creatify-upstream", upstream
    )
    recorded.assert_outcomes(passed=1)
    cassette = pytester.path / "fixtures" / "cassettes" / "test_cassette" / "test_it.har"
    assert cassette.exists()
    assert "pytester-key" not in cassette.read_text()
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)
    bad = pytester.runpytest("-p", "no:cacheprovider", "--creatify-record-mode", "sometimes")
    assert "expected one of 'none', 'once', 'all'" in bad.stdout.str() + bad.stderr.str()
