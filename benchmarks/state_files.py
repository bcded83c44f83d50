"""Each broken --state file of issue 12, tried on a real `creatify-mock serve` (its evidence).

    python benchmarks/state_files.py [--timeout 10]

Writes a good state file with a real `creatify-mock serve --state` (records of two accounts,
a manual clock moved on), then, each in a folder of its own, breaks a copy of it one way
and runs `creatify-mock serve --port 0 --quiet --state FILE`. A broken file must be refused:
exit code 1, one line on stderr naming the file (no traceback), and the file byte for byte
as it was (sha256) with no file added or removed beside it. A serve that starts on a broken
file is killed after --timeout seconds and counted as a failure. An earlier mock's file
(schema 1, no schema version, or the earliest tables) must instead be migrated: served,
every record kept, its schema version raised to this mock's.
Prints one row per case and a summary; exits 1 if any case misbehaves. Loopback only.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack, closing
from dataclasses import dataclass
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench import HEADERS, free_port, wait_ready  # noqa: E402

BIN = Path(sys.executable).parent
API = "/api/product_to_videos/"
SCHEMA_VERSION = "2"  # the --state schema this tree's mock writes (lifecycle/statefile.py)
ACCOUNTS = ("ann", "bob")


# == A good state file, written by the mock itself ===============================================


def start(state: Path, port: int, *extra: str) -> subprocess.Popen[bytes]:
    command = [str(BIN / "creatify-mock"), "serve", "--port", str(port), "--quiet"]
    command += ["--state", str(state), *extra]
    return subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def stop(process: subprocess.Popen[bytes]) -> int:
    """SIGTERM, as a user's Ctrl-C or service manager would; SIGKILL after 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
    return int(process.returncode)


def headers(account: str) -> dict[str, str]:
    return {**HEADERS, "X-API-ID": account}


def write_good(path: Path) -> dict[str, list[str]]:
    """A state file as `serve --state --manual-clock` leaves it: three records in two
    accounts, the clock moved on a second (saved in meta). Returns the ids by account."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start(path, port, "--manual-clock")
    ids: dict[str, list[str]] = {a: [] for a in ACCOUNTS}
    try:
        with httpx.Client(timeout=10) as client:
            wait_ready(client, base + API, time.perf_counter(), timeout=30)
            for n, account in enumerate((*ACCOUNTS, ACCOUNTS[0])):
                made = client.post(
                    base + API + "gen_image/",
                    json={"product_url": "https://example.com/a.jpg", "image_prompt": f"p{n}"},
                    headers=headers(account),
                )
                made.raise_for_status()
                ids[account].append(made.json()["id"])
            client.post(base + "/__mock__/clock/advance", json={"seconds": 1}).raise_for_status()
    finally:
        code = stop(process)
    left = sorted(p.name for p in path.parent.iterdir() if p != path)
    if left:
        # Each case copies the one file, so what the log beside it holds is folded in first.
        print(f"(the stopped mock left {', '.join(left)} beside its file; checkpointed here)")
        with closing(sqlite3.connect(path)) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    leftovers = [p.name for p in path.parent.iterdir() if p != path]
    if code != 0 or leftovers:
        raise SystemExit(f"the good state file was not left clean: exit {code}, {leftovers}")
    return ids


# == Ways to break a copy of it ==================================================================
# Each takes the good copy's path and an ExitStack (what must stay open or be undone while the
# mock tries the file) and returns the path to give --state.

Breaker = Callable[[Path, ExitStack], Path]


def sql(path: Path, *statements: str) -> None:
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        for statement in statements:
            db.execute(statement)


def cut(keep: int | float) -> Breaker:
    def breaker(path: Path, hold: ExitStack) -> Path:
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * keep) if isinstance(keep, float) else keep])
        return path

    return breaker


def replaced(content: bytes) -> Breaker:
    def breaker(path: Path, hold: ExitStack) -> Path:
        path.write_bytes(content)
        return path

    return breaker


def bad_page(path: Path, hold: ExitStack) -> Path:
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")  # the page size, in SQLite's header
    data[page : page + 64] = b"\xff" * 64  # the start of page 2: the records table's root
    path.write_bytes(bytes(data))
    return path


def statements(*sql_text: str) -> Breaker:
    def breaker(path: Path, hold: ExitStack) -> Path:
        sql(path, *sql_text)
        return path

    return breaker


def record_data(change: str) -> Breaker:
    return statements(f"UPDATE records SET data = {change} WHERE seq = 2")


# What "another program" does to a file runs in a process of its own: SQLite's locks are
# POSIX locks, which this process would drop on the first read of the file for its sha256.
HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
for statement in sys.argv[2:]:
    db.execute(statement)
print("ready", flush=True)
sys.stdin.readline()
"""


def held_open(path: Path, hold: ExitStack, *sql_text: str) -> None:
    """`path` open in another process, after `sql_text`, until the case ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path), *sql_text],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdin is not None and holder.stdout is not None
    if holder.stdout.readline().strip() != "ready":
        raise SystemExit(f"the holder of {path} did not start")

    def release() -> None:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(10)

    hold.callback(release)


def foreign(wal: bool) -> Breaker:
    """Another application's SQLite file (closed, or open in it with its log beside it)."""

    def breaker(path: Path, hold: ExitStack) -> Path:
        other = path.with_name("notes.db")
        path.unlink()
        sql(other, "CREATE TABLE users (name TEXT)", "INSERT INTO users VALUES ('ann')")
        if wal:
            held_open(other, hold, "PRAGMA journal_mode=WAL", "SELECT count(*) FROM users")
        return other

    return breaker


def missing_folder(path: Path, hold: ExitStack) -> Path:
    return path.parent / "no-such-folder" / "state.db"


def read_only_file(path: Path, hold: ExitStack) -> Path:
    path.chmod(0o444)
    hold.callback(path.chmod, 0o644)
    return path


def read_only_folder(path: Path, hold: ExitStack) -> Path:
    path.parent.chmod(0o555)
    hold.callback(path.parent.chmod, 0o755)
    return path


def locked_by_sqlite(path: Path, hold: ExitStack) -> Path:
    # Another program in the middle of a write: the sqlite3 shell after BEGIN EXCLUSIVE.
    held_open(path, hold, "BEGIN EXCLUSIVE")
    return path


LIVE: dict[str, int] = {}  # the live mock of the case below: its PID and port


def locked_by_live_mock(path: Path, hold: ExitStack) -> Path:
    port = free_port()
    process = start(path, port)
    hold.callback(stop, process)
    with httpx.Client(timeout=10) as client:
        wait_ready(client, f"http://127.0.0.1:{port}{API}", time.perf_counter(), timeout=30)
    LIVE.update(pid=process.pid, port=port)
    return path


# == Expected: refused, with these words in its one line =========================================

REFUSED: dict[str, tuple[Breaker, str]] = {
    "truncated to half": (cut(0.5), "is damaged (SQLite: "),
    "cut short (60 bytes)": (cut(60), "is damaged (cut short: 60 bytes)"),
    "random bytes": (
        replaced(random.Random(12).randbytes(8192)),
        "is not an SQLite database (it begins with b'",
    ),
    "a JSON file": (
        replaced(json.dumps({"records": []}).encode()),
        "is not an SQLite database (it begins with b'{",
    ),
    "a bad page (page 2 overwritten)": (bad_page, "is damaged (SQLite: "),
    "a row with malformed JSON": (
        record_data("'{\"id\": '"),
        "has a record the mock cannot serve (seq 2, id ",
    ),
    "a row with an unknown field": (
        record_data("json_set(data, '$.colour', 'red')"),
        "its data has a field the mock does not know: 'colour'",
    ),
    "a row with a field of the wrong type": (
        record_data("json_set(data, '$.created_at', 'yesterday')"),
        "its created_at is 'yesterday', not a time in seconds since 1970",
    ),
    "a row with a status the API lacks": (
        record_data("json_set(data, '$.status', 'done')"),
        "its status is 'done', not a status of the API",
    ),
    "a row whose text is not UTF-8": (
        record_data("CAST(x'7b22ff227d' AS TEXT)"),
        "its data is not UTF-8 text",
    ),
    "a non-numeric saved clock": (
        statements("UPDATE meta SET value = 'noon' WHERE key = 'clock'"),
        "has a bad meta value: clock is 'noon', not a time in seconds since 1970",
    ),
    "an unknown meta key": (
        statements("INSERT INTO meta VALUES ('colour', 'red')"),
        "has a bad meta value: colour is 'red'",
    ),
    "a newer mock's file (schema 3)": (
        statements("UPDATE meta SET value = '3' WHERE key = 'schema_version'"),
        "was written by a newer creatify-mock (state schema 3",
    ),
    "another application's SQLite file": (
        foreign(wal=False),
        "is another program's SQLite database (its tables: users)",
    ),
    "another application's, open in it (WAL)": (
        foreign(wal=True),
        "is another program's SQLite database (its tables: users)",
    ),
    "a missing parent folder": (missing_folder, "no-such-folder does not exist; create it"),
    "a read-only file": (read_only_file, "is read-only; make it writable (chmod u+w "),
    "a read-only folder": (read_only_folder, "is in a read-only folder"),
    "locked by another program (sqlite)": (locked_by_sqlite, "is locked by another program"),
    "locked by a live creatify-mock": (
        locked_by_live_mock,
        "is in use by another running creatify-mock (PID ",
    ),
}


# == Trying one =================================================================================


@dataclass
class Seen:
    """The state file's bytes (sha256) and every name in the case's folder."""

    digest: str
    names: list[str]

    @classmethod
    def of(cls, path: Path, folder: Path) -> Seen:
        digest = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "absent"
        if path.is_dir():
            digest = "a folder"
        return cls(digest, sorted(str(p.relative_to(folder)) for p in folder.rglob("*")))


@dataclass
class Tried:
    code: int | None  # None: still running after the timeout (it started), then killed
    stderr: str
    seconds: float


def try_serve(path: Path, timeout: float) -> Tried:
    command = [str(BIN / "creatify-mock"), "serve", "--port", "0", "--quiet", "--state", str(path)]
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _, stderr = process.communicate(timeout=timeout)
        code: int | None = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        _, stderr = process.communicate(timeout=10)
        code = None
    return Tried(code, stderr, time.perf_counter() - started)


def parent_of(pid: int) -> int:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    return 0


def live_mock_check(stderr: str) -> tuple[bool, str]:
    """Whether the line names the live mock (its serve process, or that one's worker) and
    the live mock still answers; and what was seen."""
    named = stderr.partition("(PID ")[2].partition(")")[0]
    owner = int(named) if named.isdigit() else 0
    with httpx.Client(timeout=5) as client:
        answer = client.get(f"http://127.0.0.1:{LIVE['port']}{API}", headers=HEADERS)
    who = (
        "the live serve"
        if owner == LIVE["pid"]
        else "the live serve's worker"
        if parent_of(owner) == LIVE["pid"]
        else f"NOT the live serve ({LIVE['pid']})"
    )
    passed = answer.status_code == 200 and LIVE["pid"] in (owner, parent_of(owner))
    return passed, f"PID {named} is {who}; the live mock still answers {answer.status_code}"


@dataclass
class Verdict:
    one_line: bool  # exit 1, one line naming the file, what is wrong and the fix, no traceback
    unchanged: bool  # the file's bytes, and the names beside it


def refused_case(
    name: str, breaker: Breaker, words: str, good: Path, root: Path, timeout: float
) -> Verdict:
    folder = root / f"case{len(list(root.iterdir())):02d}"
    folder.mkdir()
    path = folder / "state.db"
    shutil.copyfile(good, path)
    with ExitStack() as hold:
        path = breaker(path, hold)
        before = Seen.of(path, folder)
        tried = try_serve(path, timeout)
        after = Seen.of(path, folder)
        live = live_mock_check(tried.stderr) if LIVE else None
        LIVE.clear()
    lines = tried.stderr.splitlines()
    traceback = "Traceback" in tried.stderr
    checks = {
        "exit 1": tried.code == 1,
        "one line": len(lines) == 1,
        "no traceback": not traceback,
        "names the file": bool(lines) and lines[0].startswith(f"Error: state file {path} "),
        "says what is wrong": words in tried.stderr,
        "gives a fix": "; " in tried.stderr,
    }
    if live is not None:
        checks["names the live mock, which still serves"] = live[0]
    same_bytes, same_names = before.digest == after.digest, before.names == after.names
    verdict = Verdict(all(checks.values()), same_bytes and same_names)
    code = "started!" if tried.code is None else str(tried.code)
    print(
        f"{name:<42} exit {code:<8} lines {len(lines)}  traceback {'yes' if traceback else 'no':<3}"
        f"  sha256 {'same' if same_bytes else 'CHANGED':<7}"
        f"  siblings {'same' if same_names else 'CHANGED':<7}  {tried.seconds:4.1f} s"
        f"  {'ok' if verdict.one_line and verdict.unchanged else 'FAIL'}"
    )
    for line in lines[-3:] if traceback else lines[:3]:
        print(f"    {line}")
    if live is not None:
        print(f"    ({live[1]})")
    failed = [check for check, passed in checks.items() if not passed]
    if failed:
        print(f"    failed: {', '.join(failed)}")
    if not same_bytes:
        print(f"    sha256 {before.digest[:16]} -> {after.digest[:16]}")
    if not same_names:
        print(f"    names {before.names} -> {after.names}")
    return verdict


# == Expected: migrated (an earlier mock's file) ================================================


def unversioned(path: Path) -> None:
    """As the mocks just before the schema version wrote it: today's tables, no version."""
    sql(path, "DELETE FROM meta WHERE key IN ('schema_version', 'pid')")


EARLIEST_SCHEMA = """
CREATE TABLE records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    due REAL,
    data TEXT NOT NULL
);
CREATE INDEX records_account ON records (account, seq);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def earliest(path: Path) -> None:
    """As the first mocks wrote it: AUTOINCREMENT, and the seq in each record's JSON too."""
    with closing(sqlite3.connect(path)) as db:
        rows = db.execute("SELECT seq, id, account, due, data FROM records ORDER BY seq").fetchall()
        (clock,) = db.execute("SELECT value FROM meta WHERE key = 'clock'").fetchone()
    path.unlink()
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.executescript(EARLIEST_SCHEMA)
        for seq, record_id, account, due, data in rows:
            db.execute(
                "INSERT INTO records (id, account, due, data) VALUES (?, ?, ?, ?)",
                (record_id, account, due, json.dumps({**json.loads(data), "seq": seq})),
            )
        db.execute("INSERT INTO meta VALUES ('clock', ?)", (clock,))


def version_1(path: Path) -> None:
    """As mocks of schema 1 wrote it: records with no `history`."""
    sql(
        path,
        "UPDATE meta SET value = '1' WHERE key = 'schema_version'",
        "DELETE FROM meta WHERE key = 'pid'",
        "UPDATE records SET data = json_remove(data, '$.history')",
    )


MIGRATED: dict[str, Callable[[Path], None]] = {
    "a schema 1 mock's file (no history)": version_1,
    "an earlier mock's file (no schema version)": unversioned,
    "the earliest mocks' file (AUTOINCREMENT)": earliest,
}


def migrated_case(
    name: str, make: Callable[[Path], None], good: Path, root: Path, ids: dict[str, list[str]]
) -> bool:
    folder = root / f"case{len(list(root.iterdir())):02d}"
    folder.mkdir()
    path = folder / "state.db"
    shutil.copyfile(good, path)
    make(path)
    with closing(sqlite3.connect(path)) as db:
        rows_before = db.execute("SELECT seq, id FROM records ORDER BY seq").fetchall()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = start(path, port)
    served = 0
    try:
        with httpx.Client(timeout=10) as client:
            wait_ready(client, base + API, time.perf_counter(), timeout=30)
            for account, record_ids in ids.items():
                for record_id in record_ids:
                    answer = client.get(f"{base}{API}{record_id}/", headers=headers(account))
                    served += answer.status_code == 200
    finally:
        code = stop(process)
    with closing(sqlite3.connect(path)) as db:
        rows_after = db.execute("SELECT seq, id FROM records ORDER BY seq").fetchall()
        version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    total = sum(len(v) for v in ids.values())
    kept = rows_after == rows_before and version == (SCHEMA_VERSION,)
    good_case = served == total and kept and code == 0
    print(
        f"{name:<42} exit {code:<8} served {served}/{total} records, rows kept "
        f"{'yes' if rows_after == rows_before else 'NO'}, schema_version now "
        f"{version[0] if version else None}  {'ok' if good_case else 'FAIL'}"
    )
    return good_case


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--timeout", type=float, default=10.0, help="seconds before a serve counts as started"
    )
    args = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="creatify-state-files-") as temp:
        good = Path(temp) / "good" / "state.db"
        good.parent.mkdir()
        ids = write_good(good)
        print(
            f"good file: {good.stat().st_size} bytes, written by `serve --state --manual-clock` "
            f"({sum(len(v) for v in ids.values())} records in {len(ids)} accounts)\n"
        )
        root = Path(temp) / "cases"
        root.mkdir()
        results = [
            refused_case(name, breaker, words, good, root, args.timeout)
            for name, (breaker, words) in REFUSED.items()
        ]
        print()
        migrations = [migrated_case(name, make, good, root, ids) for name, make in MIGRATED.items()]
    one_line = sum(v.one_line for v in results)
    unchanged = sum(v.unchanged for v in results)
    bad = sum(not (v.one_line and v.unchanged) for v in results) + migrations.count(False)
    print(
        f"\n{len(results)} broken files: {one_line} refused in one line naming the file, "
        f"{unchanged} left unchanged; {len(migrations)} earlier files: "
        f"{migrations.count(True)} migrated and served; "
        f"{'all as expected' if not bad else f'{bad} MISBEHAVED'} "
        f"({time.perf_counter() - started:.1f} s)"
    )
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
