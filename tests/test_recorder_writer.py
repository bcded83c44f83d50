"""A recording is written as it grows: each exchange's bytes once, the file valid HAR after
every exchange. In process: the upstream is httpx's mock transport."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from mock_server import Contract
from mock_server.recordings.har import HarFile, HarWriter, entry_from_exchange
from mock_server.recordings.recorder import create_recorder

BASE = "/api/product_to_videos/"
PROC_IO = Path("/proc/self/io")


def _written() -> int:
    """Bytes this process has handed to write() so far (Linux)."""
    fields = dict(line.split(": ") for line in PROC_IO.read_text().splitlines())
    return int(fields["wchar"])


def _entry(n: int) -> dict[str, object]:
    return entry_from_exchange(
        method="GET",
        url=f"https://api.creatify.ai{BASE}?page={n}",
        request_headers={"Accept": "application/json"},
        request_body="",
        request_mime="",
        status=200,
        reason="OK",
        response_headers={"Content-Type": "application/json"},
        response_body=json.dumps([{"n": n, "note": "é" * n}]),
        response_mime="application/json",
    )


def test_the_file_is_valid_after_every_append_and_reads_as_a_whole_write(tmp_path: Path) -> None:
    writer = HarWriter(tmp_path / "new" / "a.har", comment="from a test")
    assert not writer.path.exists()  # nothing recorded, nothing written
    entries = [_entry(n) for n in range(4)]
    for n, entry in enumerate(entries):
        assert writer.append(entry) == n
        assert HarFile.load(writer.path).entries == entries[: n + 1]
    whole = HarFile(tmp_path / "whole.har", "recorded", entries, "from a test")
    whole.save()
    assert writer.path.read_text() == whole.path.read_text()
    writer.close()
    assert writer.append(_entry(9)) is None
    assert writer.count == 4


@pytest.mark.skipif(not PROC_IO.exists(), reason="counts the bytes written in /proc/self/io")
def test_a_long_recording_writes_each_exchange_once(tmp_path: Path, contract: Contract) -> None:
    """Rewriting the whole file on every exchange wrote 300 exchanges' worth of bytes
    about 150 times over; appending writes each once."""
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json=[]))
    app = create_recorder("http://upstream.test", tmp_path, contract=contract, transport=transport)
    client = app.test_client()
    headers = {"X-API-ID": "recording-id", "X-API-KEY": "recording-key"}
    before = _written()
    for n in range(300):
        assert client.get(BASE, query_string={"page": n}, headers=headers).status_code == 200
    written = _written() - before
    (har,) = tmp_path.glob("*.har")
    assert len(HarFile.load(har).entries) == 300
    assert written < 3 * har.stat().st_size, (written, har.stat().st_size)
