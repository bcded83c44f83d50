"""`creatify-mock serve` as a user runs it: banner, log lines, --state, concurrency."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from conftest import BASE, PRODUCT
from live import COMMAND, LiveMock

pytestmark = pytest.mark.slow


def test_the_banner_tells_how_to_use_it_and_its_curl_works() -> None:
    with LiveMock("--quiet") as mock:
        text = "\n".join(mock.banner)
        assert mock.url.startswith("http://127.0.0.1:")
        assert "X-API-ID: demo" in text
        assert f"{mock.url}/__mock__/health" in text
        curl = next(line for line in mock.banner if "curl " in line).split("try", 1)[1]
        printed = subprocess.run(curl, shell=True, capture_output=True, text=True, timeout=30)
        assert json.loads(printed.stdout) == []


def test_each_request_is_logged_with_its_verdict() -> None:
    with LiveMock() as mock, mock.client() as client:
        client.get(BASE)
        client.post(BASE + "gen_image/", json={"product_url": "nope"})
        mock.stop()
    assert any("GET /api/product_to_videos/ 200 valid" in line for line in mock.log)
    bad = next(line for line in mock.log if "gen_image/ 400" in line)
    assert "invalid" in bad
    assert "product_url" in bad


def test_credentials_can_be_restricted_from_the_environment() -> None:
    env = {"CREATIFY_MOCK_API_ID": "ci-id", "CREATIFY_MOCK_API_KEY": "ci-key"}
    with LiveMock("--quiet", env=env) as mock:
        assert "X-API-ID: ci-id" in "\n".join(mock.banner)
        with mock.client("ci-id", "ci-key") as good, mock.client("demo", "demo") as bad:
            assert good.get(BASE).status_code == 200
            assert bad.get(BASE).status_code == 401


def test_a_busy_port_is_a_clear_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        result = subprocess.run(
            [str(COMMAND), "serve", "--port", str(port)], capture_output=True, text=True, timeout=30
        )
    assert result.returncode != 0
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "--port 0" in result.stderr


def test_a_restart_with_state_keeps_every_record(tmp_path: Path) -> None:
    state = str(tmp_path / "mock.sqlite3")
    args = ("--quiet", "--manual-clock", "--state", state)
    with LiveMock(*args) as mock, mock.client() as client:
        ids = [
            client.post(BASE + "gen_image/", json={"product_url": PRODUCT}).json()["id"]
            for _ in range(3)
        ]
        client.post("/__mock__/clock/advance", json={"seconds": 10})
        client.post(f"{BASE}{ids[0]}/gen_video/", json={})
        client.post("/__mock__/clock/advance", json={"seconds": 1})
        before = client.get(BASE).json()
        clock_before = client.get("/__mock__/clock").json()["epoch"]
    with LiveMock(*args) as mock, mock.client() as client:
        assert client.get(BASE).json() == before
        assert client.get("/__mock__/clock").json()["epoch"] == clock_before
        assert client.get(f"{BASE}{ids[0]}/").json()["status"] == "video_generating"
        client.post("/__mock__/clock/advance", json={"seconds": 10})
        assert client.get(f"{BASE}{ids[0]}/").json()["status"] == "video_generated"


def test_concurrent_clients_lose_nothing() -> None:
    with LiveMock("--quiet", "--manual-clock") as mock:

        def create(n: int) -> str:
            with mock.client(api_id=f"acct-{n % 4}") as client:
                response = client.post(BASE + "gen_image/", json={"product_url": PRODUCT})
                assert response.status_code == 200
                return str(response.json()["id"])

        with ThreadPoolExecutor(max_workers=8) as pool:
            ids = list(pool.map(create, range(80)))
        assert len(set(ids)) == 80
        listed = set()
        for n in range(4):
            with mock.client(api_id=f"acct-{n}") as client:
                listed |= {r["id"] for r in client.get(BASE).json()}
        assert listed == set(ids)


def test_served_records_progress_and_notify_their_webhook_without_polling() -> None:
    # Nobody polls: the ticker and the webhook threads run in the serving process itself.
    from receiver import Receiver

    with (
        Receiver() as hooks,
        LiveMock("--quiet", "--initializing-seconds", "0.1", "--image-seconds", "0.2") as mock,
        mock.client() as client,
    ):
        created = client.post(
            BASE + "gen_image/", json={"product_url": PRODUCT, "webhook_url": hooks.url}
        ).json()
        delivered = hooks.next(timeout=10)
        assert delivered["json"]["id"] == created["id"]
        assert delivered["json"]["status"] == "image_generated"
        assert client.get(f"{BASE}{created['id']}/").json()["status"] == "image_generated"


def test_the_port_answers_as_soon_as_the_banner_is_out() -> None:
    with LiveMock("--quiet") as mock, mock.client() as client:
        assert client.get(BASE).status_code == 200  # no retry: the banner means ready


def test_sighup_ends_the_mock_as_term_does() -> None:
    # A reload would start an in-memory mock afresh, every record gone: HUP ends it instead.
    with LiveMock() as mock:
        with mock.client() as client:
            client.post(BASE + "gen_image/", json={"product_url": PRODUCT})
        mock.process.send_signal(signal.SIGHUP)
        assert mock.process.wait(timeout=15) == 0
    assert not any("Traceback" in line for line in mock.log)


def test_under_nohup_sighup_changes_nothing() -> None:
    mock = LiveMock()
    ignored = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # what nohup does; inherited
    try:
        mock.__enter__()
    finally:
        signal.signal(signal.SIGHUP, ignored)
    try:
        with mock.client() as client:
            made = client.post(BASE + "gen_image/", json={"product_url": PRODUCT}).json()
            mock.process.send_signal(signal.SIGHUP)
            time.sleep(1.5)
            assert mock.process.poll() is None
            assert client.get(f"{BASE}{made['id']}/").status_code == 200
    finally:
        mock.__exit__(None, None, None)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(p) for p in task.read_text().split()]
    return found


def test_kill_9_leaves_nothing_serving_and_a_restart_keeps_every_record(tmp_path: Path) -> None:
    state = str(tmp_path / "mock.sqlite3")
    with LiveMock("--quiet", "--state", state) as mock, mock.client() as client:
        made = [
            client.post(BASE + "gen_image/", json={"product_url": PRODUCT}).json()["id"]
            for _ in range(20)
        ]
        # One process serves and owns the store: there is no worker to outlive it.
        assert _children(mock.process.pid) == []
        mock.process.kill()
        mock.process.wait(timeout=10)
        with pytest.raises(httpx.ConnectError):
            client.get(BASE)  # nothing answers on the port any more
    with LiveMock("--quiet", "--state", state) as mock, mock.client() as client:
        kept = {r["id"] for r in client.get(BASE).json()}
    assert kept == set(made)


def _run_serve(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(COMMAND), "serve", "--port", "0", *args], capture_output=True, text=True, timeout=30
    )


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_bad_state_file_is_one_line_from_the_command_and_left_as_it_was(tmp_path: Path) -> None:
    # tests/test_statefile.py tries every kind of bad file in process; this is the command.
    state = tmp_path / "state.json"
    state.write_text(json.dumps({"records": []}))
    before = _digest(state)
    result = _run_serve("--state", str(state))
    assert result.returncode == 1
    assert result.stderr == (
        f"Error: state file {state} is not an SQLite database (it begins with "
        """b'{"records": []}'); pass a new file name (the mock creates the file) or a file a """
        "creatify-mock wrote\n"
    )
    assert _digest(state) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state.json"]


def test_a_live_mocks_state_file_is_refused_naming_it_until_it_is_killed(tmp_path: Path) -> None:
    state = tmp_path / "mock.sqlite3"
    with LiveMock("--quiet", "--state", str(state)) as first, first.client() as client:
        record_id = client.post(BASE + "gen_image/", json={"product_url": PRODUCT}).json()["id"]
        before = _digest(state)
        second = _run_serve("--state", str(state))
        assert second.returncode == 1
        pid = first.process.pid
        assert second.stderr == (
            f"Error: state file {state} is in use by another running creatify-mock (PID {pid}); "
            f"stop it (kill {pid}) or pass another --state file\n"
        )
        assert _digest(state) == before
        # kill -9, no goodbye: the kernel releases the lock with the process.
        os.kill(pid, signal.SIGKILL)
        first.process.wait(timeout=10)
    with LiveMock("--quiet", "--state", str(state)) as third, third.client() as client:
        assert client.get(f"{BASE}{record_id}/").status_code == 200


def test_a_restarted_manual_clock_resumes_where_it_stopped(tmp_path: Path) -> None:
    args = ["--quiet", "--manual-clock", "--state", str(tmp_path / "mock.sqlite3")]
    args += ["--initializing-seconds", "0.5", "--image-seconds", "0.5"]
    with LiveMock(*args) as mock, mock.client() as client:
        record_id = client.post(BASE + "gen_image/", json={"product_url": PRODUCT}).json()["id"]
        stopped_at = client.post("/__mock__/clock/advance", json={"seconds": 0.6}).json()["epoch"]
        assert client.get(f"{BASE}{record_id}/").json()["status"] == "image_generating"
    # By now the wall clock is past the record's end (0.4 s after stopped_at): a clock that
    # started again at wall time would finish it unasked.
    time.sleep(max(0.0, stopped_at + 0.5 - time.time()))
    with LiveMock(*args) as mock, mock.client() as client:
        assert client.get("/__mock__/clock").json()["epoch"] == stopped_at
        assert client.get(f"{BASE}{record_id}/").json()["status"] == "image_generating"
        client.post("/__mock__/clock/advance", json={"seconds": 0.4})
        assert client.get(f"{BASE}{record_id}/").json()["status"] == "image_generated"
