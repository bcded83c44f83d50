"""The README's curl walk-through, run as printed against a live mock, reaches the video."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
from pathlib import Path

import pytest
from live import LiveMock

from mock_server import close_app

README = Path(__file__).resolve().parent.parent / "README.md"
pytestmark = pytest.mark.slow


def _walkthrough() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("## Walk-through with curl", 1)[1]
    match = re.search(r"```bash\n(.*?)```", section, re.S)
    assert match, "README has no ```bash block under 'Walk-through with curl'"
    return match.group(1)


def test_readme_opens_with_the_two_commands() -> None:
    head = README.read_text(encoding="utf-8").split("\n## ", 1)[0]
    assert "make serve" in head
    assert "make test" in head


def test_the_curl_walkthrough_reaches_video_generated() -> None:
    script = _walkthrough()
    assert "http://127.0.0.1:8000" in script
    with LiveMock("--quiet") as mock:
        result = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script.replace("http://127.0.0.1:8000", mock.url)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "video_generating" in out
    assert re.search(r"https://cdn\.creatify\.ai/product_to_videos/.+\.mp4", out)
    assert "regen_video" in out
    assert "invalid" not in out
    assert out.count(" valid") >= 8


def test_the_python_snippet_runs() -> None:
    text = README.read_text(encoding="utf-8").split("## In Python", 1)[1]
    match = re.search(r"```python\n(.*?)```", text, re.S)
    assert match
    namespace: dict[str, object] = {}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(match.group(1), "README.md", "exec"), namespace)  # noqa: S102
    assert printed.getvalue().startswith("http://127.0.0.1:")
    assert namespace["client"].get("/__mock__/health").status_code == 200  # type: ignore[attr-defined]
    close_app(namespace["app"])  # type: ignore[arg-type]
