"""pytest plugin (`pytest11`): the `creatify_mock` and `creatify_respx` fixtures.

Cheap to import: pytest loads it in every run of an environment that has creatify-mock,
so the mock itself is imported only when a test asks for a fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from flask import Flask

    from .mock import CreatifyMock

MARKER = "creatify_mock"
FIXTURES = ("creatify_mock", "creatify_respx")


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("creatify-mock", "creatify-mock cassettes")
    group.addoption(
        "--creatify-record-mode",
        default="none",
        help="none (default: replay only, never the network), once (record missing "
        "cassettes) or all (record every cassette again).",
    )
    group.addoption(
        "--creatify-upstream",
        default="https://api.creatify.ai",
        help="Where recording sends requests (default: https://api.creatify.ai).",
    )
    parser.addini(
        "creatify_cassette_dir",
        "Folder of HAR cassettes, one sub-folder per test module.",
        default="fixtures/cassettes",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(variants=None, expect_violations=False): options of the creatify_mock and "
        "creatify_respx fixtures: variants to serve (empty_values, post_status, "
        "auth_failure_status, timestamps) and whether contract violations are expected.",
    )


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker(MARKER)
    if marker is None:
        return {"variants": {}, "expect_violations": False}
    if marker.args:
        raise pytest.UsageError(
            f"@pytest.mark.{MARKER} takes keyword arguments only; got {marker.args!r}"
        )
    unknown = set(marker.kwargs) - {"variants", "expect_violations"}
    if unknown:
        raise pytest.UsageError(
            f"@pytest.mark.{MARKER}: unknown option {', '.join(sorted(unknown))}; "
            "expected variants= or expect_violations="
        )
    return {
        "variants": dict(marker.kwargs.get("variants") or {}),
        "expect_violations": bool(marker.kwargs.get("expect_violations", False)),
    }


@pytest.fixture(scope="session")
def creatify_mock_app() -> Iterator[Flask]:
    """The Flask app behind both fixtures, on a manual clock; one per session."""
    from mock_server import close_app

    from .mock import shared_app

    app = shared_app("creatify-mock-id", "creatify-mock-key")
    yield app
    close_app(app)


@pytest.fixture(scope="session")
def _creatify_live(creatify_mock_app: Flask) -> Iterator[CreatifyMock]:
    from .mock import CreatifyMock

    mock = CreatifyMock(app=creatify_mock_app).start()
    yield mock
    mock.stop()


@pytest.fixture
def creatify_mock(request: pytest.FixtureRequest, _creatify_live: CreatifyMock) -> CreatifyMock:
    """A live mock on a loopback port (one per session, reset for each test)."""
    return _creatify_live.begin(**_options(request))


@pytest.fixture
def creatify_respx(
    request: pytest.FixtureRequest, creatify_mock_app: Flask
) -> Iterator[CreatifyMock]:
    """httpx requests to https://api.creatify.ai answered in process by the same app."""
    from .mock import CreatifyMock

    mock = CreatifyMock(transport="respx", app=creatify_mock_app).start()
    mock.begin(**_options(request))
    yield mock
    mock.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    outcome = yield  # a failing test raises here, and its own error is what is shown
    funcargs = getattr(item, "funcargs", {})
    for name in FIXTURES:
        mock = funcargs.get(name)
        if mock is not None:
            mock.check()
    return outcome


@pytest.fixture
def creatify_cassette(request: pytest.FixtureRequest) -> Iterator[Any]:
    """httpx calls to https://api.creatify.ai replayed from (or recorded into) this test's
    cassette: <creatify_cassette_dir>/<module>/<test>.har."""
    from .cassettes import Cassette, RecordMode, cassette_name

    config = request.config
    try:
        mode = RecordMode.parse("record mode", config.getoption("creatify_record_mode"))
    except ValueError as exc:
        raise pytest.UsageError(f"--creatify-record-mode: {exc}") from None
    folder = Path(str(config.rootpath / config.getini("creatify_cassette_dir")))
    module = Path(str(request.node.path)).stem
    path = folder / module / cassette_name(request.node.name)
    with Cassette(path, mode, config.getoption("creatify_upstream")) as cassette:
        yield cassette
