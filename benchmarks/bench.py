"""Reproducible figures for creatify-mock, each beside a baseline measured in the same run.

    python benchmarks/bench.py [--duration 5] [--skip-tests] [--skip-prism]

Prints: validation cost per request in process (the fast path, and openapi-core alone); the
respx path per call beside httpx's own floor; start to first 200; memory after the load;
req/s, p50 and p99 at 1 and 16 connections (wrk) for the mock, a bare Flask app on the same
server (granian) and on waitress, and Prism when npm can install it; the wall time of
`make test`; and each goal of issue 6 beside what was measured.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HEADERS = {"X-API-ID": "bench", "X-API-KEY": "bench"}
BODY = json.dumps({"product_url": "https://example.com/shoe.jpg"})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(client: httpx.Client, url: str, started: float, timeout: float = 60.0) -> float:
    # One client, built before the clock starts: httpx.get() builds a client and an SSL
    # context per call, about 30 ms each, which blurred the first runs' start figures.
    while time.perf_counter() - started < timeout:
        try:
            if client.get(url, headers=HEADERS, timeout=1).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            time.sleep(0.002)
    raise RuntimeError(f"{url} never answered 200")


def _tree(pid: int) -> list[int]:
    """The process and its descendants (granian serves from a forked worker)."""
    found = [pid]
    for child in Path(f"/proc/{pid}/task").glob("*/children"):
        for text in child.read_text().split():
            found += _tree(int(text))
    return found


def memory_mb(pid: int) -> tuple[float, float]:
    """(largest RSS of one process, PSS summed over the tree): shared pages of a forked
    worker count once in PSS, and twice in an RSS sum."""
    rss, pss = [], 0.0
    for member in _tree(pid):
        for line in Path(f"/proc/{member}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss.append(int(line.split()[1]) / 1024)
        for line in Path(f"/proc/{member}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss += int(line.split()[1]) / 1024
    return max(rss, default=float("nan")), pss


def _validation_us(
    validator: Any, request: Any, response: Any, operation: str, parsed: Any, *, core: bool
) -> float:
    """µs to check one request and its response (both must pass), as `steady` reports it."""

    def once() -> None:
        if core:
            found = validator.core_check_request(request, operation).violations
            found += validator.core_check_response(request, response)
        else:
            found = validator.check_request(request, operation, parsed).violations
            found += validator.check_response(request, response)
        assert not found, found

    return steady(once, 20 if core else 400)


def steady(call: Callable[[], Any], per_round: int, rounds: int = 5) -> float:
    """The lowest of `rounds` medians of `per_round` calls, in µs. On this shared VM a
    single median moved by half from run to run; the quietest round's does not."""
    medians = []
    for _ in range(rounds):
        samples = []
        for _ in range(per_round):
            start = time.perf_counter()
            call()
            samples.append(time.perf_counter() - start)
        medians.append(statistics.median(samples))
    return min(medians) * 1e6


def in_process() -> dict[str, float]:
    from flask import Flask
    from mock_server.state import state_of

    from contract_tests import CREATIFY_URL, CreatifyMock
    from mock_server import ManualClock, create_app
    from mock_server.api.exchange import JsonReply
    from mock_server.contract.compiled import UNPARSED

    app: Flask = create_app(clock=ManualClock())
    validator = state_of(app).validator
    client = app.test_client()
    created = client.post(
        "/api/product_to_videos/gen_image/",
        data=BODY,
        content_type="application/json",
        headers=HEADERS,
    )
    record_id = created.get_json()["id"]
    figures = {}
    for name, method, path, data in (
        ("retrieve", "GET", f"/api/product_to_videos/{record_id}/", None),
        ("gen_image", "POST", "/api/product_to_videos/gen_image/", BODY),
    ):
        response = client.open(
            path, method=method, data=data, content_type="application/json", headers=HEADERS
        )
        with app.test_request_context(
            path, method=method, data=data, content_type="application/json", headers=HEADERS
        ):
            from flask import request

            operation = f"product_to_videos_{name}"
            parsed = json.loads(data) if data else UNPARSED
            # The fast path checks a response as the hot path sends it: a JsonReply, whose
            # data it takes as is.
            reply = JsonReply(response.status_code, response.get_json())
            fast = _validation_us(validator, request, reply, operation, parsed, core=False)
            core = _validation_us(validator, request, response, operation, parsed, core=True)
        figures[f"validation µs/request, {name} (fast path, request + response)"] = fast
        figures[f"validation µs/request, {name} (openapi-core alone)"] = core

    with (
        CreatifyMock(transport="respx") as mock,
        httpx.Client(base_url=CREATIFY_URL, headers=mock.headers) as http,
    ):
        record = http.post(
            "/api/product_to_videos/gen_image/",
            content=BODY,
            headers={"Content-Type": "application/json"},
        ).json()
        path = f"/api/product_to_videos/{record['id']}/"
        figures["respx path µs/call (GET by id, in process)"] = steady(lambda: http.get(path), 400)
    with httpx.Client(
        base_url=CREATIFY_URL,
        transport=httpx.MockTransport(lambda request: httpx.Response(200, json=record)),
    ) as http:
        floor = steady(lambda: http.get(path), 400)
    figures["  floor: httpx MockTransport µs/call (same JSON, no app)"] = floor
    figures["  floor: a respx route answering the same JSON µs/call (no app)"] = _respx_floor(
        path, record
    )
    return figures


def _respx_floor(path: str, record: dict[str, Any]) -> float:
    """respx's own cost: the same router and client as CreatifyMock's, a constant answer."""
    import respx

    from contract_tests import CREATIFY_URL

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=record)

    router = respx.MockRouter(base_url=CREATIFY_URL, assert_all_called=False)
    router.route().mock(side_effect=answer)
    with router, httpx.Client(base_url=CREATIFY_URL, headers=HEADERS) as http:
        return steady(lambda: http.get(path), 400)


def wrk(url: str, connections: int, duration: int, post: bool) -> dict[str, float] | None:
    if shutil.which("wrk") is None:
        return None
    lines = [f'wrk.headers["{k}"] = "{v}"' for k, v in HEADERS.items()]
    if post:
        lines += [
            'wrk.method = "POST"',
            'wrk.headers["Content-Type"] = "application/json"',
            f"wrk.body = {json.dumps(BODY)}",
        ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + "\n")
    out = subprocess.run(
        [
            "wrk",
            "-t",
            "1" if connections == 1 else "2",
            "-c",
            str(connections),
            "-d",
            f"{duration}s",
            "--latency",
            "-s",
            script.name,
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)

    def millis(label: str) -> float:
        match = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out)
        if not match:
            return float("nan")
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "req/s": float(rate.group(1)) if rate else float("nan"),
        "p50 ms": millis("50%"),
        "p99 ms": millis("99%"),
        "non-2xx": float(non_2xx.group(1)) if non_2xx else 0.0,
    }


def serve(command: list[str], first: str, port: int) -> tuple[subprocess.Popen[bytes], float]:
    """Start a server; return it and the seconds from start to its first 200 on `first`."""
    with httpx.Client() as client:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
        )
        return process, wait_ready(client, f"http://127.0.0.1:{port}{first}", started)


def start_seconds(command: list[str], first: str, port: int, times: int = 5) -> float:
    """Median start to first 200 over `times` fresh starts: one start varies by 0.2 s here."""
    samples = []
    for _ in range(times):
        process, seconds = serve(command, first, port)
        samples.append(seconds)
        stop(process)
    return statistics.median(samples)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def load(
    name: str, base: str, record_path: str, duration: int
) -> list[tuple[str, str, dict | None]]:
    rows = []
    for connections in (1, 16):
        rows.append(
            (
                name,
                f"GET /{{id}}/ c={connections}",
                wrk(base + record_path, connections, duration, False),
            )
        )
        rows.append(
            (
                name,
                f"POST gen_image c={connections}",
                wrk(base + "/api/product_to_videos/gen_image/", connections, duration, True),
            )
        )
    return rows


MOCK = "creatify-mock (granian)"
BARE = "bare Flask (granian)"
BARE_WAITRESS = "bare Flask (waitress)"
PRISM = "Prism 5 (-v error)"


def prism_command(port: int) -> list[str] | None:
    prism = ROOT / "benchmarks" / ".prism" / "node_modules" / ".bin" / "prism"
    if not prism.exists() and shutil.which("npm"):
        subprocess.run(
            ["npm", "install", "--silent", "--prefix", str(prism.parents[2]),
             "@stoplight/prism-cli@5"],
            check=False,
            timeout=600,
        )  # fmt: skip
    if not prism.exists():
        return None
    return [str(prism), "mock", "-p", str(port), "-v", "error", str(ROOT / "spec/openapi.yaml")]


def servers() -> list[tuple[str, Callable[[int], list[str] | None], str]]:
    """(name, command for a port, path of the record to GET) for each server measured."""

    def granian(port: int) -> list[str]:
        return [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1",
                "--port", str(port), "--workers", "1", "--blocking-threads", "1",
                "--log-level", "warning", "benchmarks.bare_app:app"]  # fmt: skip

    def mock(port: int) -> list[str]:
        # As `make serve` runs it (the system clock, records moving on), logging off as
        # Prism's is.
        return [str(BIN / "creatify-mock"), "serve", "--port", str(port), "--quiet"]

    def waitress(port: int) -> list[str]:
        return [str(BIN / "waitress-serve"), f"--port={port}", "--threads=8",
                "benchmarks.bare_app:app"]  # fmt: skip

    bare_path = "/api/product_to_videos/x/"
    return [
        (MOCK, mock, ""),  # "": a record made after start
        (BARE, granian, bare_path),
        (BARE_WAITRESS, waitress, bare_path),
        (PRISM, prism_command, f"/api/product_to_videos/{PRISM_ID}/"),
    ]


PRISM_ID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per wrk run")
    parser.add_argument("--skip-tests", action="store_true", help="do not time `make test`")
    parser.add_argument("--skip-prism", action="store_true", help="do not try Prism")
    args = parser.parse_args()

    print("# in process (lowest of 5 round medians)")
    figures = in_process()
    for label, value in figures.items():
        print(f"{label:<66} {value:10.1f}")

    rows: list[tuple[str, str, dict | None]] = []
    starts: dict[str, float] = {}
    memory: dict[str, tuple[float, float]] = {}
    before: dict[str, float] = {}
    records: dict[str, int] = {}
    for name, build, record_path in servers():
        port = free_port()
        command = None if name == PRISM and args.skip_prism else build(port)
        if command is None:
            print(f"\n{name}: not measured" + ("" if args.skip_prism else " (npm failed)"))
            continue
        first = "/api/product_to_videos/" if name in (MOCK, PRISM) else record_path
        starts[name] = start_seconds(command, first, port, times=3 if name == PRISM else 5)
        process, _ = serve(command, first, port)
        before[name] = memory_mb(process.pid)[0]
        base = f"http://127.0.0.1:{port}"
        if not record_path:
            record_path = "/api/product_to_videos/{}/".format(
                httpx.post(
                    base + "/api/product_to_videos/gen_image/",
                    content=BODY,
                    headers={**HEADERS, "Content-Type": "application/json"},
                ).json()["id"]
            )
        rows += load(name, base, record_path, args.duration)
        memory[name] = memory_mb(process.pid)
        if name == MOCK:
            records[name] = int(httpx.get(base + "/__mock__/health").json()["records"])
        stop(process)

    print("\n# start to first 200 (s, median of 5 starts; Prism 3); memory (MB)")
    for name in starts:
        rss, pss = memory.get(name, (float("nan"), float("nan")))
        kept = f"   ({records[name]} records kept)" if name in records else ""
        print(
            f"{name:<28} start {starts[name]:5.2f} s   largest RSS before the load "
            f"{before.get(name, float('nan')):5.1f}, after {rss:5.1f}   "
            f"PSS of all its processes after {pss:5.1f}{kept}"
        )

    rates: dict[tuple[str, str], float] = {}
    print("\n# load (wrk, loopback, server and load generator on the same 2 cores)")
    if shutil.which("wrk") is None:
        print("wrk is not installed: `apt-get install wrk` (Debian), then run again")
    else:
        rates = {(n, case): m["req/s"] for n, case, m in rows if m}
        print(
            f"{'server':<26} {'case':<20} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} "
            f"{'non-2xx':>7} {'/bare':>6} {'/bare w':>7} {'/Prism':>6}"
        )
        for name, case, m in rows:
            if not m:
                continue

            def ratio(baseline: str, case: str = case, m: dict = m) -> float:
                return m["req/s"] / rates.get((baseline, case), float("nan"))

            print(
                f"{name:<26} {case:<20} {m['req/s']:7.0f} {m['p50 ms']:7.2f} {m['p99 ms']:7.2f} "
                f"{m['non-2xx']:7.0f} {ratio(BARE):6.2f} {ratio(BARE_WAITRESS):7.2f} "
                f"{ratio(PRISM):6.2f}"
            )
        print("/bare: bare Flask on granian (same server); /bare w: bare Flask on waitress")

    test_seconds = None
    if not args.skip_tests:
        started = time.perf_counter()
        # Not this make's variables: `make bench ARGS=...` would hand its ARGS to pytest.
        env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "ARGS")}
        result = subprocess.run(
            ["make", "test", "ARGS="], cwd=ROOT, capture_output=True, text=True, env=env
        )
        test_seconds = time.perf_counter() - started
        print(f"\n# make test: {test_seconds:.0f} s wall, exit {result.returncode}")
        if result.returncode:
            print("\n".join((result.stdout + result.stderr).splitlines()[-20:]))

    goals(figures, starts, memory, rates)


def goals(
    figures: dict[str, float],
    starts: dict[str, float],
    memory: dict[str, tuple[float, float]],
    rates: dict[tuple[str, str], float],
) -> None:
    """Each goal of issue 6 beside what this run measured."""
    print("\n# goals (issue 6)")
    nan = float("nan")
    lines = []
    for case in ("GET /{id}/ c=1", "GET /{id}/ c=16", "POST gen_image c=1", "POST gen_image c=16"):
        mock = rates.get((MOCK, case), nan)
        lines.append((f">= Prism, {case}", mock / rates.get((PRISM, case), nan), 1.0, "x"))
        lines.append(
            (f">= 0.75x bare Flask, {case}", mock / rates.get((BARE, case), nan), 0.75, "x")
        )
    worst = max(v for k, v in figures.items() if "fast path" in k)
    lines.append(("validation < 50 µs/request (fast path)", 50.0 / worst, 1.0, f"{worst:.0f} µs"))
    start = starts.get(MOCK, nan)
    lines.append(("start to first 200 < 0.5 s", 0.5 / start, 1.0, f"{start:.2f} s"))
    rss, pss = memory.get(MOCK, (nan, nan))
    lines.append(("memory < 80 MB (largest RSS)", 80.0 / rss, 1.0, f"{rss:.0f} MB"))
    lines.append(("memory < 80 MB (PSS of all processes)", 80.0 / pss, 1.0, f"{pss:.0f} MB"))
    respx = figures.get("respx path µs/call (GET by id, in process)", nan)
    lines.append(("respx path < 300 µs/call", 300.0 / respx, 1.0, f"{respx:.0f} µs"))
    for label, value, bar, shown in lines:
        measured = f"{value:.2f}x" if shown == "x" else shown
        verdict = "met" if value >= bar else "NOT met"
        print(f"{label:<44} {measured:>10}  {verdict}")


if __name__ == "__main__":
    main()
