"""Memory of a served mock under hostile traffic, before and after (issue 12's figures).

    python benchmarks/hostile.py [--requests 500] [--header-kb 200]

Starts `creatify-mock serve` on a free loopback port and prints the largest RSS of its
processes: at rest; after `--requests` requests, each with an X-Trace header of
`--header-kb` KB (half of them with a wrong key, so refused 401; past 256 KB in all the
server refuses them 431 before the mock sees them); and after four webhook deliveries whose
receiver answers with 200 MB. Everything stays on 127.0.0.1 and ends by itself. (Carrying a
200 KB header takes about 50 ms here, hence 500 requests.)
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench import HEADERS, free_port, memory_mb, wait_ready  # noqa: E402

BIN = Path(sys.executable).parent


def flood_receiver(size: int) -> tuple[str, threading.Thread]:
    """A receiver that answers every POST with `size` bytes (as far as the mock reads)."""
    server = socket.create_server(("127.0.0.1", 0))
    server.settimeout(60)

    def serve() -> None:
        for _ in range(4):
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.settimeout(10)
                try:
                    conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Length: {size}\r\n\r\n".encode())
                    chunk, sent = b"x" * (1 << 20), 0
                    while sent < size:
                        conn.sendall(chunk)
                        sent += len(chunk)
                except OSError:
                    pass  # the mock hung up, as it should
        server.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{server.getsockname()[1]}/hook", thread


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--header-kb", type=int, default=200)
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(BIN / "creatify-mock"), "serve", "--port", str(port), "--quiet"]
    command += ["--initializing-seconds", "0.1", "--image-seconds", "0.2"]
    command += ["--api-id", HEADERS["X-API-ID"], "--api-key", HEADERS["X-API-KEY"]]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        with httpx.Client(timeout=30) as client:
            wait_ready(client, base + "/api/product_to_videos/", time.perf_counter())
            print(f"{'at rest':<44} RSS {memory_mb(process.pid)[0]:7.1f} MB")
            big = "x" * (args.header_kb * 1024)
            started = time.perf_counter()
            statuses: dict[int, int] = {}
            for n in range(args.requests):
                key = HEADERS["X-API-KEY"] if n % 2 else "wrong"
                answer = client.get(
                    base + "/api/product_to_videos/",
                    headers={**HEADERS, "X-API-KEY": key, "Prefer": big},
                )
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1
            seconds = time.perf_counter() - started
            print(
                f"{f'after {args.requests} requests, {args.header_kb} KB header':<44} "
                f"RSS {memory_mb(process.pid)[0]:7.1f} MB   ({seconds:.1f} s, statuses {statuses})"
            )
            url, receiver = flood_receiver(200 * 1024 * 1024)
            for _ in range(4):
                client.post(
                    base + "/api/product_to_videos/gen_image/",
                    json={"product_url": "https://example.com/a.jpg", "webhook_url": url},
                    headers=HEADERS,
                )
            receiver.join(60)
            time.sleep(1)
            deliveries = client.get(base + "/__mock__/webhooks").json()["deliveries"]
            states = [d["state"] for d in deliveries]
            print(
                f"{'after 4 webhooks answered with 200 MB each':<44} "
                f"RSS {memory_mb(process.pid)[0]:7.1f} MB   (deliveries {states})"
            )
    finally:
        process.terminate()
        process.wait(10)


if __name__ == "__main__":
    main()
