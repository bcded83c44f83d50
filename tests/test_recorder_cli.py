"""`creatify-mock record`'s options, in process through click's test runner: the upstream
timeout is documented, and a mistake on the command line is one line, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mock_server.cli import main
from mock_server.recordings.recorder import DEFAULT_TIMEOUT
from mock_server.recordings.scrub import ANYWHERE_FROM


def test_help_documents_the_upstream_timeout_and_how_short_values_are_scrubbed() -> None:
    result = CliRunner().invoke(main, ["record", "--help"])
    assert result.exit_code == 0
    shown = " ".join(result.output.split())  # as one line, wherever click wraps it
    assert "--upstream-timeout SECONDS" in shown
    assert f"[default: {DEFAULT_TIMEOUT}; x>0]" in shown
    assert "the client gets 504" in shown and "gets 502" in shown
    assert f"A value of {ANYWHERE_FROM} characters or more is replaced wherever" in shown


@pytest.mark.parametrize(
    ("options", "said"),
    [
        (["--upstream", "api.creatify.ai"], "expected an http:// or https:// URL"),
        (["--upstream", "ftp://api.creatify.ai"], "got 'ftp://api.creatify.ai'"),
        (["--upstream", "http://127.0.0.1:9", "--upstream-timeout", "0"], "not in the range x>0"),
        (["--upstream", "http://127.0.0.1:9", "--upstream-timeout", "inf"], "a finite number"),
    ],
)
def test_a_wrong_option_is_one_line(options: list[str], said: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["record", "--out", str(tmp_path), *options])
    assert result.exit_code == 2
    (error,) = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert said in error, result.output
    assert "Traceback" not in result.output
    assert not any(tmp_path.iterdir())  # nothing started, nothing written
