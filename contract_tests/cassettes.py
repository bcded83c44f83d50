"""Record and replay per test: HAR cassettes answered in process through respx.

Modes (a str Enum, so a typo is refused rather than quietly acting as another mode):
`none` replays and never reaches a network (the default, for CI); `once` records when the
cassette is missing, then replays; `all` records every time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from mock_server import Choice

from .mock import CREATIFY_URL, RespxMissing

__all__ = ["Cassette", "CassetteMissing", "RecordMode", "cassette_name"]


class RecordMode(Choice):
    NONE = "none"
    ONCE = "once"
    ALL = "all"


@dataclass
class CassetteMissing(AssertionError):
    path: Path
    mode: RecordMode

    def __str__(self) -> str:
        return (
            f"no cassette at {self.path} and record mode is {self.mode.value!r}, which never "
            "reaches the network; record it once with --creatify-record-mode once "
            "(and real credentials), then commit it"
        )


def cassette_name(test_name: str) -> str:
    """A file name from a test id: parametrize brackets and odd characters become dashes."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", test_name).strip("-") + ".har"


@dataclass
class Cassette:
    """httpx calls to https://api.creatify.ai answered from (or recorded into) one HAR file."""

    path: Path
    mode: RecordMode = RecordMode.NONE
    upstream: str = CREATIFY_URL
    scrub: tuple[str, ...] = ()
    recording: bool = field(init=False, default=False)
    _router: Any = field(init=False, default=None)
    _app: Any = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.mode = RecordMode.parse("record mode", self.mode)

    def __enter__(self) -> Cassette:
        try:
            import respx
        except ImportError as exc:
            raise RespxMissing("respx") from exc

        from mock_server import FORWARDED_HEADER, create_recorder, create_replay_app

        self.recording = self.mode is RecordMode.ALL or (
            self.mode is RecordMode.ONCE and not self.path.exists()
        )
        if not self.recording and not self.path.exists():
            raise CassetteMissing(self.path, self.mode)
        if self.recording:
            self.path.unlink(missing_ok=True)
            self._app = create_recorder(self.upstream, self.path, scrub_values=self.scrub)
        else:
            self._app = create_replay_app(self.path)
        self._router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
        # The recorder's own call upstream must reach the network, not come back here.
        self._router.route(headers={FORWARDED_HEADER: "1"}).pass_through()
        self._router.route(url__startswith=CREATIFY_URL).mock(
            side_effect=respx.WSGIHandler(self._app)
        )
        self._router.start()
        return self

    @property
    def router(self) -> Any:
        return self._router

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._router is not None:
            self._router.stop(quiet=True)
            self._router = None
