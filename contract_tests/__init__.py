"""Contract tests for clients of Creatify's Product-to-Video API.

The pytest fixtures `creatify_mock` and `creatify_respx` come through the plugin; outside
pytest, `CreatifyMock` is a context manager and a decorator. Strategies draw requests and
records from spec/openapi.yaml.

Names load on first use: pytest imports `contract_tests.plugin` in every run of an
environment that has this package, and that must not pull in Flask or schemathesis.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .cassettes import Cassette, CassetteMissing, RecordMode
    from .failures import ContractFailure, ContractViolation, MockServerError
    from .mock import CREATIFY_URL, CreatifyMock
    from .shapes import OPERATION_IDS, JournalEntryDict, ViolationDict, WebhookDict
    from .strategies import InvalidBody, invalid_request_bodies, records, request_bodies

_HOMES = {
    "CREATIFY_URL": "mock",
    "Cassette": "cassettes",
    "CassetteMissing": "cassettes",
    "RecordMode": "cassettes",
    "ContractFailure": "failures",
    "ContractViolation": "failures",
    "CreatifyMock": "mock",
    "InvalidBody": "strategies",
    "JournalEntryDict": "shapes",
    "MockServerError": "failures",
    "OPERATION_IDS": "shapes",
    "ViolationDict": "shapes",
    "WebhookDict": "shapes",
    "invalid_request_bodies": "strategies",
    "records": "strategies",
    "request_bodies": "strategies",
}
__all__ = [
    "CREATIFY_URL",
    "OPERATION_IDS",
    "Cassette",
    "CassetteMissing",
    "RecordMode",
    "ContractFailure",
    "ContractViolation",
    "CreatifyMock",
    "InvalidBody",
    "JournalEntryDict",
    "MockServerError",
    "ViolationDict",
    "WebhookDict",
    "invalid_request_bodies",
    "records",
    "request_bodies",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'contract_tests' has no attribute {name!r}")
    value = getattr(import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value
