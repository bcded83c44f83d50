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

from .failures import PLAIN_HINT, ContractFailure, ContractViolation, MockServerError
from .shapes import JournalEntryDict, WebhookDict

__all__ = ["CREATIFY_URL", "CreatifyMock", "RespxMissing", "shared_app"]

CREATIFY_URL = "https://api.creatify.ai"
F = TypeVar("F", bound=Callable[..., Any])
WHERE_TO_READ = (
    "read them from creatify_mock.api_id and creatify_mock.api_key (or send "
    "creatify_mock.headers); @pytest.mark.creatify_mock(any_credentials=True) accepts any "
    "non-empty pair"
)


def shared_app(api_id: str, api_key: str, config: MockConfig | None = None) -> Flask:
    """An app on a manual clock that accepts only the given pair."""
    config = replace(
        config or MockConfig(),
        credentials=(Credentials(api_id, api_key),),
        credentials_source=WHERE_TO_READ,
    )
    return create_app(config, clock=ManualClock())


class RespxMissing(ModuleNotFoundError):
    """transport="respx" without respx installed: which extra brings it."""

    def __str__(self) -> str:
        return (
            "creatify_respx, creatify_cassette and CreatifyMock(transport='respx') need respx, "
            "which comes with the testing extra: pip install 'creatify-mock[testing]'"
        )


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

    Only the pair `api_id`/`api_key` is accepted (so that a wrong or swapped key is caught),
    unless `any_credentials` is set. With transport="respx" only https://api.creatify.ai is
    answered by the mock; calls to other hosts go to the network, or are refused with
    `other_hosts="refuse"`.
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
        any_credentials: bool = False,
        other_hosts: Literal["network", "refuse"] = "network",
    ) -> None:
        if transport not in ("live", "respx"):
            raise ValueError(f"transport: expected 'live' or 'respx'; got {transport!r}")
        if other_hosts not in ("network", "refuse"):
            raise ValueError(f"other_hosts: expected 'network' or 'refuse'; got {other_hosts!r}")
        self.transport = transport
        self.variants = dict(variants or {})
        self.expect_violations = expect_violations
        self.any_credentials = any_credentials
        self.other_hosts = other_hosts
        self.failure_hint = PLAIN_HINT  # the plugin's says how to mark a test instead
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
            self._router = self._respx_router()
            self._router.start()
        return self

    def _respx_router(self) -> Any:
        try:
            import respx  # only respx users pay for it
        except ImportError as exc:
            raise RespxMissing("respx") from exc
        router = respx.MockRouter(assert_all_called=False, assert_all_mocked=True)
        wsgi = httpx.WSGITransport(app=self.app)

        def answer(request: httpx.Request) -> httpx.Response:
            # A plain function, not respx.WSGIHandler: respx inspects the side effect's
            # signature on every call, which costs ~40 µs more for a callable object.
            return wsgi.handle_request(request)

        router.route(scheme="https", host="api.creatify.ai").mock(side_effect=answer)
        if self.other_hosts == "network":
            router.route().pass_through()
        else:

            def refuse(request: httpx.Request) -> httpx.Response:
                raise AssertionError(
                    f"creatify-mock: {request.method} {request.url} was refused: this mock "
                    "answers only https://api.creatify.ai and other_hosts='refuse' keeps "
                    "every other host off the network (add a route to .router for it, or "
                    "leave other_hosts at 'network')"
                )

            router.route().mock(side_effect=refuse)
        return router

    def begin(
        self,
        *,
        variants: Mapping[str, Any] | None = None,
        expect_violations: bool | None = None,
        any_credentials: bool | None = None,
    ) -> CreatifyMock:
        """Forget every record, request and delivery, then apply this test's options."""
        self.controls.reset()
        if variants is not None:
            self.variants = dict(variants)
        if expect_violations is not None:
            self.expect_violations = expect_violations
        if any_credentials is not None:
            self.any_credentials = any_credentials
        if self.variants:
            self.controls.set_variants(self.variants)
        if self.any_credentials:
            self.controls.accept_any_credentials()
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
            elif isinstance(exc, BaseException) and not isinstance(exc, ContractFailure):
                diagnosis = self.diagnosis()
                if diagnosis:  # the client's own error stays; what the mock saw goes with it
                    exc.add_note(diagnosis)
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
        """The record as a client would see it now (the JSON of GET /api/product_to_videos/ID/:
        id, status, the URLs, regen_source_id...), or None when there is no such record."""
        return self.controls.record(record_id)

    def set_variants(self, **changes: Any) -> None:
        self.controls.set_variants(changes)

    def journal(self) -> list[JournalEntryDict]:
        """Every request since the test began, oldest first, with its verdict and
        violations (see `contract_tests.shapes.JournalEntryDict`)."""
        return [entry.as_dict() for entry in self.controls.journal()]  # type: ignore[misc]

    def webhooks(self, *, wait: float = 5.0) -> list[WebhookDict]:
        """Webhook deliveries, after waiting up to `wait` seconds for those in flight
        (see `contract_tests.shapes.WebhookDict`)."""
        return self.controls.webhooks(wait=wait)  # type: ignore[return-value]

    # -- checks ---------------------------------------------------------------------------

    def violations(self) -> list[ContractViolation]:
        """Each request that broke the contract, oldest first: `.rules`, `.violations`
        (dicts of location, field, rule, expected, actual, message), `.reproduce()` (a curl
        line) and `str()` (the whole explanation)."""
        return [
            ContractViolation.from_entry(
                dict(entry),
                self.base_url_for_reports,
                self.api_key,
                in_process=self.transport == "respx",
                known=(self.api_id,),  # a swapped pair sends the id as the key
            )
            for entry in self.journal()
            if entry["violations"]
        ]

    def refused_credentials(self) -> list[str]:
        """A line for each request refused for a pair that is not this mock's."""
        if self.any_credentials:
            return []
        return [
            f"{e['method']} {e['path']} was refused {e['status']}: X-API-ID "
            f"{e['request_headers'].get('X-API-ID', '')!r} with that X-API-KEY is not this "
            f"mock's pair. It accepts X-API-ID {self.api_id!r} with X-API-KEY "
            f"{self.api_key!r}: {WHERE_TO_READ}."
            for e in self.journal()
            if e["status"] in (401, 403) and not e["violations"]
        ]

    def diagnosis(self) -> str:
        """What the mock saw go wrong during the test (broken rules, refused credentials,
        its own errors), as text for a failing test's report; empty when nothing did."""
        parts = [str(v) for v in self.violations()]
        parts += self.refused_credentials()
        parts += [f"creatify-mock itself failed: {p}" for p in self.controls.problems()]
        return "\n".join(parts)

    @property
    def base_url_for_reports(self) -> str:
        return self.base_url if self.transport == "respx" or self._server else CREATIFY_URL

    def assert_no_violations(self) -> None:
        found = self.violations()
        if found:
            raise ContractFailure(tuple(found), self.failure_hint)

    def check(self) -> None:
        """What runs at the end of a test: the mock's own health, then the client's requests."""
        errors = self.controls.problems()
        if errors:
            raise MockServerError(tuple(errors))
        if not self.expect_violations:
            self.assert_no_violations()
