"""kill -9 of `creatify-mock serve` under load, then a restart on the same --state file and
port, again and again (issue 12): nothing the mock acknowledged may be lost, nothing may
outlive it.

    python benchmarks/crashes.py [--cycles 10] [--clients 4] [--seconds 1.5]

Each cycle starts the mock (the same state file and port every time), lets `--clients`
threads create records for `--seconds`, each remembering the ids the mock answered 200
with, and kills the mock with SIGKILL in the middle of the load. It then counts orphans
(processes the mock had started that are still alive, or anything still answering on the
port), restarts the mock and counts the acknowledged records it no longer lists. Prints one
line per cycle and the totals; exits non-zero if anything was lost or orphaned. Everything
stays on 127.0.0.1 and in a temporary folder.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench import _tree, free_port, wait_ready  # noqa: E402

BIN = Path(sys.executable).parent
BASE = "/api/product_to_videos/"
HEADERS = {"X-API-ID": "crash", "X-API-KEY": "crash"}


def start(state: Path, port: int) -> subprocess.Popen[bytes]:
    command = [str(BIN / "creatify-mock"), "serve", "--port", str(port), "--quiet"]
    command += ["--state", str(state), "--max-records", "1000000"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    with httpx.Client(timeout=5, headers=HEADERS) as client:
        wait_ready(client, f"http://127.0.0.1:{port}{BASE}", time.perf_counter(), timeout=30)
    return process


def create_until(base: str, stop: threading.Event, acknowledged: set[str]) -> None:
    with httpx.Client(base_url=base, headers=HEADERS, timeout=5) as client:
        while not stop.is_set():
            try:
                answer = client.post(
                    BASE + "gen_image/", json={"product_url": "https://a.io/b.png"}
                )
            except httpx.TransportError:
                return  # the mock is gone; what it answered before counts
            if answer.status_code == 200:
                acknowledged.add(answer.json()["id"])


def alive(pid: int) -> bool:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return text.split(") ", 1)[1][0] != "Z"


def answers(port: int) -> bool:
    try:
        httpx.get(f"http://127.0.0.1:{port}{BASE}", headers=HEADERS, timeout=1)
    except httpx.TransportError:
        return False
    return True


def cycle(state: Path, port: int, clients: int, seconds: float) -> tuple[int, int, int]:
    """One kill -9 and restart: (acknowledged, lost, orphans)."""
    process = start(state, port)
    stop, acknowledged = threading.Event(), set[str]()
    base = f"http://127.0.0.1:{port}"
    threads = [
        threading.Thread(target=create_until, args=(base, stop, acknowledged))
        for _ in range(clients)
    ]
    for thread in threads:
        thread.start()
    time.sleep(seconds)
    family = _tree(process.pid)
    process.send_signal(signal.SIGKILL)  # no goodbye, mid-load
    process.wait(10)
    stop.set()
    for thread in threads:
        thread.join(10)
    time.sleep(0.2)
    orphans = sum(alive(pid) for pid in family if pid != process.pid) + answers(port)
    restarted = start(state, port)
    try:
        with httpx.Client(base_url=base, headers=HEADERS, timeout=30) as client:
            kept = {record["id"] for record in client.get(BASE).json()}
    finally:
        restarted.terminate()
        restarted.wait(10)
    return len(acknowledged), len(acknowledged - kept), orphans


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=1.5)
    args = parser.parse_args()
    port = free_port()
    totals = [0, 0, 0]
    with tempfile.TemporaryDirectory() as folder:
        state = Path(folder) / "mock.sqlite3"
        for n in range(1, args.cycles + 1):
            figures = cycle(state, port, args.clients, args.seconds)
            totals = [t + f for t, f in zip(totals, figures, strict=True)]
            acknowledged, lost, orphans = figures
            print(f"cycle {n:>2}: acknowledged {acknowledged:>5}, lost {lost}, orphans {orphans}")
    print(
        f"{args.cycles} kill -9 / restart cycles: acknowledged {totals[0]}, "
        f"lost {totals[1]}, orphans {totals[2]}"
    )
    sys.exit(1 if totals[1] or totals[2] else 0)


if __name__ == "__main__":
    main()
