"""Serving a mock over a socket with waitress: in the foreground, or in a background thread."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

from flask import Flask
from waitress import wasyncore
from waitress.server import BaseWSGIServer, create_server

from .app import close_app, create_app

__all__ = ["MockServer", "bind", "serve_forever"]


def bind(app: Flask, host: str, port: int, threads: int) -> BaseWSGIServer:
    """Listen on host:port (0 picks a free port); refusals name the port and the fix."""
    try:
        server = create_server(app, host=host, port=port, threads=threads, ident="creatify-mock")
    except OSError as exc:
        raise OSError(
            exc.errno,
            f"cannot listen on {host}:{port} ({exc.strerror}); pick another --port, "
            "or --port 0 for any free one",
        ) from exc
    if not isinstance(server, BaseWSGIServer):  # several sockets only with a list of hosts
        raise TypeError(f"expected one listening socket for {host!r}; got {type(server).__name__}")
    return server


def base_url(server: BaseWSGIServer) -> str:
    host = str(server.effective_host)
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{server.effective_port}"


def serve_forever(
    app: Flask, host: str, port: int, threads: int, on_ready: Callable[[str], None]
) -> None:
    server = bind(app, host, port, threads)
    on_ready(base_url(server))
    try:
        server.run()
    finally:
        close_app(app)


class MockServer:
    """A mock on a loopback port, served from a background thread.

        with MockServer() as mock:
            httpx.get(mock.url + "/api/product_to_videos/", headers=...)

    Keyword arguments other than host, port and threads go to `create_app`; or pass an
    app built already.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = 4,
        **app_options: Any,
    ) -> None:
        self.app = app if app is not None else create_app(**app_options)
        self._owns_app = app is None
        self.host, self.port, self.threads = host, port, threads
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("MockServer is not running: call start() or use it in a with block")
        return base_url(self._server)

    def start(self) -> MockServer:
        if self._server is not None:
            raise RuntimeError("MockServer is already running; stop() it first")
        self._server = bind(self.app, self.host, self.port, self.threads)
        self._thread = threading.Thread(
            target=self._server.run, name="creatify-mock-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        self._server = self._thread = None
        server.task_dispatcher.shutdown()
        server.close()
        wasyncore.close_all(server._map)
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
