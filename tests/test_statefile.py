"""--state files: a bad one is refused at start in one line and left exactly as it was; an
earlier mock's is migrated; a live mock's is refused naming it; a manual clock resumes."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import sqlite3
from collections.abc import Callable
from contextlib import ExitStack, closing
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import Api, new_record

from mock_server import Contract, ManualClock, MockConfig, close_app, create_app
from mock_server.cli import main
from mock_server.lifecycle.errors import StateFileError
from mock_server.lifecycle.statefile import SCHEMA_VERSION
from mock_server.lifecycle.store import Store

START = 1_748_603_465.0


def write_state(path: Path, contract: Contract, records: int = 3) -> list[str]:
    """A state file as a mock writes it: records in several statuses and a saved clock."""
    clock = ManualClock(start=START)
    app = create_app(MockConfig(state_path=str(path)), clock=clock, contract=contract)
    api = Api(app.test_client())
    ids = [new_record(api, image_prompt=f"prompt {n}") for n in range(records)]
    clock.advance(1)
    close_app(app)
    return ids


def sql(path: Path, *statements: str) -> None:
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        for statement in statements:
            db.execute(statement)


def seen(folder: Path, path: Path) -> tuple[str, list[str]]:
    """The file's bytes (by hash) and the names in its folder: all a refusal must keep."""
    data = hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else "absent"
    names = sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
    return data, names


# Each case: how to break a state file (given a good one at `path`), and words of the one
# line that refuses it. `hold` keeps what must stay open while the mock tries the file.
Breaker = Callable[[Path, ExitStack], Path]


def _cut(keep: int | float) -> Breaker:
    def cut(path: Path, hold: ExitStack) -> Path:
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * keep) if isinstance(keep, float) else keep])
        return path

    return cut


def _replaced(content: bytes) -> Breaker:
    def replace(path: Path, hold: ExitStack) -> Path:
        path.write_bytes(content)
        return path

    return replace


def _bad_page(path: Path, hold: ExitStack) -> Path:
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page : page + 64] = b"\xff" * 64  # page 2: the records table's root
    path.write_bytes(bytes(data))
    return path


def _sql(*statements: str) -> Breaker:
    def change(path: Path, hold: ExitStack) -> Path:
        sql(path, *statements)
        return path

    return change


def _foreign(wal: bool) -> Breaker:
    def foreign(path: Path, hold: ExitStack) -> Path:
        other = path.with_name("notes.db")
        db = hold.enter_context(closing(sqlite3.connect(other, isolation_level=None)))
        if wal:  # and still open in that program, its log files beside it
            db.execute("PRAGMA journal_mode=WAL")
        db.execute("CREATE TABLE users (name TEXT)")
        db.execute("INSERT INTO users VALUES ('ann')")
        if not wal:
            db.close()
        return other

    return foreign


def _missing_folder(path: Path, hold: ExitStack) -> Path:
    return path.parent / "no-such-folder" / "state.db"


def _read_only_file(path: Path, hold: ExitStack) -> Path:
    path.chmod(0o444)
    hold.callback(path.chmod, 0o644)
    return path


def _read_only_folder(path: Path, hold: ExitStack) -> Path:
    path.parent.chmod(0o555)
    hold.callback(path.parent.chmod, 0o755)
    return path


def _locked(path: Path, hold: ExitStack) -> Path:
    # Another program in the middle of a write: the sqlite3 shell after BEGIN EXCLUSIVE.
    db = hold.enter_context(closing(sqlite3.connect(path, isolation_level=None)))
    db.execute("BEGIN EXCLUSIVE")
    hold.callback(db.execute, "ROLLBACK")
    return path


def _record_sql(change: str) -> Breaker:
    return _sql(f"UPDATE records SET data = {change} WHERE seq = 2")


CASES: dict[str, tuple[Breaker, str]] = {
    "truncated": (_cut(0.5), "is damaged (SQLite: "),
    "cut short": (_cut(60), "is damaged (cut short: 60 bytes)"),
    "random bytes": (
        _replaced(random.Random(12).randbytes(8192)),
        "is not an SQLite database (it begins with b'",
    ),
    "a JSON file": (
        _replaced(json.dumps({"records": []}).encode()),
        """is not an SQLite database (it begins with b'{"records": []}')""",
    ),
    "a bad page": (_bad_page, "is damaged (SQLite: "),
    "malformed JSON": (
        _record_sql("'{\"id\": '"),
        "has a record the mock cannot serve (seq 2, id ",
    ),
    "an unknown field": (
        _record_sql("json_set(data, '$.colour', 'red')"),
        "its data has a field the mock does not know: 'colour'",
    ),
    "a field of the wrong type": (
        _record_sql("json_set(data, '$.created_at', 'yesterday')"),
        "its created_at is 'yesterday', not a time in seconds since 1970",
    ),
    "a status the API does not have": (
        _record_sql("json_set(data, '$.status', 'done')"),
        "its status is 'done', not a status of the API",
    ),
    "text that is not UTF-8": (
        _record_sql("CAST(x'7b22ff227d' AS TEXT)"),
        "its data is not UTF-8 text",
    ),
    "a non-numeric saved clock": (
        _sql("UPDATE meta SET value = 'noon' WHERE key = 'clock'"),
        "has a bad meta value: clock is 'noon', not a time in seconds since 1970",
    ),
    "an unknown meta key": (
        _sql("INSERT INTO meta VALUES ('colour', 'red')"),
        "has a bad meta value: colour is 'red', not a key creatify-mock writes",
    ),
    "a newer mock's file": (
        _sql(f"UPDATE meta SET value = '{SCHEMA_VERSION + 1}' WHERE key = 'schema_version'"),
        (
            f"was written by a newer creatify-mock (state schema {SCHEMA_VERSION + 1}; this "
            f"one reads {SCHEMA_VERSION} and older)"
        ),
    ),
    "another program's SQLite file": (
        _foreign(wal=False),
        "is another program's SQLite database (its tables: users)",
    ),
    "another program's SQLite file, open in it": (
        _foreign(wal=True),
        "is another program's SQLite database (its tables: users)",
    ),
    "a missing parent folder": (_missing_folder, "no-such-folder does not exist; create it"),
    "a read-only file": (_read_only_file, "is read-only; make it writable (chmod u+w "),
    "a read-only folder": (_read_only_folder, "is in a read-only folder"),
    "a file another program has locked": (_locked, "is locked by another program"),
}


@pytest.fixture
def serve_in_process(monkeypatch: pytest.MonkeyPatch) -> Callable[..., tuple[int, str, bool]]:
    """`creatify-mock serve ARGS` in this process: a refused file ends it before any socket.
    Returns the exit code, stderr and whether it ended on an uncaught exception."""
    # serve sets up logging for its process; this one is pytest's.
    monkeypatch.setattr(logging, "basicConfig", lambda **_: None)

    def serve(*args: str) -> tuple[int, str, bool]:
        result = CliRunner().invoke(main, ["serve", "--port", "0", *args])
        crashed = result.exception is not None and not isinstance(result.exception, SystemExit)
        return result.exit_code, result.stderr, crashed

    return serve


@pytest.mark.parametrize("case", list(CASES))
def test_a_bad_state_file_is_refused_in_one_line_and_left_as_it_was(
    case: str,
    tmp_path: Path,
    contract: Contract,
    serve_in_process: Callable[..., tuple[int, str, bool]],
) -> None:
    folder = tmp_path / "here"
    folder.mkdir()
    good = folder / "state.db"
    write_state(good, contract)
    breaker, words = CASES[case]
    with ExitStack() as hold:
        path = breaker(good, hold)
        before = seen(path.parent, path)
        code, stderr, crashed = serve_in_process("--state", str(path))
        after = seen(path.parent, path)
    assert not crashed, stderr
    assert code == 1
    assert stderr.count("\n") == 1, stderr  # one line, no traceback
    assert stderr.startswith(f"Error: state file {path} "), stderr
    assert words in stderr
    problem, fix = stderr.split("; ", 1)
    assert fix.strip(), stderr  # and says what to do
    assert after == before  # the file byte for byte, and nothing added beside it


def test_a_record_of_every_kind_passes_the_checks(tmp_path: Path, contract: Contract) -> None:
    # What the mock writes, it reads back: every status and field, failures and regens.
    path = tmp_path / "state.db"
    clock = ManualClock(start=START)
    app = create_app(MockConfig(state_path=str(path)), clock=clock, contract=contract)
    api = Api(app.test_client())
    done = new_record(api, override_avatar="2d7a2fd2-2f5a-4e2c-8b1e-3c2a8d1c5a77")
    clock.advance(5)
    assert api.follow_up("gen_video", done, {"video_prompt": "spin"}).status_code == 200
    clock.advance(5)
    assert api.follow_up("regen_video", done).status_code == 200
    assert api.follow_up("regen_image", done, {"image_prompt": "x"}).status_code == 200
    new_record(api, headers={"Prefer": 'outcome=image-failed, failed-reason="no product"'})
    new_record(api, headers={"Prefer": "outcome=video-failed"}, webhook_url="http://127.0.0.1:9/")
    clock.advance(0.7)
    before = api.list_records().get_json()
    close_app(app)
    clock = ManualClock(start=START)  # a new one: the first app's listens to the old
    again = create_app(MockConfig(state_path=str(path)), clock=clock, contract=contract)
    try:
        assert Api(again.test_client()).list_records().get_json() == before
    finally:
        close_app(again)


# -- files of earlier mocks --------------------------------------------------------------

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


def _earliest(path: Path, contract: Contract) -> None:
    """As the first mocks wrote it: AUTOINCREMENT, every field in the JSON, seq too."""
    with closing(sqlite3.connect(path, isolation_level=None)) as db:
        db.executescript(EARLIEST_SCHEMA)
        data = {
            "id": "6f1c2f5e-3a1b-4c1d-9e2f-0a1b2c3d4e5f",
            "account": "demo",
            "type": "product_anyshot",
            "product_url": "https://example.com/shoe.jpg",
            "aspect_ratio": "16x9",
            "created_at": START,
            "updated_at": START,
            "status": "initializing",
            **dict.fromkeys(
                "override_avatar motion_style product_showcase_url image_prompt video_prompt "
                "webhook_url generated_photo_url generated_video_url failed_reason regen_type "
                "regen_source_id failure_reason failure_source video_failure".split()
            ),
            "seq": 1,
            "task": "image",
            "steps": [
                {"at": START + 0.5, "status": "image_generating"},
                {"at": START + 2.0, "status": "image_generated"},
            ],
        }
        db.execute(
            "INSERT INTO records (id, account, due, data) VALUES (?, ?, ?, ?)",
            (data["id"], "demo", START + 0.5, json.dumps(data)),
        )
        db.execute("INSERT INTO meta VALUES ('clock', ?)", (repr(START + 1),))


def _unversioned(path: Path, contract: Contract) -> None:
    """As the mocks just before the schema version wrote it: today's tables, no version."""
    write_state(path, contract)
    sql(path, "DELETE FROM meta WHERE key IN ('schema_version', 'pid')")


def _version_1(path: Path, contract: Contract) -> None:
    """As mocks of schema 1 wrote it: records with no `history`."""
    write_state(path, contract)
    sql(
        path,
        "UPDATE meta SET value = '1' WHERE key = 'schema_version'",
        "DELETE FROM meta WHERE key = 'pid'",
        "UPDATE records SET data = json_remove(data, '$.history')",
    )


@pytest.mark.parametrize(
    "write", [_earliest, _unversioned, _version_1], ids=["earliest", "unversioned", "version 1"]
)
def test_an_earlier_mocks_file_is_migrated_and_served(
    write: Callable[[Path, Contract], object], tmp_path: Path, contract: Contract
) -> None:
    path = tmp_path / "old.db"
    write(path, contract)
    with closing(sqlite3.connect(path)) as db:
        before = db.execute(
            "SELECT seq, id, account, due, data FROM records ORDER BY seq"
        ).fetchall()
    # Opened and closed with no call: every row as it was, its JSON included (migrating
    # changes meta, never a record).
    config = MockConfig(state_path=str(path))
    close_app(create_app(config, clock=ManualClock(START), contract=contract))
    with closing(sqlite3.connect(path)) as db:
        assert (
            db.execute("SELECT seq, id, account, due, data FROM records ORDER BY seq").fetchall()
            == before
        )
    app = create_app(config, clock=ManualClock(START), contract=contract)
    try:
        for _seq, record_id, account, _, _ in before:
            record = Api(app.test_client(), account).get(record_id)
            assert record.status_code == 200
            assert record.get_json()["status"] == "image_generating"
    finally:
        close_app(app)
    with closing(sqlite3.connect(path)) as db:
        version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        assert version == (str(SCHEMA_VERSION),)
        assert db.execute("SELECT seq, id FROM records ORDER BY seq").fetchall() == [
            r[:2] for r in before
        ]


# -- one live mock per file --------------------------------------------------------------


def test_a_file_another_store_holds_is_refused_naming_its_pid(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    first = Store(path)
    with pytest.raises(StateFileError) as refused:
        Store(path)
    assert str(refused.value) == (
        f"state file {path} is in use by another running creatify-mock (PID {os.getpid()}); "
        f"stop it (kill {os.getpid()}) or pass another --state file"
    )
    first.close()
    Store(path).close()  # released with the store that held it


# -- a manual clock resumes --------------------------------------------------------------


def test_a_manual_clock_resumes_at_the_time_its_state_file_saved(
    tmp_path: Path, contract: Contract
) -> None:
    path = tmp_path / "state.db"
    ids = write_state(path, contract)  # stopped at START + 1, each image done at START + 2
    clock = ManualClock()  # as `serve --manual-clock` makes it: at the wall time, long after
    app = create_app(MockConfig(state_path=str(path)), clock=clock, contract=contract)
    try:
        assert clock.now() == START + 1
        api = Api(app.test_client())
        assert [api.status(record_id) for record_id in ids] == ["image_generating"] * 3
        clock.advance(1)
        assert [api.status(record_id) for record_id in ids] == ["image_generated"] * 3
    finally:
        close_app(app)


def test_a_manual_clock_never_advanced_resumes_where_it_began(
    tmp_path: Path, contract: Contract
) -> None:
    config = MockConfig(state_path=str(tmp_path / "state.db"))
    first = create_app(config, clock=ManualClock(START), contract=contract)
    record_id = new_record(Api(first.test_client()))
    close_app(first)
    clock = ManualClock()
    again = create_app(config, clock=clock, contract=contract)
    try:
        assert clock.now() == START
        assert Api(again.test_client()).status(record_id) == "initializing"
    finally:
        close_app(again)


def test_a_clock_others_listen_to_is_never_turned_back() -> None:
    clock = ManualClock(START + 10)
    heard: list[float] = []
    clock.subscribe(heard.append)
    with pytest.raises(ValueError, match="at or after"):
        clock.restore(START)
    clock.restore(START + 20)
    assert (clock.now(), heard) == (START + 20, [START + 20])
