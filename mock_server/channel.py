"""The connection `creatify-mock serve` gives each client: waitress's, with four changes.

1. No busy loop. waitress asks a connection to be polled for writing whenever output waits
   in its buffer. While a worker thread is still answering, that output is the worker's to
   send (it sends as it writes) and the I/O thread may not take its lock: poll() answers
   "writable" at once, again and again, and the spinning I/O thread takes the GIL from the
   very worker it waits for. With 16 clients posting at once the mock made 64–135 answers a
   second, its I/O thread at 75% of a core (benchmarks/RESULTS.md, run 18). So while a
   request is being answered the I/O thread waits for the worker's wake-up, unless the
   buffer has reached waitress's high watermark, where the worker waits for it to drain.
2. No worker held by a client that does not read. At the high watermark (16 MiB unsent) a
   worker waits for the client to take its answer; waitress waits forever, so a few clients
   that ask for a lot and read nothing held every worker. Here a worker waits while bytes
   move, and gives up (closing the connection) after SEND_STALL_SECONDS without one.
3. At most MAX_PIPELINED requests sent ahead. A client that writes many requests before
   reading an answer gets the first MAX_PIPELINED answered, then the connection closed (it
   may send the rest again on a new one): a few hundred bytes of pipelined GETs asked for
   hundreds of MiB of answers to buffer. Past the 8 KiB waitress reads at once, the bytes
   left unread make the close a reset (the answers sent before it arrive first).
4. waitress's refusals in the mock's JSON. What waitress refuses before the app sees it (a
   body past its limit, headers past theirs, broken chunking) it answered in plain text,
   and it promised `100 Continue` to a request it had already refused, which then waited
   for an answer that never came. A client of the mock parses JSON: these come at once as
   `{"detail": ...}` naming the limit and what came, in the app's own words.
"""

from __future__ import annotations

import contextlib
import functools
import json
import socket
import time
from typing import Any

MAX_PIPELINED = 8  # requests a client may send ahead of the answers; Swagger UI's 1.7 MB
# bundle 8 times stays under the high watermark, so pipelined answers never hold a worker
SEND_STALL_SECONDS = 5.0  # a worker waits this long for a client that takes no byte

__all__ = ["MAX_PIPELINED", "SEND_STALL_SECONDS", "mock_channel"]


@functools.cache
def mock_channel(body_limit: int) -> type:
    """The channel class, its body refusals naming `body_limit` (the app's own limit, the
    one a client has to keep to)."""
    from waitress.channel import HTTPChannel
    from waitress.task import ErrorTask

    class JsonErrorTask(ErrorTask):  # type: ignore[misc]
        def execute(self) -> None:
            request = self.request
            body = json.dumps(
                {"detail": _refusal_detail(request.error, request, self.channel.adj, body_limit)}
            )
            self.status = f"{request.error.code} {request.error.reason}"
            self.response_headers.append(("Content-Type", "application/json"))
            # What is left of the request is not read: the connection closes, whatever it
            # asked for (an HTTP/1.0 keep-alive would add a second, contrary header).
            request.headers.pop("CONNECTION", None)
            self.set_close_on_finish()
            self.content_length = len(body)
            self.write(b"" if request.command == "HEAD" else body.encode())

    class MockChannel(HTTPChannel):  # type: ignore[misc]
        error_task_class = JsonErrorTask
        request: Any  # the request being read, waitress's own attribute

        def writable(self) -> bool:
            answering = bool(self.requests) and not (self.will_close or self.close_when_flushed)
            # The worker waits while the buffer is past the watermark and is woken only
            # once it is below: at the watermark itself the I/O thread must still send.
            if answering and self.total_outbufs_len < self.adj.outbuf_high_watermark:
                return False
            return bool(super().writable())

        def send_continue(self) -> None:
            if self.request.error is None:  # a refused request gets its refusal instead
                super().send_continue()

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # waitress appends each request it reads, and workers pop them, under its
            # requests_lock: the queue itself enforces the cap. waitress assigns a new list
            # only when the connection is closing, when no more requests are read.
            self.requests = _SentAhead()

        def _flush_outbufs_below_high_watermark(self) -> None:
            high = self.adj.outbuf_high_watermark
            if self.total_outbufs_len <= high:
                return
            with self.outbuf_lock:
                _, failed = self._flush_exception(self._flush_some, do_close=False)
                left, since = self.total_outbufs_len, time.monotonic()
                while not failed and self.connected and self.total_outbufs_len > high:
                    self.server.pull_trigger()  # the I/O thread sends, and wakes us below it
                    self.outbuf_lock.wait(timeout=0.25)
                    if self.total_outbufs_len < left:
                        left, since = self.total_outbufs_len, time.monotonic()
                    elif time.monotonic() - since > SEND_STALL_SECONDS:
                        failed = True
            if failed:
                self._let_go()

        def _let_go(self) -> None:
            # As if the client had gone: the answer being written ends (write_soon raises
            # ClientDisconnected) and no more of its requests are served. The I/O thread,
            # which owns the connection, closes it: a shut-down socket polls as hung up.
            self.connected = False
            self.will_close = True
            sock = self.socket  # None once the I/O thread has closed it
            if sock is not None:
                with contextlib.suppress(OSError):  # the client has gone already
                    sock.shutdown(socket.SHUT_RDWR)
            self.server.pull_trigger()

    return MockChannel


class _SentAhead(list[Any]):
    """A connection's requests read but not yet answered, MAX_PIPELINED at most. One more is
    dropped unanswered (its body released) and the last kept is answered with `Connection:
    close`, after which the client may send the rest again on a new connection."""

    def append(self, request: Any) -> None:
        if len(self) < MAX_PIPELINED:
            super().append(request)
            return
        request.close()
        self[-1].headers["CONNECTION"] = "close"  # never self[0], the one being answered


def _refusal_detail(error: Any, request: Any, adj: Any, body_limit: int) -> str:
    """What waitress refused, in the words of the mock's own refusals."""
    if error.code == 413:
        got = (
            f"{request.body_bytes_received} bytes of a chunked body and more"
            if request.chunked
            else f"{request.content_length} bytes (Content-Length)"
        )
        return f"Request body too large: expected at most {body_limit} bytes; got {got}."
    if error.code == 431:
        return (
            f"Request headers too large: expected under {adj.max_request_header_size} bytes "
            f"of headers in all; got {request.header_bytes_received} and more. Send long "
            "values in the body, not in headers."
        )
    said = f"{error.reason}: {str(error.body).rstrip('.')}."
    if error.code == 501:
        return f"{said} Send the body with Content-Length, or Transfer-Encoding: chunked."
    return f"{said} The request is not well-formed HTTP/1.1; send it with an HTTP client."
