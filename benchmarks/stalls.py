"""A normal client's latency while others stall the server (issue 12's figures).

    python benchmarks/stalls.py [--stalled 50] [--idle 1000] [--gets 50] [-- SERVE OPTIONS]

Starts `creatify-mock serve` on a free loopback port, then opens `--stalled` connections that
send a request's headers and part of its body and then nothing, `--stalled` more that announce
a chunk of FFFFFFFF bytes and send nothing after it, and `--idle` connections that send
nothing at all. With all of them open, a normal client makes `--gets` GETs, each on a new
connection, and the script prints their latency (median and worst), then how the stalled
connections ended (the mock's answer to them, or the connection closed). Everything stays
on 127.0.0.1 and ends by itself.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench import HEADERS, free_port, wait_ready  # noqa: E402

BIN = Path(sys.executable).parent
CREATE = "/api/product_to_videos/gen_image/"


def stalled_body(port: int, chunked: bool) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    head = f"POST {CREATE} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in HEADERS.items())
    head += "Content-Type: application/json\r\n"
    if chunked:
        sock.sendall((head + "Transfer-Encoding: chunked\r\n\r\nFFFFFFFF\r\n{").encode())
    else:
        sock.sendall((head + "Content-Length: 1000\r\n\r\n" + '{"product_url": "ht').encode())
    return sock


def idle(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port))


def timed_gets(base: str, count: int, timeout: float = 10.0) -> list[float]:
    """Seconds per GET, each on a new connection; one that got no answer counts as inf."""
    seconds = []
    fresh = httpx.Limits(max_keepalive_connections=0)  # every GET opens its own connection
    with httpx.Client(timeout=timeout, limits=fresh) as client:
        for _ in range(count):
            started = time.perf_counter()
            try:
                client.get(base + "/api/product_to_videos/", headers=HEADERS).raise_for_status()
            except httpx.TransportError:
                seconds.append(float("inf"))
                continue
            seconds.append(time.perf_counter() - started)
    return seconds


def ending(sock: socket.socket, wait: float) -> str:
    """What the mock did with a stalled connection: its status line, or that it closed it."""
    sock.settimeout(wait)
    try:
        data = sock.recv(4096)
    except TimeoutError:
        return "still open"
    except OSError as exc:
        return f"closed ({exc.__class__.__name__})"
    if not data:
        return "closed, no answer"
    return data.split(b"\r\n", 1)[0].decode(errors="replace")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stalled", type=int, default=50)
    parser.add_argument("--idle", type=int, default=1000)
    parser.add_argument("--gets", type=int, default=50)
    parser.add_argument("--wait", type=float, default=40.0, help="seconds to wait for endings")
    parser.add_argument("--port", type=int, help="probe a mock already serving on this port")
    parser.add_argument("serve_options", nargs="*")
    args = parser.parse_args()
    port = args.port or free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(BIN / "creatify-mock"), "serve", "--port", str(port), "--quiet"]
    command += ["--api-id", HEADERS["X-API-ID"], "--api-key", HEADERS["X-API-KEY"]]
    if args.port:
        command = ["sleep", "infinity"]
    process = subprocess.Popen(command + args.serve_options, stdout=subprocess.DEVNULL)
    held: list[socket.socket] = []
    try:
        with httpx.Client(timeout=30) as client:
            wait_ready(client, base + "/api/product_to_videos/", time.perf_counter())
        baseline = timed_gets(base, args.gets)
        stalled = [stalled_body(port, chunked=n % 2 == 1) for n in range(2 * args.stalled)]
        held += stalled
        held += [idle(port) for _ in range(args.idle)]
        time.sleep(0.5)  # the server has read what the stalled ones sent
        loaded = timed_gets(base, args.gets)
        for label, figures in (("alone", baseline), ("with them open", loaded)):
            p95 = sorted(figures)[int(0.95 * (len(figures) - 1))]
            print(
                f"GET {label:<16} median {statistics.median(figures) * 1000:8.1f} ms   "
                f"p95 {p95 * 1000:8.1f} ms   worst {max(figures) * 1000:8.1f} ms   "
                f"({len(figures)} GETs)"
            )
        print(f"open: {2 * args.stalled} stalled bodies (half chunked), {args.idle} idle sockets")
        deadline = time.monotonic() + args.wait
        endings: dict[str, int] = {}
        for sock in stalled:
            end = ending(sock, max(0.01, deadline - time.monotonic()))
            endings[end] = endings.get(end, 0) + 1
        print(f"stalled bodies after {args.wait:.0f} s: {endings}")
    finally:
        for sock in held:
            sock.close()
        process.terminate()
        process.wait(10)


if __name__ == "__main__":
    main()
