"""verify-client on real clients: the correct ones pass every scenario, and each defect is
caught by exactly the scenario that exists for it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from live import COMMAND

from contract_tests.harness import (
    BASE_SCENARIOS,
    PRODUCT_URL,
    ClientHarness,
    Options,
    Scenario,
    ScenarioResult,
    draw_variants,
)

pytestmark = pytest.mark.slow
CLIENTS = Path(__file__).resolve().parent.parent / "examples" / "clients"
PYTHON_CLIENT = [sys.executable, str(CLIENTS / "python_client.py")]
FAULTY = [sys.executable, str(CLIENTS / "faulty_client.py")]
# Quick polls, and a request timeout well under the stall: the clients as they would be
# configured, on a time scale a test can afford.
# The request timeout leaves a loaded machine room to answer a POST (one that times out is
# not sent again), and the stall is well past it.
FAST = {"POLL_SECONDS": "0.5", "REQUEST_TIMEOUT_SECONDS": "2.5"}
QUICK = Options(seed=3, stall_seconds=6, timeout=30)
BY_NAME = {s.name: s for s in BASE_SCENARIOS}
EVERY = (*BASE_SCENARIOS, *draw_variants(3, 1))


def run_all(command: list[str], scenarios: tuple[Scenario, ...] = EVERY) -> list[ScenarioResult]:
    """Every scenario, three at a time: each has its own mock, port and client process."""
    harness = ClientHarness(command, env=FAST, options=QUICK)
    with ThreadPoolExecutor(3) as pool:
        return list(pool.map(harness.run, scenarios))


def failed(results: list[ScenarioResult]) -> dict[str, list[str]]:
    return {r.scenario.name: [str(f) for f in r.findings] for r in results if not r.passed}


def test_a_correct_python_client_passes_every_scenario() -> None:
    results = run_all(PYTHON_CLIENT)
    assert failed(results) == {}
    assert [r.scenario.name for r in results] == [s.name for s in EVERY]
    success = results[0]
    assert success.stdout.strip().startswith("https://cdn.creatify.ai/product_to_videos/")
    assert not [f for r in results for f in r.findings]  # not even a warning


def test_a_correct_node_client_passes_every_scenario() -> None:
    assert shutil.which("node"), "no node: `make test` installs it (apt-get install nodejs)"
    results = run_all(["node", str(CLIENTS / "node_client.mjs")])
    assert failed(results) == {}
    assert not [f for r in results for f in r.findings]


@pytest.mark.parametrize(
    ("defect", "caught_by", "rules"),
    [
        ("parse-before-status", {"gateway-errors"}, {"exit code"}),
        ("no-timeout", {"stalled-response"}, {"no request timeout"}),
        ("abandon-on-503", {"poll-errors"}, {"abandoned paid work", "exit code"}),
        ("blind-retry", {"lost-answer"}, {"retry safety"}),
        ("regen-on-failure", {"video-failed"}, {"state", "stopped for the wrong reason"}),
    ],
)
def test_each_new_defect_is_caught_by_exactly_its_scenario(
    defect: str, caught_by: set[str], rules: set[str]
) -> None:
    results = run_all([*FAULTY, defect])
    assert set(failed(results)) == caught_by, failed(results)
    for result in results:
        if result.scenario.name in caught_by:
            assert rules <= {f.rule for f in result.errors}, [str(f) for f in result.findings]


def test_a_swallowed_reason_is_a_warning_and_with_strict_an_error() -> None:
    scenarios = (BY_NAME["image-failed"], BY_NAME["video-failed"], BY_NAME["credentials-refused"])
    warned = run_all([*FAULTY, "reason-swallowed"], scenarios)
    assert failed(warned) == {}
    for result in warned:
        assert [f.rule for f in result.findings] == ["reason not shown"]
        assert result.findings[0].severity == "warning"
    assert "Image generation failed" in str(warned[0].findings[0])  # the reason it swallowed
    strict = ClientHarness(
        [*FAULTY, "reason-swallowed"], env=FAST, options=Options(strict=True)
    ).run(BY_NAME["credentials-refused"])
    assert not strict.passed
    assert strict.errors[0].rule == "reason not shown"
    assert "Incorrect authentication credentials" in str(strict.errors[0])


def test_a_client_that_relies_on_lenient_state_gates_is_shown_so() -> None:
    harness = ClientHarness([*FAULTY, "early-regen"], env=FAST, options=QUICK)
    assert harness.run(BY_NAME["lenient-gates"]).passed
    strict = harness.run(BY_NAME["success"])
    state = strict.findings[0]
    assert (state.rule, state.field, state.inferred) == ("state", "status", True)
    assert str(state).endswith("(inferred: Creatify does not document this)")


@pytest.mark.parametrize(
    ("defect", "scenario", "rules"),
    [
        ("wrong-route", "success", {"path", "exit code"}),
        ("bad-enum", "success", {"enum", "exit code"}),
        ("no-auth-header", "success", {"security", "exit code"}),
        ("unknown-status", "success", {"termination", "polling after the end"}),
        ("polls-after-failure", "image-failed", {"polling after the end"}),
        ("crashes-on-empty", "success", {"exit code"}),
        ("double-post", "success", {"duplicate paid POST"}),
        ("tight-loop", "success", {"polling rate"}),
    ],
)
def test_each_older_defect_is_flagged_by_its_check(
    defect: str, scenario: str, rules: set[str]
) -> None:
    command = [sys.executable, str(CLIENTS / "broken_client.py"), defect]
    result = ClientHarness(command, timeout=6).run(BY_NAME[scenario])
    assert not result.passed
    assert rules <= {f.rule for f in result.findings}, [str(f) for f in result.findings]


def test_the_same_seed_draws_the_same_variants() -> None:
    assert draw_variants(11, 3) == draw_variants(11, 3)
    assert len({s.variants for s in draw_variants(11, 3)}) == 3


def test_the_command_writes_json_and_junit(tmp_path: Path) -> None:
    report, junit = tmp_path / "report.json", tmp_path / "junit.xml"
    broken = [sys.executable, str(CLIENTS / "broken_client.py"), "bad-enum"]
    result = subprocess.run(
        [
            str(COMMAND),
            "verify-client",
            "--scenario",
            "success,credentials-refused",
            "--seed",
            "5",
            "--jobs",
            "2",
            "--report",
            str(report),
            "--junit",
            str(junit),
            "--",
            *broken,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "1 passed, 1 failed" in result.stdout
    assert "reproduce: creatify-mock verify-client --scenario success --seed 5 --" in result.stdout
    assert "[2/2] credentials-refused" in result.stderr  # the live progress
    rows = [row.split()[0] for row in result.stdout.splitlines()[2:] if row[:1].strip()]
    assert rows[:2] == ["success", "credentials-refused"]  # run at once, shown in order
    data = json.loads(report.read_text())
    assert data["passed"] is False
    success = data["scenarios"][0]
    # The cause first, then the exit code it explains.
    assert [f["rule"] for f in success["findings"]][:2] == ["enum", "exit code"]
    assert success["findings"][0]["field"] == "aspect_ratio"
    assert "--scenario success --seed 5" in success["reproduce"]
    suite = ET.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    failure = suite.find("testcase/failure")
    assert failure is not None
    message = failure.get("message", "")
    assert message.startswith("[enum]") and "aspect_ratio" in message  # the first cause
    assert "[exit code]" in (failure.text or "")  # every finding in the body


def test_a_scenario_can_run_from_a_recording(tmp_path: Path) -> None:
    from mock_server import MockConfig, MockServer, Phases, SystemClock, create_app
    from mock_server.recordings.recorder import create_recorder

    upstream = create_app(MockConfig(phases=Phases(0.2, 0.4, 0.6)), clock=SystemClock())
    with MockServer(upstream) as api, MockServer(create_recorder(api.url, tmp_path)) as proxy:
        env = {
            **os.environ,
            **FAST,
            "CREATIFY_API_BASE_URL": proxy.url,
            "CREATIFY_API_ID": "rec-id",
            "CREATIFY_API_KEY": "rec-key",
            "CREATIFY_PRODUCT_URL": PRODUCT_URL,
        }
        subprocess.run(PYTHON_CLIENT, env=env, check=True, capture_output=True, timeout=60)
    result = ClientHarness(PYTHON_CLIENT, env=FAST).run_replay(tmp_path)
    assert result.passed, [str(f) for f in result.findings]
    broken = [sys.executable, str(CLIENTS / "broken_client.py"), "bad-enum"]
    refused = ClientHarness(broken).run_replay(tmp_path)
    # Replay validates first, as the mock does: the bad enum is named, not a missing recording.
    assert "enum" in {f.rule for f in refused.findings}
