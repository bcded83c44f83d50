"""Replay is the mock answering from recordings: auth, validation, the journal and the log
line stay; only what an operation answers comes from the recording. The shipped synthetic
recording makes `serve --replay` work out of the box."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from live import COMMAND, LiveMock

from mock_server import Controls, Credentials, MockConfig, close_app, create_replay_app
from mock_server.recordings.har import HarFile
from mock_server.recordings.replay import default_recording_path

BASE = "/api/product_to_videos/"
ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "fixtures" / "recorded" / "synthetic-flow.har"
AUTH = {"X-API-ID": "any-client", "X-API-KEY": "its-key"}


def _recorded() -> list[dict[str, Any]]:
    """The shipped recording's answers, in order: (method, path, status, body)."""
    return [
        {
            "method": e["request"]["method"],
            "path": e["request"]["url"].split("api.creatify.ai", 1)[1],
            "body": json.loads(e["response"]["content"]["text"]),
        }
        for e in HarFile.load(SHIPPED).entries
    ]


@pytest.fixture
def replay() -> Iterator[FlaskClient]:
    app = create_replay_app(SHIPPED)
    yield app.test_client()
    close_app(app)


def _app(client: FlaskClient) -> Flask:
    return client.application


def test_the_shipped_recording_is_synthetic_whole_and_found() -> None:
    assert default_recording_path() == SHIPPED
    har = HarFile.load(SHIPPED)
    document = json.loads(SHIPPED.read_text())
    assert document["log"]["_creatify"]["synthetic"] is True
    assert har.comment.startswith("SYNTHETIC: recorded through creatify-mock's recording proxy")
    paths = [e["request"]["url"] for e in har.entries]
    for operation in ("gen_image/", "gen_video/", "regen_image/", "regen_video/"):
        assert any(p.endswith(operation) for p in paths), operation
    statuses = [json.loads(e["response"]["content"]["text"]) for e in har.entries]
    assert any(isinstance(s, dict) and s.get("status") == "video_generated" for s in statuses)
    assert "<string>" not in SHIPPED.read_text()  # no Mintlify placeholder


def test_auth_stays(replay: FlaskClient) -> None:
    missing = replay.get(BASE)
    assert missing.status_code == 401
    assert "the X-API-ID header is missing" in missing.get_json()["detail"]
    locked = create_replay_app(
        SHIPPED, MockConfig(credentials=(Credentials("team-id", "team-key"),))
    ).test_client()
    assert locked.get(BASE, headers=AUTH).status_code == 401
    assert (
        locked.get(BASE, headers={"X-API-ID": "team-id", "X-API-KEY": "team-key"}).status_code
        == 200
    )
    close_app(locked.application)


def test_validation_comes_first_and_takes_nothing_from_the_recording(replay: FlaskClient) -> None:
    bad = replay.post(
        BASE + "gen_image/",
        json={"product_url": "https://example.org/x.png", "aspect_ratio": "9:16"},
        headers=AUTH,
    )
    assert bad.status_code == 400
    assert bad.get_json() == {
        "aspect_ratio": ['Expected one of "9x16", "16x9", "1x1"; got "9:16".']
    }
    no_slash = replay.get(BASE[:-1], headers=AUTH)
    assert no_slash.status_code == 404
    assert "did you mean /api/product_to_videos/?" in no_slash.get_json()["detail"]
    # The refused request used up no recorded answer: the first valid one gets the first.
    first = replay.post(
        BASE + "gen_image/", json={"product_url": "https://x.io/y.png"}, headers=AUTH
    )
    assert first.get_json() == _recorded()[0]["body"]


def test_another_client_replays_the_whole_flow_by_operation_and_place(
    replay: FlaskClient,
) -> None:
    recorded = _recorded()
    # Another product URL than the recording's: matched by operation, not by body.
    made = replay.post(
        BASE + "gen_image/", json={"product_url": "https://other.example/bag.png"}, headers=AUTH
    ).get_json()
    assert made == recorded[0]["body"]
    record = f"{BASE}{made['id']}/"
    # One poll where the recording has three, then gen_video: its GETs are the video stage's,
    # not the image stage's left over.
    assert replay.get(record, headers=AUTH).get_json()["status"] == "initializing"
    video = replay.post(record + "gen_video/", json={}, headers=AUTH).get_json()
    assert video["status"] == "video_generating"
    seen = [replay.get(record, headers=AUTH).get_json()["status"] for _ in range(5)]
    assert seen[0] == "video_generating"
    assert seen[-2:] == ["video_generated", "video_generated"]  # the last answer repeats
    regen = replay.post(record + "regen_image/", json={"image_prompt": "snow"}, headers=AUTH)
    assert regen.get_json()["regen_type"] == "regen_image"


def test_the_journal_and_the_log_line_stay(
    replay: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="creatify_mock")
    made = replay.post(
        BASE + "gen_image/", json={"product_url": "https://x.io/y.png"}, headers=AUTH
    ).get_json()
    replay.get(f"{BASE}{made['id']}/", headers=AUTH)
    replay.post(BASE + "gen_image/", json={"product_url": "nope"}, headers=AUTH)
    entries = Controls.of(_app(replay)).journal()
    assert [(e.method, e.status, e.verdict) for e in entries] == [
        ("POST", 200, "valid"),
        ("GET", 200, "valid"),
        ("POST", 400, "invalid"),
    ]
    assert entries[0].record_id == made["id"]
    assert entries[0].account == "any-client"
    assert entries[2].violations[0].field == "product_url"
    assert f"GET {BASE}{made['id']}/ 200 valid" in caplog.text
    assert "POST /api/product_to_videos/gen_image/ 400 invalid: body product_url" in caplog.text


def test_a_request_no_recording_answers_is_404_naming_what_there_is(
    replay: FlaskClient,
) -> None:
    unknown = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
    missing = replay.get(f"{BASE}{unknown}/", headers=AUTH)
    assert missing.status_code == 404
    detail = missing.get_json()["detail"]
    assert f"the recordings hold no record {unknown}" in detail
    assert _recorded()[0]["body"]["id"] in detail
    entry = Controls.of(_app(replay)).journal()[-1]
    assert entry.response_violations == ()  # the replay's own 404, no bug of the mock's


def test_a_reset_starts_every_flow_again(replay: FlaskClient) -> None:
    body = {"product_url": "https://x.io/y.png"}
    first = replay.post(BASE + "gen_image/", json=body, headers=AUTH).get_json()
    record = f"{BASE}{first['id']}/"
    for _ in range(4):
        replay.get(record, headers=AUTH)
    Controls.of(_app(replay)).reset()
    assert replay.get(record, headers=AUTH).get_json()["status"] == "initializing"


def test_health_says_where_the_answers_come_from(replay: FlaskClient) -> None:
    replay.get(f"{BASE}3c90c3cc-0d44-4b50-8888-8dd25736052a/", headers=AUTH)
    health = replay.get("/__mock__/health").get_json()
    assert health["replay"] == {
        "source": str(SHIPPED),
        "match": "flow",
        "recorded": len(_recorded()),
        "misses": 1,
    }


def test_body_matching_is_an_option(tmp_path: Path) -> None:
    app = create_replay_app(SHIPPED, match="body")
    client = app.test_client()
    recorded = HarFile.load(SHIPPED).entries[0]["request"]["postData"]["text"]
    same = client.post(
        BASE + "gen_image/", data=recorded, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert same.status_code == 200
    other = client.post(
        BASE + "gen_image/", json={"product_url": "https://x.io/y.png"}, headers=AUTH
    )
    assert other.status_code == 404
    assert (
        "A recording has POST /api/product_to_videos/gen_image/ with another body"
        in other.get_json()["detail"]
    )
    close_app(app)
    with pytest.raises(ValueError, match="replay match: expected one of flow, body; got 'exact'"):
        create_replay_app(SHIPPED, match="exact")


def _serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(COMMAND), "serve", "--port", "0", *args], capture_output=True, text=True, timeout=30
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "content", "said"),
    [
        ("broken.har", '{"log": {"entries": [', "broken.har"),
        ("not-har.har", '{"records": []}', "expected a HAR file with log.entries"),
        ("list.har", "[1, 2]", "list.har"),
        ("binary.har", "\udcff", "binary.har"),
        ("entry.har", '{"log": {"entries": [{"request": {}}]}}', "entry.har"),
    ],
    ids=["truncated", "not HAR", "a JSON list", "not UTF-8", "an entry without fields"],
)
def test_serve_replay_refuses_a_bad_file_in_one_line(
    tmp_path: Path, name: str, content: str, said: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8", "surrogateescape"))
    result = _serve("--replay", str(path))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: --replay {path}")
    assert said in line


@pytest.mark.slow
def test_serve_replay_on_a_folder_without_recordings_says_so(tmp_path: Path) -> None:
    result = _serve("--replay", str(tmp_path))
    assert result.returncode == 1
    assert (
        result.stderr == f"Error: --replay {tmp_path}: expected .har recordings there; found none\n"
    )
    missing = _serve("--replay", str(tmp_path / "nowhere"))
    assert missing.returncode == 1
    assert missing.stderr == f"Error: --replay {tmp_path / 'nowhere'}: no such file or folder\n"


@pytest.mark.slow
def test_serve_replay_works_out_of_the_box_for_the_example_client() -> None:
    with LiveMock("--replay") as mock:
        banner = "\n".join(mock.banner)
        assert f"answers      recorded in {SHIPPED} (matched by flow)" in banner
        assert "clock" not in banner and "phases" not in banner and "state " not in banner
        env = {
            **os.environ,
            "CREATIFY_API_BASE_URL": mock.url,
            "CREATIFY_API_ID": "my-id",
            "CREATIFY_API_KEY": "my-key",
            "CREATIFY_PRODUCT_URL": "https://example.org/not-the-recorded-one.png",
            "POLL_SECONDS": "0.05",
        }
        client = ROOT / "examples" / "clients" / "python_client.py"
        ran = subprocess.run(
            [sys.executable, str(client)], env=env, capture_output=True, text=True, timeout=60
        )
        with mock.client() as http:
            unauthenticated = http.get("/api/product_to_videos/", headers={"X-API-ID": ""})
        mock.stop()
    assert ran.returncode == 0, ran.stderr
    recorded = [b for b in _recorded() if isinstance(b["body"], dict)]
    assert ran.stdout.strip() in {b["body"].get("generated_video_url") for b in recorded}
    assert unauthenticated.status_code == 401
    assert any("gen_video/ 200 valid" in line for line in mock.log)


@pytest.mark.slow
def test_serve_replay_refuses_options_that_do_not_apply(tmp_path: Path) -> None:
    result = _serve("--replay", "--state", str(tmp_path / "s.sqlite3"))
    assert result.returncode == 2
    assert (
        "--replay answers from recordings and keeps no records: leave out --state" in result.stderr
    )
