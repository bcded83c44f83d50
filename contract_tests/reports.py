"""The harness's reports: a summary table, JSON, and JUnit XML for CI dashboards."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from .harness import ScenarioResult

__all__ = ["summary", "write_json", "write_junit"]


def summary(results: list[ScenarioResult], command: list[str]) -> str:
    width = max([len(r.scenario.name) for r in results] + [8])
    lines = [f"{'scenario':<{width}}  result  seconds  findings", "-" * (width + 36)]
    pad = " " * width
    for r in results:
        outcome = "passed" if r.passed else "FAILED"
        warnings = len(r.findings) - len(r.errors)
        plural = "s" if warnings > 1 else ""
        count = f"{len(r.errors)}" + (f" (+{warnings} warning{plural})" if warnings else "")
        lines.append(f"{r.scenario.name:<{width}}  {outcome:<6}  {r.seconds:7.2f}  {count}")
        lines += [f"{pad}    - {f}" for f in r.findings]
        if not r.passed:
            tail = r.stderr_tail
            if tail:
                last = "last line" if len(tail) == 1 else f"last {len(tail)} lines"
                lines.append(f"{pad}    client stderr ({last}):")
                lines += [f"{pad}      | {line}" for line in tail]
            lines.append(f"{pad}    reproduce: {r.reproduce(command)}")
    passed = sum(r.passed for r in results)
    lines.append(f"{passed} passed, {len(results) - passed} failed")
    return "\n".join(lines)


def write_json(path: Path, command: list[str], seed: int, results: list[ScenarioResult]) -> None:
    report = {
        "command": command,
        "seed": seed,
        "passed": all(r.passed for r in results),
        "scenarios": [r.as_dict(command) for r in results],
    }
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")


def write_junit(path: Path, command: list[str], results: list[ScenarioResult]) -> None:
    failures = sum(not r.passed for r in results)
    suite = ET.Element(
        "testsuite",
        name="creatify-mock verify-client",
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
        time=f"{sum(r.seconds for r in results):.3f}",
    )
    for r in results:
        case = ET.SubElement(
            suite,
            "testcase",
            classname="creatify-mock",
            name=r.scenario.name,
            time=f"{r.seconds:.3f}",
        )
        if not r.passed:
            # The message carries the first cause; the body every finding, causes first.
            failure = ET.SubElement(case, "failure", message=str(r.errors[0]))
            failure.text = (
                "\n".join(str(f) for f in r.findings) + "\nreproduce: " + r.reproduce(command)
            )
        ET.SubElement(case, "system-out").text = r.stdout
        ET.SubElement(case, "system-err").text = r.stderr
    ET.ElementTree(suite).write(path, encoding="utf-8", xml_declaration=True)
