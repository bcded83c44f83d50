"""A non-editable install (the wheel) carries the spec and finds it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def test_the_wheel_bundles_the_spec_and_finds_it(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path / "dist"),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = (tmp_path / "dist").glob("creatify_mock-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        bundled = archive.read("mock_server/_spec/openapi.yaml")
        archive_bytes = {n: archive.read(n) for n in names if n.endswith(".har")}
        archive.extractall(tmp_path / "site")
    assert bundled == (ROOT / "spec" / "openapi.yaml").read_bytes()
    recording = "mock_server/_recordings/synthetic-flow.har"  # what `serve --replay` answers
    assert archive_bytes[recording] == (ROOT / "fixtures/recorded/synthetic-flow.har").read_bytes()
    assert not any(name.startswith(("tests/", "spec/")) for name in names)
    for page in ("dashboard.html", "dashboard.js", "journal.js", "dom.js", "docs.html", "docs.js"):
        assert f"mock_server/api/static/{page}" in names  # the dashboard and docs: no build step
    probe = (
        "from mock_server import Contract, default_spec_path;"
        "from mock_server.recordings.replay import default_recording_path;"
        "print(default_spec_path()); print(len(Contract.load().operations));"
        "print(default_recording_path())"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={"PYTHONPATH": str(tmp_path / "site")},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found, operations, recording = result.stdout.split()
    assert found == str(tmp_path / "site" / "mock_server" / "_spec" / "openapi.yaml")
    assert operations == "6"
    assert recording == str(
        tmp_path / "site" / "mock_server" / "_recordings" / "synthetic-flow.har"
    )
