"""The admin API under attack on a real `creatify-mock serve`: issue 12's evidence.

    python benchmarks/attacks.py

Starts `creatify-mock serve --manual-clock --state FILE` on a free loopback port and tries,
printing one row each (what was tried, the status, what was expected, whether the mock's
state changed):

1. webhooks aimed at the mock's own /__mock__/reset, as written and in other spellings of
   the same path: another account's records must survive, and no delivery may reach the
   admin API (a webhook to a local receiver is the control: it is delivered);
2. cross-site calls a web page could make: "simple" POSTs (text/plain, a form, multipart,
   no Content-Type), a foreign or another local page's Origin, a foreign Host (DNS
   rebinding) on writes and on GET /__mock__/journal, a CORS preflight;
3. every bad admin value of issue 12 and each one `Controls` checks: each must be a 4xx whose
   detail names the field and the value given, with nothing changed;
4. afterwards, that nothing was poisoned: a create, a clock advance, a reset, a create, and
   after a restart on the same state file a create, all 200; and with --strict, GET on
   gen_image is a 405.

Ends with a summary line; exits 1 on any unexpected answer. Everything stays on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench import HEADERS, free_port, wait_ready  # noqa: E402

BIN = Path(sys.executable).parent
API = "/api/product_to_videos/"
PRODUCT = {"product_url": "https://example.com/shoe.jpg"}
VICTIM = {**HEADERS, "X-API-ID": "victim"}
MALLORY = {**HEADERS, "X-API-ID": "mallory"}
JSON = {"Content-Type": "application/json"}


# == The mock, and a receiver ===================================================================


@contextmanager
def serving(state: Path, *extra: str) -> Iterator[str]:
    """`creatify-mock serve` on a free loopback port until the block ends; yields its URL."""
    port = free_port()
    command = [str(BIN / "creatify-mock"), "serve", "--port", str(port), "--quiet"]
    command += ["--manual-clock", "--state", str(state), *extra]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(timeout=10) as client:
            wait_ready(client, base + API, time.perf_counter(), timeout=30)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
        assert process.stderr is not None
        errors = process.stderr.read().decode()
        if "Traceback" in errors:
            print(f"!! the mock printed a traceback:\n{errors}")


@contextmanager
def receiver() -> Iterator[tuple[str, list[str]]]:
    """A loopback webhook receiver: yields its URL and the paths it was POSTed to."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen.append(self.path)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", seen
    finally:
        server.shutdown()
        server.server_close()


# == What the mock holds ========================================================================


def snapshot(client: httpx.Client, base: str) -> dict[str, Any]:
    """Everything an admin call could change: records, clock, variants, faults, outcomes,
    the journal, webhook deliveries."""
    journal = client.get(base + "/__mock__/journal").json()["last"]  # read first: see below
    health = client.get(base + "/__mock__/health").json()
    victims = client.get(base + API, headers=VICTIM).json()
    return {
        "records": health["records"],
        "victim": sorted((r["id"], r["status"]) for r in victims),
        "clock": health["clock"]["epoch"],
        "variants": health["variants"],
        "faults": client.get(base + "/__mock__/faults").json(),
        "outcomes": client.get(base + "/__mock__/outcomes").json(),
        "journal": journal,
        "webhooks": len(client.get(base + "/__mock__/webhooks").json()["deliveries"]),
    }


def changed(before: dict[str, Any], after: dict[str, Any]) -> str:
    """What differs; the journal may hold one more entry, the listing of the victim's
    records that `snapshot` itself made (the admin API's calls are not journaled)."""
    keys = [k for k in before if before[k] != after[k] and k != "journal"]
    if after["journal"] != before["journal"] + 1:
        keys.append("journal")
    return ", ".join(keys) or "no"


def seed(client: httpx.Client, base: str) -> None:
    """State that a reset would clear: a victim's record, a variant, a queued fault (on an
    operation nothing here calls)."""
    if not client.get(base + API, headers=VICTIM).json():
        client.post(base + API + "gen_image/", json=PRODUCT, headers=VICTIM).raise_for_status()
    client.patch(base + "/__mock__/variants", json={"extra_keys": True}).raise_for_status()
    if not client.get(base + "/__mock__/faults").json()["pending"]:
        fault = {"status": 503, "operation": "product_to_videos_regen_video", "count": 1}
        client.post(base + "/__mock__/faults", json=fault).raise_for_status()


@dataclass
class Tally:
    rows: int = 0
    unexpected: int = 0

    def row(self, attempt: str, status: object, expected: str, state: str, ok: bool) -> None:
        self.rows += 1
        self.unexpected += not ok
        verdict = "ok" if ok else "UNEXPECTED"
        print(f"{attempt:<60} {status!s:<6} {expected:<12} {state:<26} {verdict}")


def header(title: str) -> None:
    print(f"\n== {title}")
    print(f"{'attempt':<60} {'status':<6} {'expected':<12} {'state changed':<26} verdict")


def shown(detail: object, limit: int = 150) -> str:
    text = str(detail)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# == 1. Webhooks at the admin API ===============================================================


def wait_delivery(client: httpx.Client, base: str, record_id: str) -> dict[str, Any] | None:
    """The delivery of `record_id` once it is no longer pending; None if the list was
    wiped (a reset) or it never settled within 15 s."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        deliveries = client.get(base + "/__mock__/webhooks").json()["deliveries"]
        mine = [d for d in deliveries if d["record_id"] == record_id]
        if mine and mine[0]["state"] != "pending":
            return dict(mine[0])
        if not mine and client.get(base + "/__mock__/health").json()["records"] == 0:
            return None
        time.sleep(0.1)
    return None


def webhooks(client: httpx.Client, base: str, tally: Tally) -> None:
    header("1. a webhook_url aimed at the mock's own admin API (account mallory vs victim)")
    port = base.rsplit(":", 1)[1]
    targets = [
        f"http://127.0.0.1:{port}/__mock__/reset",
        f"http://localhost:{port}/__mock__/reset",
        f"http://127.0.0.1:{port}/%5F%5Fmock%5F%5F/reset",
        f"http://127.0.0.1:{port}/api/../__mock__/reset",
        f"http://127.0.0.1:{port}//__mock__/reset",
    ]
    with receiver() as (control, received):
        for url in [*targets, control]:
            kept = client.post(base + API + "gen_image/", json=PRODUCT, headers=VICTIM).json()
            victims = len(client.get(base + API, headers=VICTIM).json())
            made = client.post(
                base + API + "gen_image/", json={**PRODUCT, "webhook_url": url}, headers=MALLORY
            )
            client.post(base + "/__mock__/clock/advance", json={"seconds": 10})
            delivery = wait_delivery(client, base, made.json().get("id", ""))
            after = client.get(base + API, headers=VICTIM).json()
            survived = client.get(f"{base}{API}{kept['id']}/", headers=VICTIM).status_code
            attempt = (delivery or {}).get("attempts", [{}])[0]
            if url == control:
                ok = delivery is not None and delivery["state"] == "delivered" and bool(received)
                state = f"receiver got {len(received)} POST"
                expected = "delivered"
            else:
                ok = (
                    delivery is not None
                    and delivery["state"] == "failed"
                    and attempt.get("status_code") is None
                    and "admin API" in str(attempt.get("error"))
                    and survived == 200
                    and len(after) >= victims
                )
                state = f"victim {len(after)}/{victims} kept" + ("" if survived == 200 else "!")
                expected = "refused"
            got = "wiped" if delivery is None else delivery["state"]
            tally.row(f"webhook_url {url.replace('http://', '')}", got, expected, state, ok)
            if delivery is not None:
                print(f"    {shown(attempt.get('error') or attempt.get('status_code'))}")
            else:
                held = client.get(base + "/__mock__/health").json()["records"]
                print(
                    f"    no delivery of it is listed any more; the victim's record answers "
                    f"{survived}; the mock holds {held} records in all (a reset happened)"
                )


# == 2. Cross-site calls ========================================================================


@dataclass(frozen=True)
class Call:
    label: str
    method: str
    path: str
    expected: int
    headers: dict[str, str]
    content: str | None = None


def cross_site(port: str) -> list[Call]:
    evil = {"Origin": "http://evil.example"}
    text = {"Content-Type": "text/plain"}
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    multipart = {"Content-Type": "multipart/form-data; boundary=x"}
    rebound = {**JSON, "Host": f"evil.example:{port}"}
    rows: list[tuple[str, str, str, int, dict[str, str], str | None]] = [
        ("POST reset, text/plain body (a simple fetch)", "POST", "/reset", 415, text, "{}"),
        ("POST reset, a form post (urlencoded)", "POST", "/reset", 415, form, "a=1"),
        ("POST reset, a form post (multipart)", "POST", "/reset", 415, multipart, "--x--"),
        ("POST reset, a body without Content-Type", "POST", "/reset", 415, {}, "{}"),
        ("POST reset, Origin: http://evil.example", "POST", "/reset", 403, evil, None),
        (
            "POST reset, Origin: null (a file: page)",
            "POST",
            "/reset",
            403,
            {"Origin": "null"},
            None,
        ),
        ("POST reset, JSON, Host: evil.example (rebinding)", "POST", "/reset", 403, rebound, "{}"),
        ("POST faults, text/plain body", "POST", "/faults", 415, text, '{"status": 503}'),
        (
            "POST faults, JSON, Origin: http://evil.example",
            "POST",
            "/faults",
            403,
            {**JSON, **evil},
            '{"status": 503}',
        ),
        (
            "POST clock/advance, text/plain body",
            "POST",
            "/clock/advance",
            415,
            text,
            '{"seconds": 1000000}',
        ),
        (
            "PATCH variants, text/plain body",
            "PATCH",
            "/variants",
            415,
            text,
            '{"post_status": 201}',
        ),
        ("DELETE journal, Origin: http://evil.example", "DELETE", "/journal", 403, evil, None),
        (
            "GET journal, Host: evil.example (rebinding read)",
            "GET",
            "/journal",
            403,
            {"Host": "evil.example"},
            None,
        ),
        (
            f"GET journal, Host: evil.example:{port}",
            "GET",
            "/journal",
            403,
            {"Host": f"evil.example:{port}"},
            None,
        ),
        (
            "GET journal, Host: 127.0.0.1.evil.example",
            "GET",
            "/journal",
            403,
            {"Host": "127.0.0.1.evil.example"},
            None,
        ),
        ("GET health, Host: evil.example", "GET", "/health", 403, {"Host": "evil.example"}, None),
        (
            "GET journal, Host: localhost (control: its own name)",
            "GET",
            "/journal",
            200,
            {"Host": f"localhost:{port}"},
            None,
        ),
        (
            "POST reset, Origin: http://localhost:9999 (a local app)",
            "POST",
            "/reset",
            403,
            {"Origin": "http://localhost:9999"},
            None,
        ),
    ]
    return [Call(*row) for row in rows]


def cross_site_calls(client: httpx.Client, base: str, tally: Tally) -> None:
    header("2. cross-site admin calls (a web page in the user's browser, DNS rebinding)")
    for call in cross_site(base.rsplit(":", 1)[1]):
        seed(client, base)
        before = snapshot(client, base)
        answer = client.request(
            call.method, base + "/__mock__" + call.path, headers=call.headers, content=call.content
        )
        after = snapshot(client, base)
        state = changed(before, after)
        leaked = call.path == "/journal" and call.expected != 200 and "entries" in answer.text
        ok = answer.status_code == call.expected and state == "no" and not leaked
        tally.row(call.label, answer.status_code, str(call.expected), state, ok)
        print(f"    {shown(answer.json().get('detail', answer.text) if answer.content else '')}")
    seed(client, base)
    preflight = client.options(
        base + "/__mock__/reset",
        headers={
            "Origin": "http://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    allowed = preflight.headers.get("Access-Control-Allow-Origin")
    tally.row(
        "OPTIONS reset (CORS preflight from evil.example)",
        preflight.status_code,
        "no CORS",
        f"Allow-Origin: {allowed}",
        allowed is None,
    )


# == 3. Bad admin values ========================================================================


@dataclass(frozen=True)
class Bad:
    method: str
    path: str
    body: str | None  # JSON text, as sent (NaN and Infinity as Python's json writes them)
    field: str  # what the detail must name
    value: str  # and how it must show the value given


def bad_values(record_id: str) -> list[Bad]:
    long_since = "1" * 5000
    rows = [
        Bad("GET", "/journal?since=²", None, "since", "'²'"),
        Bad("GET", "/journal?since=-1", None, "since", "'-1'"),
        Bad("GET", "/journal?since=1.5", None, "since", "'1.5'"),
        Bad("GET", "/journal?since=x", None, "since", "'x'"),
        Bad("GET", f"/journal?since={long_since}", None, "since", repr(long_since)),
    ]
    posts = [
        ("/faults", {"status": "429"}, "status", "'429'"),
        ("/faults", {"status": 429.0}, "status", "429.0"),
        ("/faults", {"status": 1.5}, "status", "1.5"),
        ("/faults", {"status": True}, "status", "True"),
        ("/faults", {"status": 500}, "status", "500"),
        ("/faults", {"retry_after": 1.5}, "retry_after", "1.5"),
        ("/faults", {"retry_after": -1}, "retry_after", "-1"),
        ("/faults", {"count": 0}, "count", "0"),
        ("/faults", {"count": 1001}, "count", "1001"),
        ("/faults", {"count": True}, "count", "True"),
        ("/faults", {"operation": "nope"}, "operation", "'nope'"),
        ("/outcomes", {"outcome": "maybe"}, "outcome", "'maybe'"),
        ("/outcomes", {"outcome": None}, "outcome", "None"),
        ("/outcomes", {"outcome": "image-failed", "count": True}, "count", "True"),
        ("/clock/advance", {"seconds": 1e12}, "seconds", "1000000000000.0"),
        ("/clock/advance", {"seconds": 1e308}, "seconds", "1e+308"),
        ("/clock/advance", {"seconds": float("nan")}, "seconds", "nan"),
        ("/clock/advance", {"seconds": float("inf")}, "seconds", "inf"),
        ("/clock/advance", {"seconds": float("-inf")}, "seconds", "-inf"),
        ("/clock/advance", {"seconds": -1}, "seconds", "-1"),
        ("/clock/advance", {"seconds": "soon"}, "seconds", "'soon'"),
        ("/clock/advance", {"seconds": True}, "seconds", "True"),
        ("/clock/advance", {}, "seconds", "None"),
        (f"/records/{record_id}/finish", {"outcome": "maybe"}, "outcome", "'maybe'"),
        (
            f"/records/{record_id}/finish",
            {"outcome": "failed", "failed_reason": 5},
            "failed_reason",
            "5",
        ),
    ]
    rows += [Bad("POST", path, json.dumps(body), f, v) for path, body, f, v in posts]
    patches = [
        ({"post_status": 201.0}, "post_status", "201.0"),
        ({"auth_failure_status": 403.0}, "auth_failure_status", "403.0"),
        ({"post_status": True}, "post_status", "True"),
        ({"post_status": "201"}, "post_status", "'201'"),
        ({"empty_values": "none"}, "empty_values", "'none'"),
        ({"timestamps": "local"}, "timestamps", "'local'"),
        ({"extra_keys": 1}, "extra_keys", "1"),
        ({"colour": "red"}, "variant", "colour"),
    ]
    rows += [Bad("PATCH", "/variants", json.dumps(body), f, v) for body, f, v in patches]
    rows += [
        Bad("POST", "/faults", "[1]", "JSON object", "[1]"),
        Bad("POST", "/faults", '{"status": ', "JSON object", '{"status": '),
    ]
    return rows


def bad_admin_values(client: httpx.Client, base: str, tally: Tally) -> None:
    header("3. bad admin values (each a 4xx naming the field and the value given)")
    seed(client, base)
    (record, *_) = client.get(base + API, headers=VICTIM).json()
    for bad in bad_values(record["id"]):
        seed(client, base)
        before = snapshot(client, base)
        answer = client.request(
            bad.method,
            base + "/__mock__" + bad.path,
            content=bad.body,
            headers=JSON if bad.body is not None else {},
        )
        after = snapshot(client, base)
        state = changed(before, after)
        detail = str(answer.json().get("detail", "")) if answer.content else ""
        names = bad.field in detail and bad.value in detail
        ok = 400 <= answer.status_code < 500 and names and state == "no"
        attempt = f"{bad.method} {bad.path} {bad.body or ''}"
        tally.row(shown(attempt, 60), answer.status_code, "4xx, named", state, ok)
        print(f"    {shown(detail)}" + ("" if names else f"   (names {bad.field} {bad.value}? NO)"))


# == 4. Nothing poisoned ========================================================================


def still_serves(client: httpx.Client, base: str, tally: Tally, label: str) -> str:
    made = client.post(base + API + "gen_image/", json=PRODUCT, headers=HEADERS)
    tally.row(f"{label}: a create", made.status_code, "200", "-", made.status_code == 200)
    return str(made.json().get("id", "")) if made.status_code == 200 else ""


def not_poisoned(client: httpx.Client, state: Path, base: str, tally: Tally) -> str:
    header("4. afterwards: nothing poisoned")
    record_id = still_serves(client, base, tally, "after every attack")
    moved = client.post(base + "/__mock__/clock/advance", json={"seconds": 10})
    tally.row("a clock advance of 10 s", moved.status_code, "200", "-", moved.status_code == 200)
    read = client.get(f"{base}{API}{record_id}/", headers=HEADERS)
    status = read.json().get("status") if read.status_code == 200 else None
    tally.row(
        "the new record, read back", read.status_code, "200", f"status {status}", read.is_success
    )
    reset = client.post(base + "/__mock__/reset")  # curl -X POST, from the command line
    tally.row(
        "POST reset from a script (no body)", reset.status_code, "200", "reset", reset.is_success
    )
    return still_serves(client, base, tally, "after the reset")


def after_restart(client: httpx.Client, state: Path, record_id: str, tally: Tally) -> None:
    with serving(state) as base:
        still_serves(client, base, tally, "after a restart on the same --state")
        read = client.get(f"{base}{API}{record_id}/", headers=HEADERS)
        tally.row(
            "the record made before the restart", read.status_code, "200", "-", read.is_success
        )
    with serving(state.with_name("strict.db"), "--strict") as base:
        wrong = client.get(base + API + "gen_image/", headers=HEADERS)
        tally.row(
            "--strict: GET gen_image/ (a wrong method)",
            wrong.status_code,
            "405",
            "-",
            wrong.status_code == 405,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    started = time.perf_counter()
    tally = Tally()
    with tempfile.TemporaryDirectory(prefix="creatify-attacks-") as temp:
        state = Path(temp) / "state.db"
        with httpx.Client(timeout=10) as client:
            with serving(state) as base:
                print(f"creatify-mock serve on {base} (--manual-clock --state {state})")
                sections: list[Callable[[httpx.Client, str, Tally], None]] = [
                    webhooks,
                    cross_site_calls,
                    bad_admin_values,
                ]
                for section in sections:
                    section(client, base, tally)
                last = not_poisoned(client, state, base, tally)
            after_restart(client, state, last, tally)
    print(
        f"\n{tally.rows} attempts: {tally.rows - tally.unexpected} answered as expected, "
        f"{tally.unexpected} unexpected ({time.perf_counter() - started:.1f} s)"
    )
    sys.exit(1 if tally.unexpected else 0)


if __name__ == "__main__":
    main()
