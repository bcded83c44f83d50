"""The pipeline's last step when the mock replays recordings (`serve --replay`): what an
operation answers comes from a recording instead of the simulator. Everything before it
(route, faults, auth, body, validation) and after it (the journal, the log line) is the
mock's own, as when it simulates."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Protocol

from ..contract.compiled import UNPARSED
from .errors import NotRecorded
from .exchange import Exchange
from .reply import Reply

__all__ = ["Recordings", "Replayed", "replay"]


class Replayed(Protocol):
    """A recorded answer, or why there is none (`miss`)."""

    @property
    def status(self) -> int: ...
    @property
    def body(self) -> bytes: ...
    @property
    def content_type(self) -> str: ...
    @property
    def miss(self) -> str | None: ...


class Recordings(Protocol):
    """What answers from recordings (`mock_server.recordings.replay.Replayer`)."""

    def answer(
        self,
        operation: str,
        method: str,
        path: str,
        path_args: Mapping[str, str],
        query: str,
        body: bytes,
    ) -> Replayed: ...

    def reset(self) -> None: ...

    def summary(self) -> dict[str, Any]: ...


def replay(recordings: Recordings, exchange: Exchange) -> Reply:
    """The recorded answer to a request that passed auth and validation; a request no
    recording answers is a 404 naming the nearest recordings (NotRecorded)."""
    assert exchange.operation is not None
    found = recordings.answer(
        exchange.operation,
        exchange.method,
        exchange.path,
        exchange.path_args,
        exchange.environ.get("QUERY_STRING", ""),
        exchange.body or b"",
    )
    if found.miss is not None:
        exchange.replayed = "miss"
        raise NotRecorded(404, found.miss)
    exchange.replayed = "answer"
    payload: Any = UNPARSED
    if found.content_type.partition(";")[0].strip().endswith("json") and found.body.strip():
        try:
            payload = json.loads(found.body)
        except ValueError:
            payload = UNPARSED  # the recorded text goes as it was; the answer's check says why
    if isinstance(payload, dict):
        record_id, status = payload.get("id"), payload.get("status")
        exchange.record_id = record_id if isinstance(record_id, str) else None
        exchange.record_status = status if isinstance(status, str) else None
    return Reply(found.status, found.body, {"Content-Type": found.content_type}, payload=payload)
