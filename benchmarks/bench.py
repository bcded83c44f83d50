"""Reproducible figures for creatify-mock, each beside a baseline measured in the same run.

    python benchmarks/bench.py [--duration 5] [--skip-tests] [--skip-prism] [--before DIR]

Prints: validation cost per request in process (the fast path, and openapi-core alone); the
respx path per call, respx's own floor, and the mock's share above that floor; start to
first 200; memory after the load; req/s, p50 and p99 at 1 and 16 connections (wrk) for the
mock, the bare Flask baselines on the same server (waitress: a constant GET, and a POST that
parses, validates with jsonschema-rs and stores in SQLite), the mock of another checkout
(`--before DIR`, side by side with this one) and Prism when npm can install it; the wall time
of `make test`; and each goal of issue 11 beside what was measured.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import functools
import json
import multiprocessing
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HEADERS = {"X-API-ID": "bench", "X-API-KEY": "bench"}
BODY = json.dumps({"product_url": "https://example.com/shoe.jpg"})


# == The project's internals ===================================================================
# Every name this file takes from the project under test (mock_server, contract_tests) is
# imported in mock_internals() and nowhere else: when a module moves, re-point it here.


@dataclass(frozen=True)
class MockInternals:
    create_app: Callable[..., Any]  # (clock=...) -> the mock's Flask app
    manual_clock: Callable[[], Any]  # a clock that moves only when told to
    validator_of: Callable[[Any], Any]  # app -> the validator its requests go through
    json_reply: Callable[[int, Any], Any]  # (status, data) -> a reply as the pipeline sends it
    unparsed: Any  # the parsed body of a request that has none
    # (validator, request, reply, operation id, parsed body) -> violations, fast path
    fast_violations: Callable[[Any, Any, Any, str, Any], list[Any]]
    # (validator, request, werkzeug response, operation id) -> violations, openapi-core alone
    core_violations: Callable[[Any, Any, Any, str], list[Any]]
    creatify_mock: Callable[..., Any]  # contract_tests.CreatifyMock
    creatify_url: str  # the base URL respx answers for


def mock_internals() -> MockInternals:
    from contract_tests import CREATIFY_URL, CreatifyMock
    from mock_server import ManualClock, create_app
    from mock_server.api.reply import Reply
    from mock_server.api.state import state_of
    from mock_server.contract.compiled import UNPARSED

    def fast(validator: Any, request: Any, reply: Any, operation: str, parsed: Any) -> list:
        return [
            *validator.check_request(request, operation, parsed).violations,
            *validator.check_response(request, reply, operation),
        ]

    def core(validator: Any, request: Any, response: Any, operation: str) -> list:
        return [
            *validator.check_request(request, operation, only="openapi").violations,
            *validator.check_response(request, response, operation, only="openapi"),
        ]

    return MockInternals(
        create_app=create_app,
        manual_clock=ManualClock,
        validator_of=lambda app: state_of(app).validator,
        json_reply=Reply.json,
        unparsed=UNPARSED,
        fast_violations=fast,
        core_violations=core,
        creatify_mock=CreatifyMock,
        creatify_url=CREATIFY_URL,
    )


# == Servers ===================================================================================

MOCK = "mock (this tree)"
BEFORE = "mock (before)"
BARE = "bare Flask (waitress)"  # the one bare app; its GET answers a constant
BARE_POST = "bare Flask + jsonschema-rs + SQLite (waitress)"  # the same app's POST
PRISM = "Prism 5 (-v error)"
PRISM_ID = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
LIST = "/api/product_to_videos/"
GEN_IMAGE = "/api/product_to_videos/gen_image/"
CASES = (  # (case, POST?, connections)
    ("GET /{id}/ c=1", False, 1),
    ("POST gen_image c=1", True, 1),
    ("GET /{id}/ c=16", False, 16),
    ("POST gen_image c=16", True, 16),
)


@dataclass
class Server:
    name: str
    command: list[str]
    first: str  # an authenticated GET that answers 200 once the server is up
    record_path: str  # what the GET cases fetch; "": a record POSTed after start
    cwd: Path = ROOT
    starts: int = 5  # fresh starts for the start figure
    port: int = 0

    def row_name(self, case: str) -> str:
        """The name a load row goes by: the bare app's POST is its own baseline."""
        return BARE_POST if self.name == BARE and case.startswith("POST") else self.name


def servers(before: Path | None, skip_prism: bool) -> list[Server]:
    """Every server measured, each on its own port on the loopback."""

    def mock(executable: Path, port: int) -> list[str]:
        # As `make serve` runs it (the system clock, records moving on), logging off as
        # Prism's.
        return [str(executable), "serve", "--host", "127.0.0.1", "--port", str(port), "--quiet"]

    found = []
    port = free_port()
    found.append(Server(MOCK, mock(BIN / "creatify-mock", port), LIST, "", port=port))
    if before is not None:
        port = free_port()
        command = mock(before / ".venv" / "bin" / "creatify-mock", port)
        found.append(Server(BEFORE, command, LIST, "", cwd=before, port=port))
    port = free_port()
    waitress = [str(BIN / "python"), "-m", "benchmarks.bare_app", str(port)]
    bare_path = "/api/product_to_videos/x/"
    found.append(Server(BARE, waitress, bare_path, bare_path, port=port))
    if skip_prism:
        print(f"{PRISM}: not measured (--skip-prism)")
    else:
        port = free_port()
        prism = prism_command(port)
        if prism is None:
            print(f"{PRISM}: not measured (npm failed)")
        else:
            prism_path = f"/api/product_to_videos/{PRISM_ID}/"
            found.append(Server(PRISM, prism, LIST, prism_path, starts=3, port=port))
    return found


def prism_command(port: int) -> list[str] | None:
    prism = ROOT / "benchmarks" / ".prism" / "node_modules" / ".bin" / "prism"
    if not prism.exists() and shutil.which("npm"):
        subprocess.run(
            [
                *("npm", "install", "--silent", "--prefix", str(prism.parents[2])),
                "@stoplight/prism-cli@5",
            ],
            check=False,
            timeout=600,
        )
    if not prism.exists():
        return None
    return [
        *(str(prism), "mock", "-h", "127.0.0.1", "-p", str(port), "-v", "error"),
        str(ROOT / "spec/openapi.yaml"),
    ]


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


def serve(server: Server) -> tuple[subprocess.Popen[bytes], float]:
    """Start a server; return it and the seconds from start to its first 200."""
    with httpx.Client() as client:
        started = time.perf_counter()
        process = subprocess.Popen(
            server.command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=server.cwd
        )
        try:
            url = f"http://127.0.0.1:{server.port}{server.first}"
            return process, wait_ready(client, url, started)
        except BaseException:
            stop(process)
            raise


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def start_seconds(found: list[Server]) -> dict[str, float]:
    """Median start to first 200 over each server's fresh starts (one start varies by 0.2 s
    here), the servers started in turn so that a slow spell falls on all of them."""
    samples: dict[str, list[float]] = {server.name: [] for server in found}
    for index in range(max(server.starts for server in found)):
        for server in found:
            if index < server.starts:
                process, seconds = serve(server)
                samples[server.name].append(seconds)
                stop(process)
    return {name: statistics.median(values) for name, values in samples.items()}


def _tree(pid: int) -> list[int]:
    """The process and its descendants (the mock of an older checkout forks a granian worker)."""
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


def wrk(url: str, connections: int, duration: int, post: bool) -> dict[str, float]:
    lines = [f'wrk.headers["{k}"] = "{v}"' for k, v in HEADERS.items()]
    if post:
        lines += [
            'wrk.method = "POST"',
            'wrk.headers["Content-Type"] = "application/json"',
            f"wrk.body = {json.dumps(BODY)}",
        ]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("\n".join(lines) + "\n")
    threads = "1" if connections == 1 else "2"
    try:
        out = subprocess.run(
            [
                *("wrk", "-t", threads, "-c", str(connections), "-d", f"{duration}s"),
                *("--latency", "-s", script.name, url),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
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


@dataclass
class Measured:
    starts: dict[str, float]
    rss_before: dict[str, float]
    memory: dict[str, tuple[float, float]]  # after the load: (largest RSS, PSS of the tree)
    records: dict[str, int]  # records a mock kept after the load
    rows: list[tuple[str, str, dict[str, float]]]  # (row name, case, wrk's figures)


def measure(found: list[Server], duration: int) -> Measured:
    """Start figures, then every server up at once and each load case run on them in turn
    (the order reversed from one case to the next): a slow spell of this shared VM then falls
    on all of them, not on whichever ran during it. An idle server costs the others nothing."""
    measured = Measured(start_seconds(found), {}, {}, {}, [])
    if shutil.which("wrk") is None:
        return measured
    with contextlib.ExitStack() as running:
        processes = {}
        for server in found:
            process, _ = serve(server)
            running.callback(stop, process)
            processes[server.name] = process
            measured.rss_before[server.name] = memory_mb(process.pid)[0]
            if not server.record_path:
                server.record_path = f"/api/product_to_videos/{create_record(server.port)['id']}/"
        results = {}
        for index, (case, is_post, connections) in enumerate(CASES):
            for server in found if index % 2 == 0 else found[::-1]:
                path = GEN_IMAGE if is_post else server.record_path
                url = f"http://127.0.0.1:{server.port}{path}"
                results[server.name, case] = wrk(url, connections, duration, is_post)
        # PSS splits a page among all the processes mapping it, whichever server they serve:
        # up beside the bare app (same .venv), this tree's mock showed about 7 MB less PSS
        # than alone. So the others are read and stopped first, and this tree's mock is read
        # alone; the bare app's PSS is the one read beside a server of its .venv.
        for server in sorted(found, key=lambda server: server.name == MOCK):
            process = processes[server.name]
            measured.memory[server.name] = memory_mb(process.pid)
            if server.name in (MOCK, BEFORE):
                health = f"http://127.0.0.1:{server.port}/__mock__/health"
                with contextlib.suppress(httpx.HTTPError, KeyError, ValueError):
                    measured.records[server.name] = int(httpx.get(health).json()["records"])
            stop(process)
    measured.rows = [
        (server.row_name(case), case, results[server.name, case])
        for server in found
        for case, _, _ in CASES
    ]
    return measured


def create_record(port: int) -> dict[str, Any]:
    return httpx.post(
        f"http://127.0.0.1:{port}{GEN_IMAGE}",
        content=BODY,
        headers={**HEADERS, "Content-Type": "application/json"},
    ).json()


# == In process ================================================================================


def median_us(call: Callable[[], Any], calls: int) -> float:
    samples = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1e6


def steady(call: Callable[[], Any], per_round: int, rounds: int = 5) -> float:
    """The lowest of `rounds` medians of `per_round` calls, in µs. On this shared VM a
    single median moved by half from run to run; the quietest round's does not."""
    return min(median_us(call, per_round) for _ in range(rounds))


Within = Callable[[], contextlib.AbstractContextManager[Any]]


def steady_in_turn(
    cases: dict[str, tuple[Within, Callable[[], Any]]], per_round: int, rounds: int = 5
) -> dict[str, float]:
    """steady() for several calls, their rounds taken in turn, each inside its context: a
    slow spell then falls on all of them alike, so their differences hold better."""
    medians: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(rounds):
        for name, (within, call) in cases.items():
            with within():
                medians[name].append(median_us(call, per_round))
    return {name: min(values) for name, values in medians.items()}


def _passes(check: Callable[[], list[Any]]) -> None:
    found = check()
    assert not found, found


RESPX = "respx path µs/call (GET by id, in process)"
RESPX_FLOOR = "  floor: a respx route answering the same JSON µs/call (no app)"
RESPX_SHARE = "  the mock's share above respx's floor µs/call (path - floor)"


def in_process_apart() -> dict[str, float]:
    """in_process() in a child process, ended before any server starts. This process would
    otherwise map the compiled modules of this tree's .venv and take a share of the served
    mock's pages in its PSS (about 3 MB here), a share the mock of --before keeps."""
    spawn = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=spawn) as child:
        return child.submit(in_process).result()


def in_process() -> dict[str, float]:
    from flask import request

    mock = mock_internals()
    app = mock.create_app(clock=mock.manual_clock())
    validator = mock.validator_of(app)
    client = app.test_client()
    created = client.post(GEN_IMAGE, data=BODY, content_type="application/json", headers=HEADERS)
    record_id = created.get_json()["id"]
    figures = {}
    for name, method, path, data in (
        ("retrieve", "GET", f"/api/product_to_videos/{record_id}/", None),
        ("gen_image", "POST", GEN_IMAGE, BODY),
    ):
        sent = {"data": data, "content_type": "application/json", "headers": HEADERS}
        response = client.open(path, method=method, **sent)
        with app.test_request_context(path, method=method, **sent):
            operation = f"product_to_videos_{name}"
            parsed = json.loads(data) if data else mock.unparsed
            # The compiled validator checks a response as the pipeline sends it: a Reply, whose
            # data it takes as is.
            reply = mock.json_reply(response.status_code, response.get_json())
            fast = functools.partial(
                mock.fast_violations, validator, request, reply, operation, parsed
            )
            core = functools.partial(mock.core_violations, validator, request, response, operation)
            fast_us = steady(functools.partial(_passes, fast), 400)
            core_us = steady(functools.partial(_passes, core), 20)
        figures[f"validation µs/request, {name} (fast path, request + response)"] = fast_us
        figures[f"validation µs/request, {name} (openapi-core alone)"] = core_us
    figures.update(respx_figures(mock))
    return figures


def respx_figures(mock: MockInternals) -> dict[str, float]:
    """The respx path through the mock, and respx's own cost: the same router settings and
    the same client, a route answering the mock's JSON with no app behind it. Their rounds
    are taken in turn, one router started at a time."""
    import respx

    with (
        mock.creatify_mock(transport="respx") as creatify,
        httpx.Client(base_url=mock.creatify_url, headers=creatify.headers) as http,
    ):
        record = http.post(
            GEN_IMAGE, content=BODY, headers={"Content-Type": "application/json"}
        ).json()
        path = f"/api/product_to_videos/{record['id']}/"

        def answer(request: httpx.Request) -> httpx.Response:
            return httpx.Response(200, json=record)

        floor = respx.MockRouter(base_url=mock.creatify_url, assert_all_called=False)
        floor.route().mock(side_effect=answer)

        @contextlib.contextmanager
        def started(router: Any) -> Iterator[None]:
            router.start()
            try:
                yield
            finally:
                router.stop(quiet=True)

        plain = httpx.Client(base_url=mock.creatify_url, transport=httpx.MockTransport(answer))
        get = functools.partial(http.get, path)
        creatify.router.stop(quiet=True)  # started again below, for CreatifyMock to stop
        try:
            with plain:
                us = steady_in_turn(
                    {
                        RESPX: (functools.partial(started, creatify.router), get),
                        RESPX_FLOOR: (functools.partial(started, floor), get),
                        "transport": (contextlib.nullcontext, functools.partial(plain.get, path)),
                    },
                    400,
                )
        finally:
            creatify.router.start()
    return {
        RESPX: us[RESPX],
        "  floor: httpx MockTransport µs/call (same JSON, no app)": us["transport"],
        RESPX_FLOOR: us[RESPX_FLOOR],
        RESPX_SHARE: us[RESPX] - us[RESPX_FLOOR],
    }


# == Report ====================================================================================


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds of load per wrk run")
    parser.add_argument("--skip-tests", action="store_true", help="do not time `make test`")
    parser.add_argument("--skip-prism", action="store_true", help="do not try Prism")
    parser.add_argument(
        "--before",
        type=Path,
        metavar="DIR",
        help="another checkout of this project with its own .venv (`make bytecode` there): "
        "its mock is measured beside this one's, in the same run",
    )
    parser.add_argument(
        "--noise",
        type=float,
        default=0.10,
        help="the share by which the mock may trail the mock of --before and still hold "
        "(default 0.10)",
    )
    args = parser.parse_args()
    before = args.before.resolve() if args.before else None
    if before is not None and not (before / ".venv" / "bin" / "creatify-mock").exists():
        parser.error(f"--before: no {before}/.venv/bin/creatify-mock (run `make bytecode` there)")

    print("# in process, this tree (lowest of 5 round medians)")
    figures = in_process_apart()
    for label, value in figures.items():
        print(f"{label:<66} {value:10.1f}")

    print()
    found = servers(before, args.skip_prism)
    measured = measure(found, args.duration)
    print_start_and_memory(found, measured)
    rates: dict[tuple[str, str], float] = {}
    print("\n# load (wrk, loopback, servers and load generator on the same 2 cores)")
    if shutil.which("wrk") is None:
        print("wrk is not installed: `apt-get install wrk` (Debian), then run again")
    else:
        rates = {(name, case): m["req/s"] for name, case, m in measured.rows}
        print_load(measured.rows, rates)
    if before is not None:
        print_before_after(before, measured)

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

    goals(figures, measured, rates, args.noise)


def num(value: float, spec: str) -> str:
    """`value` as `spec` formats it; "-" where it was not measured (nan)."""
    return "-" if value != value else format(value, spec)


def print_start_and_memory(found: list[Server], measured: Measured) -> None:
    nan = float("nan")
    print("\n# start to first 200 (median of fresh starts, taken in turn); memory (MB)")
    print(
        f"{'server':<22} {'starts':>6} {'start s':>7} {'RSS before':>10} {'RSS after':>9} "
        f"{'PSS after':>9} {'records kept':>12}"
    )
    for server in found:
        rss, pss = measured.memory.get(server.name, (nan, nan))
        records = float(measured.records.get(server.name, nan))
        print(
            f"{server.name:<22} {server.starts:6d} {measured.starts[server.name]:7.2f} "
            f"{num(measured.rss_before.get(server.name, nan), '.1f'):>10} "
            f"{num(rss, '.1f'):>9} {num(pss, '.1f'):>9} {num(records, '.0f'):>12}"
        )
    print(
        "RSS: the largest of one process, before and after the load; PSS: summed over all\n"
        "the server's processes, after the load (one for waitress; two where granian forks).\n"
        f"{BARE} is one app: its GET answers a constant; its POST is\n{BARE_POST}."
    )


def print_load(
    rows: list[tuple[str, str, dict[str, float]]], rates: dict[tuple[str, str], float]
) -> None:
    nan = float("nan")
    width = max(len(name) for name, _, _ in rows)
    print(
        f"{'server':<{width}} {'case':<19} {'req/s':>6} {'p50 ms':>6} {'p99 ms':>6} "
        f"{'non-2xx':>7} {'/bare':>5} {'/before':>7} {'/Prism':>6}"
    )
    for name, case, m in rows:
        bare = BARE_POST if case.startswith("POST") else BARE
        ratios = [m["req/s"] / rates.get((other, case), nan) for other in (bare, BEFORE, PRISM)]
        print(
            f"{name:<{width}} {case:<19} {m['req/s']:6.0f} {m['p50 ms']:6.2f} "
            f"{m['p99 ms']:6.2f} {m['non-2xx']:7.0f} {num(ratios[0], '.2f'):>5} "
            f"{num(ratios[1], '.2f'):>7} {num(ratios[2], '.2f'):>6}"
        )
    print(
        f"/bare: req/s over the bare app's on the same server: a GET over {BARE}'s,\n"
        f"a POST over {BARE_POST}'s.\n/before: over {BEFORE}'s. /Prism: over {PRISM}'s."
    )


def print_before_after(before: Path, measured: Measured) -> None:
    nan = float("nan")
    print(f"\n# the mock: before ({before}), after (this tree), both in this run")
    print(f"{'':<34} {'before':>9} {'after':>9} {'after/before':>12}")
    was_memory = measured.memory.get(BEFORE, (nan, nan))
    now_memory = measured.memory.get(MOCK, (nan, nan))
    lines: list[tuple[str, float, float]] = [
        ("start to first 200 s", measured.starts[BEFORE], measured.starts[MOCK]),
        (
            "largest RSS before the load MB",
            measured.rss_before.get(BEFORE, nan),
            measured.rss_before.get(MOCK, nan),
        ),
        ("largest RSS after the load MB", was_memory[0], now_memory[0]),
        ("PSS of all processes after MB", was_memory[1], now_memory[1]),
        (
            "records kept",
            float(measured.records.get(BEFORE, nan)),
            float(measured.records.get(MOCK, nan)),
        ),
    ]
    figures = {(name, case): m for name, case, m in measured.rows}
    for case, _, _ in CASES:
        old, new = figures.get((BEFORE, case), {}), figures.get((MOCK, case), {})
        for key in ("req/s", "p50 ms", "p99 ms"):
            lines.append((f"{case} {key}", old.get(key, nan), new.get(key, nan)))
    for label, was, now in lines:
        spec = ".0f" if label == "records kept" or label.endswith("req/s") else ".2f"
        print(f"{label:<34} {num(was, spec):>9} {num(now, spec):>9} {num(now / was, '.2f'):>12}")


def goals(
    figures: dict[str, float],
    measured: Measured,
    rates: dict[tuple[str, str], float],
    noise: float,
) -> None:
    """Each goal of issue 11 beside what this run measured."""
    print("\n# goals (issue 11: performance must hold)")
    nan = float("nan")
    lines: list[tuple[str, float, str, bool]] = []  # (goal, figure, as shown, met)
    for case, _, _ in CASES:
        ratio = rates.get((MOCK, case), nan) / rates.get((BEFORE, case), nan)
        label = f"{case} req/s, within noise of {BEFORE}'s (>= {1 - noise:.2f}x)"
        lines.append((label, ratio, f"{ratio:.2f}x", ratio >= 1 - noise))
    for case, _, _ in CASES[1::2]:
        ratio = rates.get((MOCK, case), nan) / rates.get((BARE_POST, case), nan)
        label = f"{case} req/s >= 0.90x bare Flask + jsonschema-rs + SQLite's"
        lines.append((label, ratio, f"{ratio:.2f}x", ratio >= 0.9))
    share = figures.get(RESPX_SHARE, nan)
    label = "respx: the mock's share above respx's floor < 100 µs"
    lines.append((label, share, f"{share:.0f} µs", share < 100))
    worst = max(v for k, v in figures.items() if "fast path" in k)
    lines.append(("validation < 50 µs/request (fast path)", worst, f"{worst:.0f} µs", worst < 50))
    start = measured.starts.get(MOCK, nan)
    lines.append(("start to first 200 < 0.5 s", start, f"{start:.2f} s", start < 0.5))
    rss, pss = measured.memory.get(MOCK, (nan, nan))
    lines.append(("memory < 80 MB (largest RSS after the load)", rss, f"{rss:.0f} MB", rss < 80))
    lines.append(("memory < 80 MB (PSS of all processes after)", pss, f"{pss:.0f} MB", pss < 80))
    width = max(len(label) for label, _, _, _ in lines)
    for label, value, shown, met in lines:
        # nan: a server or a tool was missing (--before, wrk)
        if value != value:
            shown, verdict = "-", "not measured"
        else:
            verdict = "met" if met else "NOT met"
        print(f"{label:<{width}} {shown:>9}  {verdict}")
    if BEFORE in measured.starts:
        was, now = measured.starts[BEFORE], measured.starts[MOCK]
        was_rss, was_pss = measured.memory.get(BEFORE, (nan, nan))
        print(
            f"beside {BEFORE}: start {now:.2f} s against {was:.2f} s; largest RSS {rss:.0f} "
            f"against {was_rss:.0f} MB; PSS {pss:.0f} against {was_pss:.0f} MB"
        )


if __name__ == "__main__":
    main()
