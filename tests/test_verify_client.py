"""What verify-client tells its user when a client fails: the field, the cause before the
symptom, what the client last saw, its crash, a reproduce line that runs as printed; and
that a client's whole process group ends with it."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from live import COMMAND

from contract_tests.harness import BASE_SCENARIOS, ClientHarness, Options

pytestmark = pytest.mark.slow
CLIENTS = Path(__file__).resolve().parent.parent / "examples" / "clients"
BROKEN = [sys.executable, str(CLIENTS / "broken_client.py")]
BY_NAME = {s.name: s for s in BASE_SCENARIOS}


def verify(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(COMMAND), "verify-client", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "POLL_SECONDS": "0.5"},
    )


def test_the_exit_code_finding_says_what_the_client_last_saw() -> None:
    # The broken client never retries: its gen_image meets the 429 and it exits.
    result = ClientHarness([*BROKEN, "bad-enum"]).run(BY_NAME["transient-errors"])
    exit_code = next(f for f in result.findings if f.rule == "exit code")
    assert (
        "the last answer was 429 with Retry-After: 1 to gen_image; the client sent nothing "
        "after it" in exit_code.message
    )


def test_a_crash_shows_its_last_traceback_line_and_stderr_tail() -> None:
    from contract_tests.reports import summary

    result = ClientHarness([*BROKEN, "crashes-on-empty"]).run(BY_NAME["success"])
    exit_code = next(f for f in result.findings if f.rule == "exit code")
    assert "it crashed: AttributeError: 'NoneType' object has no attribute 'strip'" in str(
        exit_code
    )
    table = summary([result], [*BROKEN, "crashes-on-empty"])
    assert "client stderr (last 3 lines):" in table
    assert "| AttributeError: 'NoneType' object has no attribute 'strip'" in table


@pytest.mark.parametrize(
    "command",
    [["no-such-creatify-client"], ["sh", "-c", "no-such-creatify-client"]],
    ids=["not on PATH", "exit 127 from a shell"],
)
def test_exit_127_says_command_not_found(command: list[str]) -> None:
    for scenario in ("success", "image-failed"):
        result = ClientHarness(command).run(BY_NAME[scenario])
        assert result.exit_code == 127
        assert "command not found" in str(result.findings[-1])
        assert "no-such-creatify-client" in str(result.findings[-1])


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")  # a zombie has ended; only its exit status is left


GRANDPARENT = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
open(sys.argv[1], "a").write(f"{child.pid}\\n")
if sys.argv[2] == "hang":
    time.sleep(300)
"""


@pytest.mark.parametrize("how", ["hang", "exit"])
def test_the_clients_whole_process_group_is_ended(tmp_path: Path, how: str) -> None:
    # As `npx tsx client.ts` does: the command starts a process that outlives it.
    pid_file = tmp_path / "grandchild.pid"
    script = tmp_path / "client.py"
    script.write_text(GRANDPARENT)
    command = [sys.executable, str(script), str(pid_file), how]
    started = time.monotonic()
    result = ClientHarness(command, timeout=3).run(BY_NAME["success"])
    grandchild = int(pid_file.read_text())
    assert not _alive(grandchild), f"the client's child {grandchild} still runs"
    assert time.monotonic() - started < 30
    if how == "hang":
        assert result.exit_code is None
        assert result.findings[-1].rule == "termination"
        assert "its process group was ended" in str(result.findings[-1])


def test_every_printed_reproduce_line_runs_as_printed(tmp_path: Path) -> None:
    from mock_server import MockConfig, MockServer, Phases, SystemClock, create_app
    from mock_server.recordings.recorder import create_recorder

    # A recording of the flow, for the replay scenario.
    upstream = create_app(MockConfig(phases=Phases(0.1, 0.1, 0.1)), clock=SystemClock())
    with MockServer(upstream) as api, MockServer(create_recorder(api.url, tmp_path)) as proxy:
        env = {
            **os.environ,
            "POLL_SECONDS": "0.2",
            "CREATIFY_API_BASE_URL": proxy.url,
            "CREATIFY_API_ID": "rec-id",
            "CREATIFY_API_KEY": "rec-key",
            "CREATIFY_PRODUCT_URL": "https://example.com/products/shoe.jpg",
        }
        python_client = [sys.executable, str(CLIENTS / "python_client.py")]
        subprocess.run(python_client, env=env, check=True, capture_output=True, timeout=60)
    options = ["--timeout", "20", "--max-polls-per-second", "2.5", "--variants", "1"]
    chosen = "success,variants-1,replay"
    first = verify(
        "--scenario", chosen, *options, "--replay", str(tmp_path), "--", *BROKEN, "bad-enum"
    )
    lines = re.findall(r"reproduce: (.+)", first.stdout)
    assert len(lines) == 3, first.stdout
    for line, scenario in zip(lines, ["success", "variants-1", "replay"], strict=True):
        args = shlex.split(line)
        assert args[:2] == ["creatify-mock", "verify-client"]
        for option in options:
            assert option in args
        again = verify(*args[2:])
        assert again.returncode == 1, again.stderr  # the scenario failed again, not refused
        rows = [row.split()[0] for row in again.stdout.splitlines()[2:-1] if row[:1].strip()]
        assert rows == [scenario], again.stdout


def test_scenarios_are_listed_and_several_chosen_at_once() -> None:
    listed = verify("--list-scenarios")
    assert listed.returncode == 0
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert names == [
        *(s.name for s in BASE_SCENARIOS),
        "variants-1",
        "variants-2",
        "variants-3",
        "replay",
    ]
    assert ". Catches wrong routes" in listed.stdout.splitlines()[0]
    unknown = verify("--scenario", "success,nope", "--", *BROKEN, "bad-enum")
    assert unknown.returncode == 2
    assert "unknown scenario 'nope'" in unknown.stderr
    too_far = verify("--scenario", "variants-5", "--", *BROKEN, "bad-enum")
    assert "pass --variants 5 or more" in too_far.stderr
    no_command = verify("--scenario", "success")
    assert no_command.returncode == 2
    assert "COMMAND: expected the client's command line" in no_command.stderr


def test_the_options_reach_the_printed_line() -> None:
    options = Options(seed=2, timeout=9, stall_seconds=5, strict=True)
    from contract_tests.harness import reproduce

    assert reproduce(["client"], "stalled-response", options) == (
        "creatify-mock verify-client --scenario stalled-response --seed 2 --timeout 9 "
        "--stall-seconds 5 --strict -- client"
    )


def _normalized(text: str) -> list[str]:
    """Output without its timings, which differ from run to run."""
    text = re.sub(r"in \d+\.\d s", "in N s", text)
    text = re.sub(r"(FAILED|passed) +\d+\.\d\d", r"\1 N", text)
    # How far the abandoned record got by the client's exit depends on the machine's speed.
    text = re.sub(r"'(initializing|image_generating)'", "'STATUS'", text)
    return [line.rstrip() for line in text.splitlines()]


def test_the_readme_shows_real_output() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("**What a failure tells you.**", 1)[1]
    block = re.search(r"```text\n(.*?)```", section, re.S)
    assert block is not None
    runs = re.split(r"^\$ ", block.group(1), flags=re.M)[1:]
    assert len(runs) == 2
    root = Path(__file__).resolve().parent.parent
    for run in runs:
        line, _, shown = run.partition("\n")
        args = shlex.split(line)
        assert args[:2] == ["creatify-mock", "verify-client"]
        path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
        done = subprocess.run(
            [str(COMMAND), *args[1:]],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=root,
            env={**os.environ, "PATH": path},
        )
        # What a terminal shows: the progress (stderr) came before the table (stdout).
        assert _normalized(done.stderr + done.stdout) == _normalized(shown)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_ends_the_client_too(tmp_path: Path, jobs: str) -> None:
    pid_file = tmp_path / "grandchild.pid"
    script = tmp_path / "client.py"
    script.write_text(GRANDPARENT)
    harness = subprocess.Popen(
        [str(COMMAND), "verify-client", "--scenario", "success,slow-job", "--jobs", jobs]
        + ["--", sys.executable]
        + [str(script), str(pid_file), "hang"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (
        pid_file.exists() and len(pid_file.read_text().split()) == int(jobs)
    ):
        time.sleep(0.05)
    harness.send_signal(signal.SIGINT)
    _, err = harness.communicate(timeout=30)
    assert harness.returncode != 0
    assert "Traceback" not in err
    children = [int(pid) for pid in pid_file.read_text().split()]
    assert len(children) == int(jobs)  # one client per scenario under way
    assert not [pid for pid in children if _alive(pid)]
    assert time.monotonic() < deadline  # not after the scenario's timeout
