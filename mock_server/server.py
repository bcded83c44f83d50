"""Serving a mock over a socket, on two servers, each for its reason:

- granian, for `creatify-mock serve`: speed. It parses HTTP in Rust, outside the GIL; on
  pure-Python waitress, which it replaced, bare Flask ran at 0.35-0.65x its rate and the mock
  slowed down as connections were added (benchmarks/RESULTS.md).
- Werkzeug's threaded server, for `MockServer` (a mock in a background thread of a test
  process) and for `creatify-mock record` (the recording proxy): it comes with Flask, so it
  costs no dependency of its own; it runs in any thread and stops cleanly from another; and
  a proxy's time goes to waiting on the real API, which no server makes shorter.
"""

from __future__ import annotations

import ctypes
import functools
import gc
import os
import signal
import socket
import struct
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # each server is imported only by the command that runs it
    from werkzeug.serving import BaseWSGIServer

from flask import Flask

from .api.faults import ConnectionDropped
from .api.state import EXTENSION
from .app import close_app, create_app

_PR_SET_PDEATHSIG = 1  # linux/prctl.h

__all__ = ["MockServer", "bind", "serve_fast", "serve_forever"]


def bind(app: Flask, host: str, port: int) -> BaseWSGIServer:
    """Listen on host:port (0 picks a free port) with Werkzeug's threaded server; refusals
    name the port and the fix."""
    from werkzeug.serving import make_server

    try:
        return make_server(host, port, app, threaded=True, request_handler=_quiet_handler())
    except OSError as exc:
        raise _refused(host, port, exc) from exc


def base_url(server: BaseWSGIServer) -> str:
    host = str(server.host)
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{server.port}"


def serve_forever(
    app: Flask, host: str, port: int, threads: int, on_ready: Callable[[str], None]
) -> None:
    """Serve until SIGINT, each connection on a thread of its own (Werkzeug closes every
    connection after one answer), so `threads` bounds nothing here."""
    server = bind(app, host, port)
    _resume(app)
    on_ready(base_url(server))
    try:
        server.serve_forever()  # returns on KeyboardInterrupt, the socket closed
    finally:
        if EXTENSION in getattr(app, "extensions", {}):  # a mock; the recorder has no state
            close_app(app)


def serve_fast(
    app: Flask, host: str, port: int, threads: int, on_ready: Callable[[str], None]
) -> None:
    """Serve with granian until SIGINT, SIGTERM or SIGHUP (ignored under nohup): HTTP is parsed
    in Rust, outside the GIL, and one Python thread runs the app (`threads` more share the
    one GIL; see benchmarks/).

    granian runs the app in one forked worker process. The app is built here, before the
    fork, and starts its threads (ticker, webhook senders) only on first use, so they live
    in the worker; `on_ready` runs there once the port accepts connections.
    """
    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import MPServer

    port = port or _free_port(host)
    _check_free(host, port)
    shown = f"[{host}]" if ":" in host else host
    url = f"http://{shown}:{port}"

    parent = os.getpid()

    def load(target: str, **_: Any) -> Flask:
        _die_with(parent)
        # In the worker: announce once the socket granian binds next accepts connections.
        threading.Thread(
            target=_announce_when_listening, args=(host, port, url, on_ready), daemon=True
        ).start()
        _resume(app)
        return app

    hangup_ignored = signal.getsignal(signal.SIGHUP) == signal.SIG_IGN

    class Server(MPServer):
        def signal_handler_reload(self, *args: Any, **kwargs: Any) -> None:
            # granian reloads its worker on SIGHUP, which would start an in-memory mock
            # afresh with every record gone. HUP ends the mock as TERM does, or, under nohup
            # (HUP ignored when it started), is ignored still.
            if not hangup_ignored:
                self.signal_handler_interrupt()  # type: ignore[no-untyped-call]

    server = Server(
        "creatify_mock:app",  # only a label: `load` hands granian the app itself
        address=host,
        port=port,
        interface=Interfaces.WSGI,
        workers=1,
        blocking_threads=threads,
        log_level=LogLevels.warning,
        workers_kill_timeout=5,
    )
    # What start built (the app, the spec, compiled validators) lives as long as the process:
    # frozen, the collector neither scans it on every full pass nor, by touching it, copies
    # its pages into the forked worker.
    gc.collect()  # what start left as garbage is freed, not frozen for good
    gc.freeze()
    server.serve(target_loader=load)


def _die_with(parent: int) -> None:
    """Linux: have the kernel kill this worker when the process that started it dies, even by
    kill -9; an orphan would go on serving, and writing the --state file, unseen."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: granian's own shutdown is all there is
        return
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(1)


def _resume(app: Flask) -> None:
    # Where the app is served (after granian's fork): webhooks a --state file left due go
    # out on time even if no client calls. Not every app served is a mock (the recorder,
    # a bare WSGI function).
    state = getattr(app, "extensions", {}).get(EXTENSION)
    if state is not None:
        state.simulator.resume()


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.bind((host, 0))
        return int(probe.getsockname()[1])


def _check_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise _refused(host, port, exc) from exc


def _refused(host: str, port: int, exc: OSError) -> OSError:
    return OSError(
        exc.errno,
        f"cannot listen on {host}:{port} ({exc.strerror}); pick another --port, "
        "or --port 0 for any free one",
    )


def _announce_when_listening(
    host: str, port: int, url: str, on_ready: Callable[[str], None], timeout: float = 30.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
        except OSError:
            time.sleep(0.005)
            continue
        on_ready(url)
        return


@functools.cache
def _quiet_handler() -> type:
    from werkzeug.serving import WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        """The mock journals every request itself; no second log line per request.

        Server and Date are sent only where the app sent none, so the recording proxy passes
        on the real API's, not a second pair of its own.
        """

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass

        def send_response(self, code: int, message: str | None = None) -> None:
            self.log_request(code)
            self.send_response_only(code, message)
            self._defaults = {"server": self.version_string(), "date": self.date_time_string()}

        def send_header(self, keyword: str, value: str) -> None:
            getattr(self, "_defaults", {}).pop(keyword.lower(), None)
            super().send_header(keyword, value)

        def end_headers(self) -> None:
            defaults, self._defaults = getattr(self, "_defaults", {}), {}
            for keyword, value in defaults.items():
                super().send_header(keyword.title(), value)
            super().end_headers()

        def connection_dropped(self, error: BaseException, environ: Any = None) -> None:
            """A fault that sends no answer (api.faults): close the connection, or reset it
            (RST at once, not the FIN a close sends first)."""
            self.close_connection = True
            if isinstance(error, ConnectionDropped) and error.reset:
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
                os.close(self.connection.detach())

    return QuietHandler


class MockServer:
    """A mock on a loopback port, served from a background thread.

        with MockServer() as mock:
            httpx.get(mock.url + "/api/product_to_videos/", headers=...)

    Keyword arguments other than host and port go to `create_app`; or pass an app built
    already. Werkzeug's threaded server serves it here (a clean shutdown() from any
    thread); `creatify-mock serve` uses granian.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        **app_options: Any,
    ) -> None:
        self.app = app if app is not None else create_app(**app_options)
        self._owns_app = app is None
        self.host, self.port = host, port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("MockServer is not running: call start() or use it in a with block")
        host = self._server.host
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self._server.port}"

    def start(self) -> MockServer:
        if self._server is not None:
            raise RuntimeError("MockServer is already running; stop() it first")
        try:
            from werkzeug.serving import make_server

            self._server = make_server(
                self.host, self.port, self.app, threaded=True, request_handler=_quiet_handler()
            )
        except OSError as exc:
            raise OSError(
                exc.errno,
                f"cannot listen on {self.host}:{self.port} ({exc.strerror}); pick another "
                "port, or 0 for any free one",
            ) from exc
        _resume(self.app)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # how soon stop() is heard
            name="creatify-mock-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        if self._owns_app:
            close_app(self.app)

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
