"""A --state file, opened: recognised, checked whole and locked before a byte is written.

`StateFile(path)` goes through, in order:

1. the path: its folder exists and may be written (SQLite keeps NAME-wal and NAME-shm
   beside the file), and the file, if there, is a regular file that may be written;
2. the lock (see `_lock`): one live mock owns a file, and a second is refused naming it;
3. what the file is: an empty or missing file is new; anything else must carry SQLite's
   header, pass SQLite's integrity check and hold exactly this mock's tables. Its meta
   table's `schema_version` says which mock wrote it: a newer one's is refused; a file of
   an earlier mock (an older version, or none) is migrated (its version raised: its rows
   read as they are);
4. every meta value and every record, read as the store and the API will read them, so
   that no later call answers 500 because of a bad row.

Every refusal is a `StateFileError` raised before anything is written, and the file is
left byte for byte as it was. Checking every row at open is affordable: a state file
holds what one mock made (a load test's 10,000 records are checked in about 0.2 s on this
project's 2-core VM), and a mock reads the file only at its start.
"""

from __future__ import annotations

import os
import shlex
import sqlite3
import stat
from contextlib import closing, suppress
from functools import cache
from pathlib import Path
from typing import Any

from .errors import StateFileError
from .holders import alive, holders
from .statecheck import ELSE as _ELSE
from .statecheck import check_meta, check_records, meta_refusal
from .staterows import whole

try:
    import fcntl
except ImportError:  # Windows: no flock(2); a second mock is not kept out there
    fcntl = None  # type: ignore[assignment]

__all__ = ["SCHEMA", "SCHEMA_VERSION", "StateFile"]

# What `meta` says. None (the earliest mocks): the same tables, no version. 1: versioned.
# 2: records may carry `history` (what the dashboard shows). Mocks of 1 before 4f4dfa8 do not
# know it: marked 2, such a file is refused there as a newer mock's, not as a bad row. Opening
# a file raises its version for good, as a newer mock may have written `history` into it.
SCHEMA_VERSION = 2

# seq is the rowid: one more than the largest, so newer records list first. AUTOINCREMENT
# would also never reuse a seq after `clear`, which nothing needs, for a write to
# sqlite_sequence on every insert (a third of an insert's cost). Files of the earliest
# mocks have it, and are read alike.
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    account TEXT NOT NULL,
    due REAL,
    data TEXT NOT NULL
)""",
    "CREATE INDEX IF NOT EXISTS records_account ON records (account, seq)",
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)

_SQLITE_HEADER = b"SQLite format 3\x00"
_SIDECARS = ("-wal", "-shm", "-journal")
_OPEN_TIMEOUT = 1.0  # seconds to wait on another program's SQLite lock while opening
_BUSY_TIMEOUT_MS = 5000  # and once open, as sqlite3.connect's default


class StateFile:
    """An open, checked and locked state file: `db` is its connection; `close` ends both."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        _check_path(self.path)
        self._fd = _open(self.path)
        try:
            _lock(self._fd, self.path)
            self.db = _checked_connection(self._fd, self.path)
        except BaseException:
            os.close(self._fd)
            raise

    def close(self) -> None:
        # The connection first: closing any descriptor of a file drops every fcntl lock
        # this process holds on it, SQLite's own included.
        self.db.close()
        os.close(self._fd)


def _refusal(path: str, problem: str, fix: str = _ELSE) -> StateFileError:
    return StateFileError(path, problem, fix)


def _read_only(mode: int, path: str) -> bool:
    # Root may write anything, but a file without a write bit was made read-only on purpose.
    return not os.access(path, os.W_OK) or not mode & 0o222


def _check_path(path: str) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise _refusal(
            path,
            f"cannot be created: its folder {folder} does not exist",
            f"create it (mkdir -p {shlex.quote(folder)}) or pass a path in another folder",
        )
    try:
        status = os.stat(path)
    except FileNotFoundError:
        status = None
    if status is not None and not stat.S_ISREG(status.st_mode):
        kind = "a folder" if stat.S_ISDIR(status.st_mode) else "not a regular file"
        raise _refusal(path, f"is {kind}", "pass the path of a file")
    if status is not None and _read_only(status.st_mode, path):
        raise _refusal(
            path, "is read-only", f"make it writable (chmod u+w {shlex.quote(path)}) or " + _ELSE
        )
    if _read_only(os.stat(folder).st_mode, folder):
        name = os.path.basename(path)
        raise _refusal(
            path,
            f"is in a read-only folder ({folder}), and SQLite writes its log "
            f"({name}-wal, {name}-shm) beside the file",
            f"make the folder writable (chmod u+w {shlex.quote(folder)}) or pass a path "
            "in another folder",
        )


def _open(path: str) -> int:
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    except PermissionError as exc:
        raise _refusal(path, f"cannot be written ({exc.strerror})", _ELSE) from None
    except OSError as exc:
        raise _refusal(path, f"cannot be opened ({exc.strerror})", _ELSE) from None


def _lock(fd: int, path: str) -> None:
    """One live mock per file: flock(2), exclusive, on the file itself.

    flock and the fcntl(2) byte-range locks SQLite takes are separate kinds on Linux and
    macOS, so neither blocks the other (not on NFS, where Linux builds flock from fcntl
    locks; SQLite advises against NFS anyway). The lock belongs to the open file, and the
    kernel releases it when the process holding it ends, however it ends (kill -9 too).
    The owner writes its PID in meta for the message.
    """
    if fcntl is None:
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pids = " ".join(str(pid) for pid in _owners(path, fd))
        raise _refusal(
            path,
            f"is in use by another running creatify-mock (PID {pids or 'unknown'})",
            f"stop it (kill {pids or '...'}) or " + _ELSE,
        ) from None
    except OSError as exc:
        raise _refusal(
            path, f"cannot be locked ({exc.strerror})", "put it on a local disk or " + _ELSE
        ) from None


def _owners(path: str, fd: int) -> list[int]:
    """The live process that holds the file: the PID its owner wrote in meta (read without
    writing) while that one runs, else every other process that has it open."""
    pid = None
    with suppress(sqlite3.Error, ValueError, TypeError):
        with closing(_connect(path, read_only=True)) as db:
            row = db.execute("SELECT value FROM meta WHERE key = 'pid'").fetchone()
        pid = int(row[0]) if row else None
    if pid is not None and alive(pid):
        return [pid]
    return holders(os.fstat(fd))


def _connect(path: str, *, read_only: bool) -> sqlite3.Connection:
    # mode=ro: SQLite opens the file read-only, so it can write nothing to it.
    target, uri = (
        (Path(path).absolute().as_uri() + "?mode=ro", True) if read_only else (path, False)
    )
    return sqlite3.connect(
        target, uri=uri, timeout=_OPEN_TIMEOUT, check_same_thread=False, isolation_level=None
    )


def _checked_connection(fd: int, path: str) -> sqlite3.Connection:
    """The connection the store keeps, once the file is known to be a good state file."""
    size = os.fstat(fd).st_size
    if size:
        head = os.pread(fd, 100, 0)
        if not head.startswith(_SQLITE_HEADER[: len(head)]):
            raise _refusal(
                path,
                f"is not an SQLite database (it begins with {head[:16]!r})",
                "pass a new file name (the mock creates the file) or a file a creatify-mock wrote",
            )
        if len(head) < 100:  # SQLite's header alone is 100 bytes
            raise _refusal(
                path, f"is damaged (cut short: {size} bytes)", "restore it from a copy or " + _ELSE
            )
    # Leftovers of another program (a log, a rollback journal) are read through a read-only
    # connection, which can neither checkpoint nor roll them back into the file. Without
    # any, the connection to keep only reads until the file is accepted, and the log files
    # it makes go when it closes.
    leftovers = size > 0 and any(os.path.exists(path + s) for s in _SIDECARS)
    db = _connect(path, read_only=leftovers)
    try:
        version = _inspect(db, path) if size else None
        if leftovers:
            db.close()
            db = _connect(path, read_only=False)
        try:
            _accept(db, version)
        except sqlite3.Error as exc:
            raise _sqlite_refusal(path, exc) from None
    except BaseException:
        db.close()
        raise
    return db


def _accept(db: sqlite3.Connection, version: int | None) -> None:
    """Write what this mock needs: the tables of a new file, the version of an earlier
    mock's, the owner's PID; in one transaction, so a refusal leaves nothing written."""
    db.execute("BEGIN IMMEDIATE")
    try:
        for statement in SCHEMA:
            db.execute(statement)
        if version != SCHEMA_VERSION:
            _set(db, "schema_version", str(SCHEMA_VERSION))
        _set(db, "pid", str(os.getpid()))
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute(f"PRAGMA busy_timeout={_BUSY_TIMEOUT_MS}")


def _set(db: sqlite3.Connection, key: str, value: str) -> None:
    db.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


def _sqlite_refusal(path: str, exc: sqlite3.Error) -> StateFileError:
    name = getattr(exc, "sqlite_errorname", "")
    said = " ".join(str(exc).split())
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return _refusal(
            path,
            f"is locked by another program (SQLite: {said})",
            "end that program's hold on it (an open transaction in the sqlite3 shell, say) "
            "or " + _ELSE,
        )
    if name.startswith("SQLITE_NOTADB"):
        return _refusal(path, f"is not an SQLite database SQLite can read ({said})", _ELSE)
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_IOERR_SHORT_READ")):
        return _refusal(path, f"is damaged (SQLite: {said})", "restore it from a copy or " + _ELSE)
    return _refusal(path, f"cannot be read (SQLite: {said})", _ELSE)


def _inspect(db: sqlite3.Connection, path: str) -> int | None:
    """Refuse anything but a good state file; return its schema version (None: an
    earlier mock's file, or a new file's)."""
    try:
        tables = _tables(db)
        if not tables:  # an SQLite file with nothing in it yet: nothing of anyone's to keep
            return None
        version = _version(db, path, tables)
        problems = [row[0] for row in db.execute("PRAGMA integrity_check(1)")]
        if problems != ["ok"]:
            raise _refusal(
                path, f"is damaged (SQLite: {problems[0]})", "restore it from a copy or " + _ELSE
            )
        if _shape(db) != _our_shape():
            raise _refusal(
                path,
                f"is another program's SQLite database (its tables: {', '.join(tables)}), "
                "not a creatify-mock state file",
                "pass a new file name (the mock adds nothing to another program's file)",
            )
        check_meta(db, path)
        check_records(db, path)
    except sqlite3.Error as exc:
        raise _sqlite_refusal(path, exc) from None
    return version


def _tables(db: sqlite3.Connection) -> list[str]:
    return [
        str(name)
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
    ]


def _version(db: sqlite3.Connection, path: str, tables: list[str]) -> int | None:
    """meta's schema_version, read first: a newer mock may have other tables."""
    if "meta" not in tables:
        return None
    try:
        row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
    except sqlite3.OperationalError:  # no such column: not our meta
        return None
    if row is None:
        return None
    version = whole(row[0])
    if version is None or version < 1:
        raise meta_refusal(path, "schema_version", row[0], "a whole number from 1")
    if version > SCHEMA_VERSION:
        raise _refusal(
            path,
            f"was written by a newer creatify-mock (state schema {version}; this one reads "
            f"{SCHEMA_VERSION} and older)",
            "upgrade creatify-mock or " + _ELSE,
        )
    return version


def _shape(db: sqlite3.Connection) -> dict[str, Any]:
    """Every table, column, index, view and trigger, as SQLite describes them."""
    shape: dict[str, Any] = {}
    for kind, name, table in db.execute(
        "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite\\_%' "
        "ESCAPE '\\' OR type != 'table'"
    ):
        if kind == "table":
            shape[f"table {name}"] = db.execute(
                'SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_info(?) '
                "ORDER BY cid",
                (name,),
            ).fetchall()
        elif kind == "index":
            columns = db.execute(
                "SELECT name FROM pragma_index_info(?) ORDER BY seqno", (name,)
            ).fetchall()
            shape[f"index {name}"] = (table, columns)
        else:  # a view or a trigger: this mock makes none
            shape[f"{kind} {name}"] = table
    return shape


@cache
def _our_shape() -> dict[str, Any]:
    with closing(sqlite3.connect(":memory:")) as db:
        for statement in SCHEMA:
            db.execute(statement)
        return _shape(db)


# -- meta and records ----------------------------------------------------------------------
