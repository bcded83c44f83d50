"""Running the client under test: in a process group of its own, ended whole on timeout and
at the end, so that what it started (`npx` starting `tsx` starting `node`) cannot outlive it.

Output goes to files, not pipes: a grandchild that keeps a pipe open would otherwise hold the
harness until it ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["ClientRun", "Stopped", "run_client"]

GRACE_SECONDS = 2.0  # between SIGTERM and SIGKILL to the group


@dataclass(frozen=True)
class ClientRun:
    exit_code: int | None  # None: still running at the timeout, and ended by the harness
    stdout: str
    stderr: str
    seconds: float
    started: float  # time.time() at the start, for lining the run up with the journal
    ended: float  # time.time() when the client's own process ended (or was ended)


class Stopped(Exception):
    """The harness was asked to stop (Ctrl-C with several scenarios at once)."""


def run_client(
    command: list[str],
    env: Mapping[str, str],
    timeout: float,
    stop: threading.Event | None = None,
) -> ClientRun:
    started_wall, started = time.time(), time.monotonic()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        try:
            process = subprocess.Popen(
                command,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,  # its own process group, led by it
            )
        except OSError as exc:
            failed = 127 if isinstance(exc, FileNotFoundError) else 126
            reason = exc.strerror or str(exc)
            now = time.time()
            return ClientRun(failed, "", f"{command[0]}: {reason}", 0.0, started_wall, now)
        try:
            code = _wait(process, timeout, stop)
        except BaseException:  # Ctrl-C reaches the harness only: its own session is apart
            _end_group(process)
            raise
        ended = time.time()
        _end_group(process)
        seconds = time.monotonic() - started
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    return ClientRun(code, stdout, stderr, seconds, started_wall, ended)


def _wait(
    process: subprocess.Popen[bytes], timeout: float, stop: threading.Event | None
) -> int | None:
    """The client's exit code, or None at the timeout; Stopped when `stop` is set."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            return process.wait(left if stop is None else min(left, 0.2))
        except subprocess.TimeoutExpired:
            if stop is not None and stop.is_set():
                raise Stopped from None
    return process.poll()


def _end_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to every process of the client's group, SIGKILL to what is left after a
    grace period; the client itself is reaped."""
    group = process.pid
    if not _signal_group(group, signal.SIGTERM):
        process.wait()
        return
    deadline = time.monotonic() + GRACE_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None and not _group_alive(group):
            return
        time.sleep(0.05)
    _signal_group(group, signal.SIGKILL)
    process.wait()


def _signal_group(group: int, sig: signal.Signals) -> bool:
    try:
        os.killpg(group, sig)
    except ProcessLookupError:  # nothing of the group is left
        return False
    except PermissionError:  # a member changed its user: end what is ours
        return False
    return True


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True
