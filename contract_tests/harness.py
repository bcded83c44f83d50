"""Run any client (any language, as a command) through scenarios against the mock.

Each scenario gets a fresh mock on a free loopback port; the client runs once with
CREATIFY_API_BASE_URL, CREATIFY_API_ID, CREATIFY_API_KEY and CREATIFY_PRODUCT_URL set,
and must print the video URL and exit 0 when the video was made, or exit non-zero when
the API reported a failure or refused it. What it sent is then checked.
"""

from __future__ import annotations

import os
import shlex
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from mock_server import (
    Controls,
    Credentials,
    MockConfig,
    MockServer,
    SystemClock,
    close_app,
    create_app,
    create_replay_app,
)

from .checks import (
    Finding,
    check_contract,
    check_paid_posts,
    check_polling,
    check_retry_safety,
    check_timeouts,
    ordered,
)
from .outcome import Ending, judge_ending, stderr_tail
from .process import ClientRun, run_client
from .scenarios import BASE_SCENARIOS, Scenario, draw_variants

__all__ = [
    "BASE_SCENARIOS",
    "PRODUCT_URL",
    "ClientHarness",
    "Finding",
    "Options",
    "Scenario",
    "ScenarioResult",
    "draw_variants",
    "reproduce",
]

API_ID, API_KEY = "harness-api-id", "harness-api-key"
PRODUCT_URL = "https://example.com/products/shoe.jpg"


@dataclass(frozen=True)
class Options:
    """verify-client's options, with the CLI's defaults; `reproduce` prints those that
    differ, so that a printed line runs the scenario as it ran."""

    seed: int = 0
    timeout: float = 60.0
    max_polls_per_second: float = 3.0
    variants: int = 3
    stall_seconds: float = 30.0
    strict: bool = False
    replay: Path | None = None

    def arguments(self) -> list[str]:
        default = Options()
        args = ["--seed", str(self.seed)]
        for flag, value, usual in (
            ("--timeout", self.timeout, default.timeout),
            ("--max-polls-per-second", self.max_polls_per_second, default.max_polls_per_second),
            ("--variants", self.variants, default.variants),
            ("--stall-seconds", self.stall_seconds, default.stall_seconds),
        ):
            if value != usual:
                args += [flag, f"{value:g}"]
        if self.strict:
            args.append("--strict")
        if self.replay is not None:
            args += ["--replay", str(self.replay)]
        return args


@dataclass
class ScenarioResult:
    scenario: Scenario
    seed: int
    exit_code: int | None
    stdout: str
    stderr: str
    seconds: float
    requests: int
    findings: list[Finding] = field(default_factory=list)
    options: Options = field(default_factory=Options)

    @property
    def passed(self) -> bool:
        return not self.errors

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def stderr_tail(self) -> list[str]:
        return stderr_tail(self.stderr)

    def reproduce(self, command: list[str]) -> str:
        return reproduce(command, self.scenario.name, self.options)

    def as_dict(self, command: list[str]) -> dict[str, Any]:
        return {
            "scenario": self.scenario.name,
            "description": self.scenario.description,
            "passed": self.passed,
            "seconds": round(self.seconds, 3),
            "exit_code": self.exit_code,
            "requests": self.requests,
            "findings": [asdict(f) for f in self.findings],
            "stdout": self.stdout,
            "stderr": self.stderr,
            "reproduce": self.reproduce(command),
        }


def reproduce(command: list[str], scenario: str, options: Options | int = 0) -> str:
    """The command line that runs `scenario` again as it ran."""
    chosen = options if isinstance(options, Options) else Options(seed=options)
    if scenario != "replay":
        chosen = Options(**{**asdict(chosen), "replay": None})
    args = ["creatify-mock", "verify-client", "--scenario", scenario, *chosen.arguments()]
    return shlex.join([*args, "--", *command])


class ClientHarness:
    def __init__(
        self,
        command: list[str],
        *,
        seed: int = 0,
        timeout: float = 60.0,
        max_polls_per_second: float = 3.0,
        env: dict[str, str] | None = None,
        options: Options | None = None,
    ) -> None:
        if not command:
            raise ValueError("command: expected the client's command line; got nothing")
        self.command = list(command)
        self.options = options or Options(
            seed=seed, timeout=timeout, max_polls_per_second=max_polls_per_second
        )
        self.seed, self.timeout = self.options.seed, self.options.timeout
        self.env = dict(env or {})
        self.stop = threading.Event()  # set: runs under way end their clients and stop

    def run(self, scenario: Scenario) -> ScenarioResult:
        config = MockConfig(
            credentials=(Credentials(API_ID, API_KEY),),
            phases=scenario.phases,
            seed=self.seed,
            webhook_attempts=1,
        )
        app = create_app(config, clock=SystemClock())
        controls = Controls.of(app)
        self._prepare(controls, scenario)
        try:
            with MockServer(app) as server:
                env = self._env(scenario, server.url)
                run = run_client(self.command, env, self.timeout, self.stop)
                at_exit = {r["id"]: r for r in controls.records(API_ID)}
                time.sleep(0.15)  # the last journal entry lands (a held stall sees the hang-up)
                entries = sorted(controls.journal(), key=lambda e: e.at)
        finally:
            close_app(app)
        result = self._result(scenario, run, len(entries))
        seen = {e.record_id for e in entries if e.record_id and e.dropped is None}
        ending = Ending(
            scenario,
            run,
            entries,
            {i: r for i, r in at_exit.items() if i in seen},
            strict=self.options.strict,
            timeout=self.timeout,
        )
        result.findings = ordered(
            check_contract(entries)
            + check_polling(entries, self.options.max_polls_per_second)
            + check_paid_posts(entries)
            + check_retry_safety(entries)
            + check_timeouts(entries)
            + judge_ending(ending)
            + (
                self._check_output(at_exit, run.stdout)
                if run.exit_code == 0 and scenario.expect_video is not False
                else []
            )
        )
        return result

    def run_replay(self, recordings: Path) -> ScenarioResult:
        """The client against answers recorded from the real API (`serve --replay`)."""
        app = create_replay_app(recordings)
        replayer = app.extensions["creatify_replay"]
        scenario = Scenario("replay", f"answers recorded in {recordings}")
        try:
            with MockServer(app) as server:
                run = run_client(self.command, self._env(scenario, server.url), self.timeout)
                time.sleep(0.05)  # let the last journal entry land
            entries = Controls.of(app).journal()
        finally:
            close_app(app)
        result = self._result(scenario, run, len(entries))
        # Replay validates first, as the mock does: a bad request is a contract finding.
        result.findings = check_contract(entries)
        result.findings += [Finding("replay", miss) for miss in replayer.misses]
        if result.exit_code != 0:
            result.findings.append(
                Finding(
                    "exit code",
                    "the recorded flow ended in a video, but the client exited non-zero",
                    expected="0",
                    actual=str(result.exit_code),
                )
            )
        recorded = {e.response_body for entries in replayer.answers.values() for e in entries}
        lines = [line.strip() for line in result.stdout.splitlines() if line.strip()]
        if result.exit_code == 0 and not (lines and any(lines[-1] in body for body in recorded)):
            result.findings.append(
                Finding(
                    "output",
                    "the printed URL is in no recorded answer",
                    actual=lines[-1] if lines else "nothing printed",
                )
            )
        result.findings = ordered(result.findings)
        return result

    def _result(self, scenario: Scenario, run: ClientRun, requests: int) -> ScenarioResult:
        return ScenarioResult(
            scenario,
            self.seed,
            run.exit_code,
            run.stdout,
            run.stderr,
            run.seconds,
            requests,
            options=self.options,
        )

    def _prepare(self, controls: Controls, scenario: Scenario) -> None:
        if scenario.variants:
            controls.set_variants(dict(scenario.variants))
        if scenario.fail_phase:
            controls.fail_next(scenario.fail_phase)
        for fault in scenario.fault_list():
            if fault.get("drop") == "stall":
                # Longer than a reasonable request timeout, shorter than the whole run's.
                fault["seconds"] = min(self.options.stall_seconds, self.timeout * 0.75)
            status = fault.pop("status", 429)
            operation = fault.pop("operation", None)
            controls.queue_fault(status, operation, 1, 1, **fault)

    def _env(self, scenario: Scenario, url: str) -> dict[str, str]:
        return {
            **os.environ,
            **self.env,
            "CREATIFY_API_BASE_URL": url,
            "CREATIFY_API_ID": API_ID,
            "CREATIFY_API_KEY": "refused-key" if scenario.refuse_credentials else API_KEY,
            "CREATIFY_PRODUCT_URL": PRODUCT_URL,
        }

    @staticmethod
    def _check_output(records: dict[str, dict[str, Any]], stdout: str) -> list[Finding]:
        made = [r["generated_video_url"] for r in records.values() if r["generated_video_url"]]
        lines = [line.strip() for line in stdout.splitlines() if line.strip()]
        printed = lines[-1] if lines else ""
        if printed not in made:
            return [
                Finding(
                    "output",
                    "the printed URL is not the video the mock made",
                    expected=made[0] if made else "a generated_video_url",
                    actual=printed or "nothing printed",
                    field="generated_video_url",
                )
            ]
        return []
