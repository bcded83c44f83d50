"""verify-client on real clients: a correct one passes everything, each defect is caught."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from live import COMMAND

from contract_tests.harness import BASE_SCENARIOS, PRODUCT_URL, ClientHarness, draw_variants

pytestmark = pytest.mark.slow
CLIENTS = Path(__file__).resolve().parent.parent / "examples" / "clients"
PYTHON_CLIENT = [sys.executable, str(CLIENTS / "python_client.py")]
FAST_POLLS = {"POLL_SECONDS": "0.5"}
BY_NAME = {s.name: s for s in BASE_SCENARIOS}


def test_a_correct_python_client_passes_every_scenario() -> None:
    harness = ClientHarness(PYTHON_CLIENT, seed=3, env=FAST_POLLS)
    results = [harness.run(s) for s in (*BASE_SCENARIOS, *draw_variants(3, 2))]
    failed = {r.scenario.name: [str(f) for f in r.findings] for r in results if not r.passed}
    assert failed == {}
    success = results[0]
    assert success.stdout.strip().startswith("https://cdn.creatify.ai/product_to_videos/")


def test_a_node_client_runs_through_it_too() -> None:
    assert shutil.which("node"), "no node: `make test` installs it (apt-get install nodejs)"
    harness = ClientHarness(["node", str(CLIENTS / "node_client.mjs")], env=FAST_POLLS)
    for scenario in (BY_NAME["success"], BY_NAME["video-failed"], BY_NAME["transient-errors"]):
        result = harness.run(scenario)
        assert result.passed, [str(f) for f in result.findings]


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
def test_each_defect_is_flagged_by_its_check(defect: str, scenario: str, rules: set[str]) -> None:
    command = [sys.executable, str(CLIENTS / "broken_client.py"), defect]
    result = ClientHarness(command, timeout=6).run(BY_NAME[scenario])
    assert not result.passed
    assert rules <= {f.rule for f in result.findings}, [str(f) for f in result.findings]


def test_the_same_seed_draws_the_same_variants() -> None:
    assert draw_variants(11, 3) == draw_variants(11, 3)
    assert len({s.variants for s in draw_variants(11, 3)}) == 3


def test_the_command_writes_json_and_junit(tmp_path: Path) -> None:
    report, junit = tmp_path / "report.json", tmp_path / "junit.xml"
    broken = [sys.executable, str(CLIENTS / "broken_client.py"), "double-post"]
    chosen = ["--scenario", "success", "--scenario", "credentials-refused"]
    result = subprocess.run(
        [
            str(COMMAND),
            "verify-client",
            *chosen,
            "--seed",
            "5",
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
    data = json.loads(report.read_text())
    assert data["passed"] is False
    success = data["scenarios"][0]
    assert success["findings"][0]["rule"] == "duplicate paid POST"
    assert "--scenario success --seed 5" in success["reproduce"]
    assert success["stdout"].startswith("https://cdn.creatify.ai/")
    suite = ET.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    assert suite.find("testcase/failure") is not None


def test_a_scenario_can_run_from_a_recording(tmp_path: Path) -> None:
    from mock_server import MockConfig, MockServer, Phases, SystemClock, create_app
    from mock_server.recordings.recorder import create_recorder

    upstream = create_app(MockConfig(phases=Phases(0.2, 0.4, 0.6)), clock=SystemClock())
    with MockServer(upstream) as api, MockServer(create_recorder(api.url, tmp_path)) as proxy:
        env = {
            **os.environ,
            **FAST_POLLS,
            "CREATIFY_API_BASE_URL": proxy.url,
            "CREATIFY_API_ID": "rec-id",
            "CREATIFY_API_KEY": "rec-key",
            "CREATIFY_PRODUCT_URL": PRODUCT_URL,
        }
        subprocess.run(PYTHON_CLIENT, env=env, check=True, capture_output=True, timeout=60)
    result = ClientHarness(PYTHON_CLIENT, env=FAST_POLLS).run_replay(tmp_path)
    assert result.passed, [str(f) for f in result.findings]
    broken = [sys.executable, str(CLIENTS / "broken_client.py"), "bad-enum"]
    refused = ClientHarness(broken).run_replay(tmp_path)
    # Replay validates first, as the mock does: the bad enum is named, not a missing recording.
    assert "enum" in {f.rule for f in refused.findings}
