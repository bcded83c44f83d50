"""Shared fixtures: a mock app on a manual clock, and a small client that speaks its API."""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import settings
from werkzeug.test import TestResponse

from mock_server import Contract, ManualClock, MockConfig, close_app, create_app

pytest_plugins = ["pytester"]

# Parsed specs go to a cache of the suite's own, not the user's (~/.cache): set before any
# module loads the spec at collection, and inherited by the servers the tests start.
_CACHE = tempfile.mkdtemp(prefix="creatify-mock-tests-")
os.environ["XDG_CACHE_HOME"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)

# Hypothesis profiles, chosen by the Makefile: `make test-fast` runs "dev" (few examples, a
# quick answer while editing), `make test` and CI run "ci" (Hypothesis's own CI profile:
# derandomized, no deadline; the default 100 examples). A test that sets max_examples itself
# keeps it under both.
settings.register_profile("dev", settings.get_profile("default"), max_examples=10)
settings.register_profile("ci", settings.get_profile("ci"), max_examples=100)


@pytest.fixture(autouse=True)
def _in_process_unless_slow(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test here that is not marked slow fails if it binds a socket or starts a
    subprocess, so `-m "not slow"` (make test-fast) runs in this process only. (examples/
    is outside this conftest: its tests on a live mock are marked by hand.)"""
    if request.node.get_closest_marker("slow") is not None:
        return

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError(
            f"{request.node.nodeid} binds a socket or starts a subprocess: mark it "
            "@pytest.mark.slow"
        )

    monkeypatch.setattr(socket.socket, "bind", refuse)
    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)


BASE = "/api/product_to_videos/"
PRODUCT = "https://example.com/products/shoe.jpg"


@pytest.fixture(scope="session")
def contract() -> Contract:
    return Contract.load()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(start=1_748_603_465.449603)  # 2025-05-30T04:11:05.449603-07:00


@pytest.fixture
def config() -> MockConfig:
    return MockConfig()


@pytest.fixture
def make_app(clock: ManualClock, contract: Contract) -> Iterator[Callable[..., Flask]]:
    """Build apps on the test's clock and contract; all are closed after the test."""
    made: list[Flask] = []

    def make(config: MockConfig | None = None, **options: Any) -> Flask:
        options.setdefault("clock", clock)
        options.setdefault("contract", contract)
        made.append(create_app(config, **options))
        return made[-1]

    yield make
    for app in made:
        close_app(app)


@pytest.fixture
def app(make_app: Callable[..., Flask], config: MockConfig) -> Flask:
    return make_app(config)


class Api:
    """Calls the mock as one account would; every method returns the raw response."""

    def __init__(self, client: FlaskClient, api_id: str = "account-a", api_key: str = "key-a"):
        self.client = client
        self.headers = {"X-API-ID": api_id, "X-API-KEY": api_key}

    def as_account(self, api_id: str, api_key: str = "key") -> Api:
        return Api(self.client, api_id, api_key)

    def gen_image(self, headers: dict[str, str] | None = None, **body: Any) -> TestResponse:
        body.setdefault("product_url", PRODUCT)
        return self.client.post(
            BASE + "gen_image/", json=body, headers={**self.headers, **(headers or {})}
        )

    def follow_up(
        self,
        action: str,
        record_id: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> TestResponse:
        return self.client.post(
            f"{BASE}{record_id}/{action}/",
            json=body if body is not None else {},
            headers={**self.headers, **(headers or {})},
        )

    def get(self, record_id: str) -> TestResponse:
        return self.client.get(f"{BASE}{record_id}/", headers=self.headers)

    def status(self, record_id: str) -> str:
        response = self.get(record_id)
        assert response.status_code == 200, response.get_json()
        return str(response.get_json()["status"])

    def list_records(self, ids: list[str] | None = None) -> TestResponse:
        query = {"ids": ",".join(ids)} if ids is not None else None
        return self.client.get(BASE, query_string=query, headers=self.headers)

    def journal(self) -> list[dict[str, Any]]:
        return list(self.client.get("/__mock__/journal").get_json()["entries"])


@pytest.fixture
def api(app: Flask) -> Api:
    return Api(app.test_client())


def new_record(api: Api, **body: Any) -> str:
    response = api.gen_image(**body)
    assert response.status_code == 200, response.get_json()
    return str(response.get_json()["id"])


def image_ready(api: Api, clock: ManualClock, **body: Any) -> str:
    record_id = new_record(api, **body)
    clock.advance(10)
    assert api.status(record_id) == "image_generated"
    return record_id


def video_ready(api: Api, clock: ManualClock, **body: Any) -> str:
    record_id = image_ready(api, clock, **body)
    assert api.follow_up("gen_video", record_id).status_code == 200
    clock.advance(10)
    assert api.status(record_id) == "video_generated"
    return record_id
