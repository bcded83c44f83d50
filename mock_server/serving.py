"""`creatify-mock serve`'s server: waitress, chosen for safety under slow and hostile
clients, then speed.

waitress reads each request whole, body included, on an asynchronous I/O thread before a
worker thread runs the app, closes idle connections, and bounds how many it holds. granian,
which served before it, parses HTTP faster (in Rust) but reads a WSGI body on the app's one
thread with no deadline and never closes a connection that sends nothing: one stalled client
froze the mock for all, and 1,024 idle sockets locked everyone out (issue 12; granian's issue
728 declines a body timeout). What this costs and saves is in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import contextlib
import logging
import resource
import signal
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask

from .api.state import EXTENSION
from .app import close_app
from .channel import mock_channel
from .server import refused, resume

# What `serve` holds to, beside the app's own limits (listed in `creatify-mock serve --help`).
IDLE_TIMEOUT = 30  # seconds a connection may do nothing, mid-body or between requests
MAX_CONNECTIONS = 10_000
SERVER_BODY_LIMIT = 1 << 20  # past it waitress answers 413 itself; the app's limit is lower
BODY_IN_MEMORY = 128 << 10  # a body beyond it waits in a temporary file, not in memory

__all__ = [
    "IDLE_TIMEOUT",
    "MAX_CONNECTIONS",
    "connection_limit",
    "serve_safely",
]


def serve_safely(
    app: Flask,
    host: str,
    port: int,
    threads: int,
    on_ready: Callable[[str], None],
    *,
    idle_timeout: int = IDLE_TIMEOUT,
) -> None:
    """Serve with waitress until SIGINT, SIGTERM or SIGHUP (ignored under nohup).

    waitress reads every request whole, body included, on one asynchronous I/O thread before
    a worker thread runs the app; what a client does not take of an answer at once is sent
    from buffers on that thread too: a client that stalls mid-body or never reads its answer
    holds a connection, not a thread (a worker waits for a client only when 16 MiB wait
    unsent, and only while the client takes bytes, 5 s at most without one: `channel`).
    Connections with nothing to do for `idle_timeout` seconds are closed, stalled bodies
    included. The app, its store and its threads live in this one process.
    """
    from waitress.server import create_server

    for noisy in ("waitress", "waitress.queue"):  # the mock logs requests and its own errors
        logging.getLogger(noisy).setLevel(logging.ERROR)
    connections = connection_limit()
    listeners: dict[int, Any] = {}
    try:
        server: Any = create_server(
            app,
            map=listeners,
            host=host,
            port=port,
            threads=threads,
            ident="creatify-mock",
            channel_timeout=idle_timeout,
            cleanup_interval=max(1, min(5, idle_timeout)),
            connection_limit=connections,
            asyncore_use_poll=True,  # select() cannot watch a descriptor past 1024
            max_request_body_size=SERVER_BODY_LIMIT,
            inbuf_overflow=BODY_IN_MEMORY,
            expose_tracebacks=False,
        )
    except OSError as exc:
        raise refused(host, port, exc) from exc
    state = getattr(app, "extensions", {}).get(EXTENSION)
    body_limit = state.config.max_body_bytes if state is not None else SERVER_BODY_LIMIT - 1
    channel = mock_channel(body_limit)
    for dispatcher in listeners.values():  # a listener per address the host names, a trigger
        if hasattr(dispatcher, "channel_class"):
            dispatcher.channel_class = channel
    shown = f"[{host}]" if ":" in host else host
    resume(app)
    on_ready(f"http://{shown}:{server.effective_port}")
    try:
        with _ending_signals():
            server.run()  # returns on KeyboardInterrupt, its worker threads ended
    finally:
        server.close()
        if EXTENSION in getattr(app, "extensions", {}):
            close_app(app)


def connection_limit(reserve: int = 256) -> int:
    """Connections served at once: as many as this process may open files for (its soft
    limit raised to the hard one), less a reserve for the store, temporary files and
    webhooks, and at most MAX_CONNECTIONS. Past it, new connections wait in the listen
    backlog until idle ones are closed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = MAX_CONNECTIONS + reserve
    if soft != resource.RLIM_INFINITY and soft < wanted:
        ceiling = wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (ceiling, hard))
            soft = ceiling
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY:
        return MAX_CONNECTIONS
    return max(16, min(MAX_CONNECTIONS, soft - reserve))


@contextlib.contextmanager
def _ending_signals() -> Iterator[None]:
    """SIGTERM and SIGHUP end the mock as Ctrl-C does: its answers sent, its store closed.
    HUP ignored when the mock started (nohup) stays ignored."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    ending = [signal.SIGTERM]
    if signal.getsignal(signal.SIGHUP) != signal.SIG_IGN:
        ending.append(signal.SIGHUP)
    previous = {signum: signal.signal(signum, interrupt) for signum in ending}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
