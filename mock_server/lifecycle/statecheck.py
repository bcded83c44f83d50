"""Every meta value and record of an opened state file, checked before the mock serves it:
a bad one is refused naming the row and the sqlite3 command that deletes it."""

from __future__ import annotations

import shlex
import sqlite3
from contextlib import closing

from .errors import StateFileError
from .staterows import meta_problem, record_problem, shown, text_of

__all__ = ["ELSE", "check_meta", "check_records", "meta_refusal"]

ELSE = "pass another --state file"


def _sql_command(path: str, sql: str) -> str:
    """The sqlite3 shell's command line that runs `sql` on the file."""
    quoted = f'"{sql}"' if not set(sql) & set('"$`\\!') else shlex.quote(sql)
    return f"sqlite3 {shlex.quote(path)} {quoted}"


def meta_refusal(path: str, key: str, value: object, expected: str) -> StateFileError:
    """A meta value refused, with the command that deletes it."""
    sql = "DELETE FROM meta WHERE key = '{}'".format(str(key).replace("'", "''"))
    return StateFileError(
        path,
        f"has a bad meta value: {key} is {shown(value)}, not {expected}",
        f"delete it ({_sql_command(path, sql)}) or " + ELSE,
    )


def check_meta(db: sqlite3.Connection, path: str) -> None:
    db.text_factory = bytes  # text that is not UTF-8 is refused here, not in a later call
    try:
        for key, value in db.execute("SELECT key, value FROM meta ORDER BY key").fetchall():
            key, value = text_of(key) or shown(key), text_of(value) or value
            expected = meta_problem(key, value)
            if expected is not None:
                raise meta_refusal(path, key, value, expected)
    finally:
        db.text_factory = str


def check_records(db: sqlite3.Connection, path: str) -> None:
    db.text_factory = bytes  # text that is not UTF-8 is refused here, not in a later call
    # The cursor is closed before a refusal leaves: an open one would keep the connection,
    # and the log files it made beside the file, alive after close.
    query = "SELECT seq, id, account, due, data FROM records ORDER BY seq"
    try:
        with closing(db.execute(query)) as rows:
            for seq, record_id, account, due, data in rows:
                problem = record_problem(record_id, account, due, data)
                if problem is None:
                    continue
                shown_id = text_of(record_id)
                raise StateFileError(
                    path,
                    f"has a record the mock cannot serve (seq {seq}"
                    + (f", id {shown_id}" if shown_id else "")
                    + f"): {problem}",
                    f"delete it ({_sql_command(path, f'DELETE FROM records WHERE seq = {seq}')})"
                    " or " + ELSE,
                )
    finally:
        db.text_factory = str
