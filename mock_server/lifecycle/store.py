"""Records in SQLite: in memory by default, in a file with --state so a restart loses nothing."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from .records import Record
from .statefile import SCHEMA, StateFile

__all__ = ["Store"]


class Store:
    """Thread-safe: one connection, one lock; every write is committed before it returns.

    The newest `cache_size` records are also kept parsed in memory, written through on every
    change, so that a client polling its records costs no SQLite query. Only this process
    writes the database, so the copy cannot go stale.
    """

    def __init__(self, path: str | Path | None = None, cache_size: int = 512) -> None:
        """`path`: a state file, refused with a `StateFileError` unless it is new or a good
        one no other mock holds (see `statefile`); None keeps everything in memory."""
        self.path = str(path) if path else ":memory:"
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._cache_size = cache_size
        # How many records each account has, kept while no record is added or cleared: the
        # dashboard asks every second, and counting 100,000 records takes ~15 ms.
        self._accounts: dict[str, int] | None = None
        self._file = StateFile(self.path) if path else None
        if self._file is not None:
            self._db = self._file.db
        else:
            self._db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            for statement in SCHEMA:
                self._db.execute(statement)

    def insert(self, record: Record) -> Record:
        with self._lock:
            state = record.to_json()
            cursor = self._db.execute(
                "INSERT INTO records (id, account, due, data) VALUES (?, ?, ?, ?)",
                (record.id, record.account, record.due, _dump(state)),
            )
            # The row's seq is the record's: read back from its column, not from `data`.
            record.seq = state["seq"] = int(cursor.lastrowid or 0)
            self._remember(record.id, state)
            self._accounts = None
        return record

    def save(self, record: Record) -> None:
        with self._lock:
            state = record.to_json()
            cursor = self._db.execute(
                "UPDATE records SET due = ?, data = ? WHERE id = ?",
                (record.due, _dump(state), record.id),
            )
            if cursor.rowcount:  # a record cleared meanwhile stays gone, cached or not
                state["seq"] = record.seq
                self._remember(record.id, state)

    def get(self, record_id: str) -> Record | None:
        with self._lock:
            state = self._cache.get(record_id)
            if state is not None:
                self._cache.move_to_end(record_id)
            else:
                row = self._db.execute(
                    "SELECT seq, data FROM records WHERE id = ?", (record_id,)
                ).fetchone()
                if row is None:
                    return None
                state = _state(row)
                self._remember(record_id, state)
        return Record.from_json(state)  # a fresh object: callers may change it freely

    def _remember(self, record_id: str, state: dict[str, Any]) -> None:
        self._cache[record_id] = state
        self._cache.move_to_end(record_id)
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def of_account(self, account: str, ids: Iterable[str] | None = None) -> list[Record]:
        """The account's records, newest first, optionally only those in `ids`."""
        query = "SELECT seq, data FROM records WHERE account = ?"
        args: list[str] = [account]
        if ids is not None:
            wanted = list(dict.fromkeys(ids))
            if not wanted:
                return []
            query += f" AND id IN ({', '.join('?' * len(wanted))})"
            args.extend(wanted)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY seq DESC", args).fetchall()
        return [Record.from_json(_state(row)) for row in rows]

    def newest(self, account: str | None, limit: int, offset: int = 0) -> list[Record]:
        """A page of records, newest first: the account's, or every account's (None)."""
        where, args = ("WHERE account = ?", [account]) if account is not None else ("", [])
        query = f"SELECT seq, data FROM records {where} ORDER BY seq DESC LIMIT ? OFFSET ?"
        with self._lock:
            rows = self._db.execute(query, [*args, limit, offset]).fetchall()
        return [Record.from_json(_state(row)) for row in rows]

    def accounts(self) -> dict[str, int]:
        """How many records each account has, the account with the newest record first."""
        with self._lock:
            if self._accounts is None:
                rows = self._db.execute(
                    "SELECT account, COUNT(*) FROM records GROUP BY account ORDER BY MAX(seq) DESC"
                ).fetchall()
                self._accounts = {str(account): int(count) for account, count in rows}
            return dict(self._accounts)

    def pending(self) -> list[tuple[float, str]]:
        """(due, id) of every record with a step still to come and a webhook to call."""
        with self._lock:
            rows = self._db.execute(
                "SELECT due, id FROM records WHERE due IS NOT NULL "
                "AND coalesce(json_extract(data, '$.webhook_url'), '') != '' ORDER BY due"
            ).fetchall()
        return [(float(due), str(rid)) for due, rid in rows]

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM records").fetchone()[0])

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM records")
            self._cache.clear()
            self._accounts = None

    def get_meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return str(row[0]) if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()  # the connection, then the lock
            else:
                self._db.close()


def _dump(state: dict[str, Any]) -> str:
    # Text, not bytes, so that a --state file stays readable with the sqlite3 shell. id and
    # account stay in it although they have columns: earlier mocks read them from here.
    data = {k: v for k, v in state.items() if k != "seq"}
    try:
        return orjson.dumps(data).decode()
    except orjson.JSONEncodeError:  # a lone surrogate a client sent, which json escapes
        return json.dumps(data, separators=(",", ":"))


def _state(row: tuple[int, str]) -> dict[str, Any]:
    seq, text = row
    try:
        state: dict[str, Any] = orjson.loads(text)
    except orjson.JSONDecodeError:  # an escaped lone surrogate, or Infinity from an old file
        state = json.loads(text)
    state["seq"] = int(seq)
    return state
