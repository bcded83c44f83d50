"""Serving a mock over a socket: granian for `creatify-mock serve`, waitress for the recording
proxy, Werkzeug's threaded server for a mock in a background thread of a test process."""

from __future__ import annotations

import functools
import gc
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # each server is imported only by the command that runs it
    from waitress.server import BaseWSGIServer as WaitressServer
    from werkzeug.serving import BaseWSGIServer

from flask import Flask

from .api.state import EXTENSION
from .app import close_app, create_app

__all__ = ["MockServer", "bind", "serve_fast", "serve_forever"]


def bind(app: Flask, host: str, port: int, threads: int) -> WaitressServer:
    """Listen on host:port (0 picks a free port); refusals name the port and the fix."""
    from waitress.server import BaseWSGIServer as WaitressServer
    from waitress.server import create_server

    try:
        server = create_server(app, host=host, port=port, threads=threads, ident="creatify-mock")
    except OSError as exc:
        raise _refused(host, port, exc) from exc
    if not isinstance(server, WaitressServer):  # several sockets only with a list of hosts
        raise TypeError(f"expected one listening socket for {host!r}; got {type(server).__name__}")
    return server


def base_url(server: WaitressServer) -> str:
    host = str(server.effective_host)
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{server.effective_port}"


def serve_forever(
    app: Flask, host: str, port: int, threads: int, on_ready: Callable[[str], None]
) -> None:
    server = bind(app, host, port, threads)
    _resume(app)
    on_ready(base_url(server))
    try:
        server.run()
    finally:
        close_app(app)


def serve_fast(
    app: Flask, host: str, port: int, threads: int, on_ready: Callable[[str], None]
) -> None:
    """Serve with granian until SIGINT or SIGTERM: HTTP is parsed in Rust, outside the GIL,
    and one Python thread runs the app (`threads` more share the one GIL; see benchmarks/).

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

    def load(target: str, **_: Any) -> Flask:
        # In the worker: announce once the socket granian binds next accepts connections.
        threading.Thread(
            target=_announce_when_listening, args=(host, port, url, on_ready), daemon=True
        ).start()
        _resume(app)
        return app

    server = MPServer(
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
        """The mock journals every request itself; no second log line per request."""

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass

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
