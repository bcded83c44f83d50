"""Reproducible figures for creatify-mock, each beside a baseline measured in the same run.

    python benchmarks/bench.py [--duration 5] [--skip-tests] [--skip-prism]

Prints: validation cost per request in process; the respx path per call; start to first
200; resident memory after the load; req/s, p50 and p99 at 1 and 16 connections (wrk) for
the mock, a bare Flask app on the same server, and Prism when npm can install it; and the
wall time of `make test`.
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
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HEADERS = {"X-API-ID": "bench", "X-API-KEY": "bench"}
BODY = json.dumps({"product_url": "https://example.com/shoe.jpg"})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, started: float, timeout: float = 60.0) -> float:
    while time.perf_counter() - started < timeout:
        try:
            if httpx.get(url, headers=HEADERS, timeout=1).status_code == 200:
                return time.perf_counter() - started
        except httpx.HTTPError:
            time.sleep(0.005)
    raise RuntimeError(f"{url} never answered 200")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def in_process() -> dict[str, float]:
    from flask import Flask

    from contract_tests import CREATIFY_URL, CreatifyMock
    from mock_server import ManualClock, create_app
    from mock_server.state import state_of

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

            samples = []
            for _ in range(300):
                start = time.perf_counter()
                validator.check_request(request, f"product_to_videos_{name}")
                validator.check_response(request, response)
                samples.append(time.perf_counter() - start)
        figures[f"validation µs/request ({name}, request + response)"] = (
            statistics.median(samples) * 1e6
        )

    with (
        CreatifyMock(transport="respx") as mock,
        httpx.Client(base_url=CREATIFY_URL, headers=mock.headers) as http,
    ):
        record = http.post(
            "/api/product_to_videos/gen_image/",
            content=BODY,
            headers={"Content-Type": "application/json"},
        ).json()
        samples = []
        for _ in range(300):
            start = time.perf_counter()
            http.get(f"/api/product_to_videos/{record['id']}/")
            samples.append(time.perf_counter() - start)
    figures["respx path µs/call (GET by id, in process)"] = statistics.median(samples) * 1e6
    return figures


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


def serve(command: list[str], health: str, port: int) -> tuple[subprocess.Popen[bytes], float]:
    started = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    return process, wait_ready(f"http://127.0.0.1:{port}{health}", started)


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per wrk run")
    parser.add_argument("--skip-tests", action="store_true", help="do not time `make test`")
    parser.add_argument("--skip-prism", action="store_true", help="do not try Prism")
    args = parser.parse_args()

    print("# in process")
    for label, value in in_process().items():
        print(f"{label:<60} {value:10.1f}")

    rows: list[tuple[str, str, dict | None]] = []
    starts: dict[str, float] = {}
    memory: dict[str, float] = {}

    port = free_port()
    mock, starts["creatify-mock"] = serve(
        [str(BIN / "creatify-mock"), "serve", "--port", str(port), "--quiet", "--manual-clock"],
        "/__mock__/health",
        port,
    )
    base = f"http://127.0.0.1:{port}"
    record = httpx.post(
        base + "/api/product_to_videos/gen_image/",
        content=BODY,
        headers={**HEADERS, "Content-Type": "application/json"},
    ).json()
    rows += load("creatify-mock", base, f"/api/product_to_videos/{record['id']}/", args.duration)
    memory["creatify-mock"] = rss_mb(mock.pid)
    mock.terminate()
    mock.wait()

    port = free_port()
    bare, starts["bare Flask (waitress)"] = serve(
        [str(BIN / "waitress-serve"), f"--port={port}", "--threads=8", "benchmarks.bare_app:app"],
        "/api/product_to_videos/x/",
        port,
    )
    base = f"http://127.0.0.1:{port}"
    rows += load("bare Flask (waitress)", base, "/api/product_to_videos/x/", args.duration)
    memory["bare Flask (waitress)"] = rss_mb(bare.pid)
    bare.terminate()
    bare.wait()

    if not args.skip_prism:
        prism = ROOT / "benchmarks" / ".prism" / "node_modules" / ".bin" / "prism"
        if not prism.exists() and shutil.which("npm"):
            subprocess.run(
                [
                    "npm",
                    "install",
                    "--silent",
                    "--prefix",
                    str(prism.parents[2]),
                    "@stoplight/prism-cli@5",
                ],
                check=False,
                timeout=600,
            )
        if prism.exists():
            port = free_port()
            process, starts["Prism 5 (-v error)"] = serve(
                [
                    str(prism),
                    "mock",
                    "-p",
                    str(port),
                    "-v",
                    "error",
                    str(ROOT / "spec" / "openapi.yaml"),
                ],
                "/api/product_to_videos/",
                port,
            )
            base = f"http://127.0.0.1:{port}"
            rows += load(
                "Prism 5 (-v error)",
                base,
                "/api/product_to_videos/3c90c3cc-0d44-4b50-8888-8dd25736052a/",
                args.duration,
            )
            memory["Prism 5 (-v error)"] = rss_mb(process.pid)
            process.terminate()
            process.wait()
        else:
            print("\nPrism: not measured (npm could not install @stoplight/prism-cli)")

    print("\n# start to first 200 (s) and resident memory after the load (MB)")
    for name in starts:
        print(
            f"{name:<28} start {starts[name]:6.2f} s   rss {memory.get(name, float('nan')):7.1f} MB"
        )

    print("\n# load (wrk, loopback, server and load generator on the same cores)")
    if shutil.which("wrk") is None:
        print("wrk is not installed: `apt-get install wrk` (Debian), then run again")
    else:
        baseline = {(n, case): m for n, case, m in rows if m}
        print(
            f"{'server':<24} {'case':<22} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
            f"{'non-2xx':>8} {'vs bare':>8} {'vs Prism':>9}"
        )
        for name, case, m in rows:
            if not m:
                continue
            bare_rate = baseline.get(("bare Flask (waitress)", case), {}).get("req/s", float("nan"))
            prism_rate = baseline.get(("Prism 5 (-v error)", case), {}).get("req/s", float("nan"))
            print(
                f"{name:<24} {case:<22} {m['req/s']:9.0f} {m['p50 ms']:8.2f} {m['p99 ms']:8.2f} "
                f"{m['non-2xx']:8.0f} {m['req/s'] / bare_rate:8.2f} {m['req/s'] / prism_rate:9.2f}"
            )

    if not args.skip_tests:
        started = time.perf_counter()
        result = subprocess.run(["make", "test"], cwd=ROOT, capture_output=True, text=True)
        print(
            f"\n# make test: {time.perf_counter() - started:.0f} s wall, exit {result.returncode}"
        )


if __name__ == "__main__":
    main()
