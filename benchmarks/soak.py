"""A soak of `creatify-mock serve`: whole flows from several accounts at once (issue 12).

    python benchmarks/soak.py [--seconds 60] [--accounts 4] [--workers 2] [-- SERVE OPTIONS]

Each worker runs flows until time is up: gen_image, polls until the image is ready,
gen_video, polls until the video is ready, then regen_image and regen_video on the record,
each the documented way (a few records fail, as `--failure-rate` makes them). The script
remembers every record the mock acknowledged (a 200 with its id) and every status it saw,
then prints: flows, requests, 5xx answers, records lost (acknowledged, not listed
afterwards), duplicated (listed twice, or listed and never acknowledged), statuses that went
backwards, and records seen by another account. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench import free_port, wait_ready  # noqa: E402

BIN = Path(sys.executable).parent
BASE = "/api/product_to_videos/"
ORDER = ["initializing", "image_generating", "image_generated", "video_generating"]
ORDER += ["video_generated"]
ENDED = {"image_generated", "video_generated", "failed"}


def _rank(status: str) -> int:
    return len(ORDER) if status == "failed" else ORDER.index(status)  # failed ends a record


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    flows: int = 0
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    made: dict[str, set[str]] = field(default_factory=dict)  # account -> acknowledged ids
    seen: dict[str, str] = field(default_factory=dict)  # id -> the furthest status seen
    backwards: list[tuple[str, str, str]] = field(default_factory=list)

    def answer(self, response: httpx.Response) -> None:
        with self.lock:
            self.requests += 1
            self.statuses[response.status_code] += 1

    def record(self, account: str, record: dict[str, Any], created: bool = False) -> None:
        with self.lock:
            if created:
                self.made.setdefault(account, set()).add(record["id"])
            status, before = record["status"], self.seen.get(record["id"])
            if before is not None and _rank(status) < _rank(before):
                self.backwards.append((record["id"], before, status))
            elif before is None or _rank(status) > _rank(before):
                self.seen[record["id"]] = status


def until(client: httpx.Client, tally: Tally, account: str, record_id: str, ends: set[str]) -> str:
    while True:
        response = client.get(f"{BASE}{record_id}/")
        tally.answer(response)
        if response.status_code != 200:
            return ""
        record = response.json()
        tally.record(account, record)
        if record["status"] in ends:
            return str(record["status"])
        time.sleep(0.02)


def call(
    client: httpx.Client, tally: Tally, account: str, path: str, body: dict[str, Any]
) -> dict[str, Any] | None:
    response = client.post(path, json=body)
    tally.answer(response)
    if response.status_code not in (200, 201):
        return None
    record: dict[str, Any] = response.json()
    tally.record(account, record, created=True)
    return record


def flow(client: httpx.Client, tally: Tally, account: str) -> None:
    product = {"product_url": "https://example.com/soak.jpg"}
    made = call(client, tally, account, BASE + "gen_image/", product)
    if made is None or until(client, tally, account, made["id"], ENDED) != "image_generated":
        return
    video = call(client, tally, account, f"{BASE}{made['id']}/gen_video/", {})
    if video is None or until(client, tally, account, made["id"], ENDED) != "video_generated":
        return
    call(client, tally, account, f"{BASE}{made['id']}/regen_image/", {})
    call(client, tally, account, f"{BASE}{made['id']}/regen_video/", {})


def worker(base: str, account: str, tally: Tally, stop_at: float) -> None:
    headers = {"X-API-ID": account, "X-API-KEY": "soak"}
    with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
        while time.monotonic() < stop_at:
            flow(client, tally, account)
            with tally.lock:
                tally.flows += 1


def listed(base: str, account: str) -> list[str]:
    headers = {"X-API-ID": account, "X-API-KEY": "soak"}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        response = client.get(BASE)
        response.raise_for_status()
        return [r["id"] for r in response.json()]


def report(base: str, tally: Tally, accounts: list[str], seconds: float) -> bool:
    lost = duplicated = foreign = 0
    for account in accounts:
        ids = listed(base, account)
        made = tally.made.get(account, set())
        lost += len(made - set(ids))
        duplicated += len(ids) - len(set(ids)) + len(set(ids) - made)
        others = set().union(*(tally.made.get(a, set()) for a in accounts if a != account))
        foreign += len(set(ids) & others)
    errors = sum(n for status, n in tally.statuses.items() if status >= 500)
    print(
        f"{tally.flows} flows, {tally.requests} requests in {seconds:.0f} s "
        f"({tally.requests / seconds:.0f} req/s), {len(accounts)} accounts"
    )
    print(f"answers: {dict(sorted(tally.statuses.items()))}")
    print(
        f"5xx = {errors}, lost = {lost}, duplicated = {duplicated}, "
        f"backwards = {len(tally.backwards)}, seen by another account = {foreign}"
    )
    return errors == lost == duplicated == foreign == len(tally.backwards) == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--accounts", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="per account")
    parser.add_argument("serve_options", nargs="*")
    args = parser.parse_args()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(BIN / "creatify-mock"), "serve", "--port", str(port), "--quiet"]
    command += ["--initializing-seconds", "0.05", "--image-seconds", "0.1"]
    command += ["--video-seconds", "0.1", "--failure-rate", "0.05", "--max-records", "1000000"]
    process = subprocess.Popen(command + args.serve_options, stdout=subprocess.DEVNULL)
    try:
        with httpx.Client(timeout=30, headers={"X-API-ID": "a", "X-API-KEY": "b"}) as client:
            wait_ready(client, base + BASE, time.perf_counter())
        accounts = [f"soak-{n}" for n in range(args.accounts)]
        tally, started = Tally(), time.monotonic()
        threads = [
            threading.Thread(target=worker, args=(base, account, tally, started + args.seconds))
            for account in accounts
            for _ in range(args.workers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        ok = report(base, tally, accounts, time.monotonic() - started)
    finally:
        process.terminate()
        process.wait(10)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
