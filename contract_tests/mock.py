"""`CreatifyMock`: the API for one test or block, as a fixture, a context manager or a decorator."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from dataclasses import replace
from types import TracebackType
from typing import Any, Literal, TypeVar

import httpx
from flask import Flask

from mock_server import (
    Controls,
    Credentials,
    ManualClock,
    MockConfig,
    MockServer,
    close_app,
    create_app,
)

from .failures import ContractFailure, ContractViolation, MockServerError

__all__ = ["CREATIFY_URL", "CreatifyMock", "shared_app"]

CREATIFY_URL = "https://api.creatify.ai"
F = TypeVar("F", bound=Callable[..., Any])


def shared_app(api_id: str, api_key: str, config: MockConfig | None = None) -> Flask:
    """An app on a manual clock that accepts only the given pair."""
    config = replace(config or MockConfig(), credentials=(Credentials(api_id, api_key),))
    return create_app(config, clock=ManualClock())


class CreatifyMock:
    """Creatify's Product-to-Video API, for tests.

        with CreatifyMock() as creatify:                    # live, on a loopback port
            run_my_client(creatify.base_url, creatify.api_id, creatify.api_key)
            creatify.advance(5)                             # the clock moves only when told

        with CreatifyMock(transport="respx") as creatify:   # httpx to https://api.creatify.ai
            ...

        @CreatifyMock(variants={"empty_values": "empty-string"})
        def check_flow(creatify_mock): ...

    On leaving a block or a decorated function without an error, every request the
    client sent is checked: one that broke the contract raises `ContractFailure`, unless
    `expect_violations` is set. An error inside the mock raises `MockServerError`.
    """

    def __init__(
        self,
        *,
        transport: Literal["live", "respx"] = "live",
        variants: Mapping[str, Any] | None = None,
        expect_violations: bool = False,
        config: MockConfig | None = None,
        app: Flask | None = None,
        api_id: str = "creatify-mock-id",
        api_key: str = "creatify-mock-key",
    ) -> None:
        if transport not in ("live", "respx"):
            raise ValueError(f"transport: expected 'live' or 'respx'; got {transport!r}")
        self.transport = transport
        self.variants = dict(variants or {})
        self.expect_violations = expect_violations
        self.api_id, self.api_key = api_id, api_key
        self._own_app = app is None
        self.app = app if app is not None else shared_app(api_id, api_key, config)
        self._server: MockServer | None = None
        self._router: Any = None

    # -- lifecycle ------------------------------------------------------------------------

    @property
    def controls(self) -> Controls:
        """Every control of the mock (the admin API's, in Python)."""
        return Controls.of(self.app)

    def start(self) -> CreatifyMock:
        if self.transport == "live" and self._server is None:
            self._server = MockServer(self.app).start()
        if self.transport == "respx" and self._router is None:
            import respx  # only respx users pay for it

            self._router = respx.MockRouter(
                base_url=CREATIFY_URL, assert_all_called=False, assert_all_mocked=True
            )
            wsgi = httpx.WSGITransport(app=self.app)

            def answer(request: httpx.Request) -> httpx.Response:
                # A plain function, not respx.WSGIHandler: respx inspects the side effect's
                # signature on every call, which costs ~40 µs more for a callable object.
                return wsgi.handle_request(request)

            self._router.route().mock(side_effect=answer)
            self._router.start()
        return self

    def begin(
        self, *, variants: Mapping[str, Any] | None = None, expect_violations: bool | None = None
    ) -> CreatifyMock:
        """Forget every record, request and delivery, then apply this test's variants."""
        self.controls.reset()
        if variants is not None:
            self.variants = dict(variants)
        if expect_violations is not None:
            self.expect_violations = expect_violations
        if self.variants:
            self.controls.set_variants(self.variants)
        return self

    def stop(self) -> None:
        if self._router is not None:
            self._router.stop(quiet=True)
            self._router = None
        if self._server is not None:
            self._server.stop()
            self._server = None
        if self._own_app:
            close_app(self.app)

    def __enter__(self) -> CreatifyMock:
        return self.start().begin()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None:  # never mask the error that is already on its way
                self.check()
        finally:
            self.stop()

    def __call__(self, func: F) -> F:
        """Use as a decorator; a parameter named `creatify_mock` receives this object."""
        wants = "creatify_mock" in inspect.signature(func).parameters

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with self:
                    if wants:
                        kwargs["creatify_mock"] = self
                    return await func(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with self:
                if wants:
                    kwargs["creatify_mock"] = self
                return func(*args, **kwargs)

        return run  # type: ignore[return-value]

    # -- what a client needs ------------------------------------------------------------

    @property
    def base_url(self) -> str:
        if self.transport == "respx":
            return CREATIFY_URL
        if self._server is None:
            raise RuntimeError(
                "CreatifyMock is not started: use it as a fixture or in a with block"
            )
        return self._server.url

    @property
    def headers(self) -> dict[str, str]:
        return {"X-API-ID": self.api_id, "X-API-KEY": self.api_key}

    @property
    def router(self) -> Any:
        """The respx router (transport="respx" only), to add routes or inspect calls."""
        if self._router is None:
            raise RuntimeError("no respx router: use CreatifyMock(transport='respx')")
        return self._router

    def client(self, **options: Any) -> httpx.Client:
        """An httpx client aimed at the mock with the credentials set."""
        return httpx.Client(base_url=self.base_url, headers=self.headers, **options)

    # -- controls ---------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Move the clock; every phase that falls due finishes (and its webhook is sent)."""
        if not self.controls.manual_clock:
            raise TypeError(
                "CreatifyMock needs an app on a ManualClock; build it with shared_app()"
            )
        self.controls.advance(seconds)

    def fail_next(self, phase: Literal["image", "video"], count: int = 1) -> None:
        """Make the next `count` image or video phases fail."""
        self.controls.fail_next(phase, count)

    def complete(self, record_id: str) -> dict[str, Any]:
        """Finish the record's running phase now, successfully; returns the record."""
        return dict(self.controls.complete(record_id)["record"])

    def fail(self, record_id: str, reason: str | None = None) -> dict[str, Any]:
        """Fail the record's running phase now; returns the record."""
        return dict(self.controls.fail(record_id, reason)["record"])

    def record(self, record_id: str) -> dict[str, Any] | None:
        """The record as a client would see it now, or None."""
        return self.controls.record(record_id)

    def set_variants(self, **changes: Any) -> None:
        self.controls.set_variants(changes)

    def journal(self) -> list[dict[str, Any]]:
        """Every request since the test began, with its verdict and violations."""
        return [entry.as_dict() for entry in self.controls.journal()]

    def webhooks(self, *, wait: float = 5.0) -> list[dict[str, Any]]:
        """Webhook deliveries, after waiting up to `wait` seconds for those in flight."""
        return self.controls.webhooks(wait=wait)

    # -- checks ---------------------------------------------------------------------------

    def violations(self) -> list[ContractViolation]:
        return [
            ContractViolation.from_entry(entry, self.base_url_for_reports, self.api_key)
            for entry in self.journal()
            if entry["violations"]
        ]

    @property
    def base_url_for_reports(self) -> str:
        return self.base_url if self.transport == "respx" or self._server else CREATIFY_URL

    def assert_no_violations(self) -> None:
        found = self.violations()
        if found:
            raise ContractFailure(tuple(found))

    def check(self) -> None:
        """What runs at the end of a test: the mock's own health, then the client's requests."""
        errors = self.controls.problems()
        if errors:
            raise MockServerError(tuple(errors))
        if not self.expect_violations:
            self.assert_no_violations()
