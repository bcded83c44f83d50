"""pytest plugin (`pytest11`): the `creatify_mock` and `creatify_respx` fixtures.

Cheap to import: pytest loads it in every run of an environment that has creatify-mock,
so the mock itself is imported only when a test asks for a fixture.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from flask import Flask

    from .mock import CreatifyMock

MARKER = "creatify_mock"
FIXTURES = ("creatify_mock", "creatify_respx")
OPTIONS = ("variants", "expect_violations", "any_credentials", "other_hosts")
SECTION = "creatify-mock: what the mock saw"


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
        f"{MARKER}(variants=None, expect_violations=False, any_credentials=False, "
        "other_hosts='network'): options of the creatify_mock and creatify_respx fixtures: "
        "variants to serve (empty_values, post_status, auth_failure_status, timestamps, "
        "extra_keys), whether contract violations are expected, whether any non-empty "
        "X-API-ID/X-API-KEY pair is accepted (default: only creatify_mock.api_id/api_key), and "
        "for creatify_respx whether hosts other than api.creatify.ai reach the network or are "
        "refused ('refuse').",
    )


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker(MARKER)
    kwargs = marker.kwargs if marker is not None else {}
    if marker is not None and marker.args:
        raise pytest.UsageError(
            f"@pytest.mark.{MARKER} takes keyword arguments only; got {marker.args!r}"
        )
    unknown = set(kwargs) - set(OPTIONS)
    if unknown:
        raise pytest.UsageError(
            f"@pytest.mark.{MARKER}: unknown option {', '.join(sorted(unknown))}; "
            f"expected {', '.join(f'{o}=' for o in OPTIONS)}"
        )
    other_hosts = kwargs.get("other_hosts", "network")
    if other_hosts not in ("network", "refuse"):
        raise pytest.UsageError(
            f"@pytest.mark.{MARKER}: other_hosts: expected 'network' or 'refuse'; "
            f"got {other_hosts!r}"
        )
    return {
        "variants": dict(kwargs.get("variants") or {}),
        "expect_violations": bool(kwargs.get("expect_violations", False)),
        "any_credentials": bool(kwargs.get("any_credentials", False)),
        "other_hosts": other_hosts,
    }


def _begin(mock: CreatifyMock, options: dict[str, Any]) -> CreatifyMock:
    from .failures import PYTEST_HINT

    mock.failure_hint = PYTEST_HINT
    return mock.begin(
        variants=options["variants"],
        expect_violations=options["expect_violations"],
        any_credentials=options["any_credentials"],
    )


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
    """A live mock on a loopback port (one per session, reset for each test). It accepts
    only the pair creatify_mock.api_id / creatify_mock.api_key (creatify_mock.headers)."""
    return _begin(_creatify_live, _options(request))


@pytest.fixture
def creatify_respx(
    request: pytest.FixtureRequest, creatify_mock_app: Flask
) -> Iterator[CreatifyMock]:
    """httpx requests to https://api.creatify.ai answered in process by the same app.
    Other hosts reach the network; @pytest.mark.creatify_mock(other_hosts="refuse") refuses
    them."""
    from .mock import CreatifyMock

    options = _options(request)
    mock = CreatifyMock(
        transport="respx", app=creatify_mock_app, other_hosts=options["other_hosts"]
    )
    _begin(mock.start(), options)
    yield mock
    mock.stop()


def _mocks(item: pytest.Item) -> list[CreatifyMock]:
    funcargs = getattr(item, "funcargs", {})
    return [funcargs[name] for name in FIXTURES if funcargs.get(name) is not None]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    outcome = yield  # a failing test raises here, and its own error is what is shown
    for mock in _mocks(item):
        mock.check()
    return outcome


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failure of the mock's own making is shown as its text alone (no plugin frames);
    any other failure keeps its error and gains a section with what the mock saw."""
    report = yield
    mocks = _mocks(item)
    if not report.failed or call.excinfo is None or not mocks:
        return report
    from .failures import ContractFailure, MockServerError

    error = call.excinfo.value
    if isinstance(error, ContractFailure | MockServerError):
        report.longrepr = str(error)
        return report
    if item.stash.get(_SHOWN, False):
        return report
    diagnosis = "\n".join(filter(None, (mock.diagnosis() for mock in mocks)))
    if diagnosis:
        item.stash[_SHOWN] = True
        report.sections.append((SECTION, diagnosis))
    return report


_SHOWN = pytest.StashKey[bool]()


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
