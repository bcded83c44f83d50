"""Contract tests for clients of Creatify's Product-to-Video API.

The pytest fixtures `creatify_mock` and `creatify_respx` come through the plugin; outside
pytest, `CreatifyMock` is a context manager and a decorator. Strategies draw requests and
records from spec/openapi.yaml.
"""

from .failures import ContractFailure, ContractViolation, MockServerError
from .mock import CREATIFY_URL, CreatifyMock
from .strategies import InvalidBody, invalid_request_bodies, records, request_bodies

__all__ = [
    "CREATIFY_URL",
    "ContractFailure",
    "ContractViolation",
    "CreatifyMock",
    "InvalidBody",
    "MockServerError",
    "invalid_request_bodies",
    "records",
    "request_bodies",
]
