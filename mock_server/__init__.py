"""creatify-mock: an offline twin of Creatify's Product-to-Video API.

>>> from mock_server import create_app, ManualClock
>>> app = create_app(clock=ManualClock())

The package's layers and what each may import are in ARCHITECTURE.md; these names are its
public API, the only ones `contract_tests` imports.
"""

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .api.controls import Controls
from .api.errors import AdminError, ApiError, FieldErrors
from .api.journal import JournalEntry, fingerprint
from .app import close_app, create_app, create_replay_app
from .choices import Choice
from .config import Credentials, MockConfig, Phases, Variants
from .contract.spec import Contract, default_spec_path
from .contract.violations import Violation
from .errors import MockError
from .lifecycle.clock import Clock, ManualClock, SystemClock
from .lifecycle.errors import RecordNotFound, StateFileError, StoreFull, WrongState
from .server import MockServer

if TYPE_CHECKING:
    from .cli import main
    from .recordings.recorder import FORWARDED_HEADER, create_recorder

# Loaded on first use: the CLI and the recording proxy pull in click and httpx, which a
# test that only builds an app does not need.
_LAZY = {
    "FORWARDED_HEADER": ".recordings.recorder",
    "create_recorder": ".recordings.recorder",
    "main": ".cli",
}

__all__ = [
    "FORWARDED_HEADER",
    "AdminError",
    "ApiError",
    "Choice",
    "Clock",
    "Contract",
    "Controls",
    "Credentials",
    "FieldErrors",
    "JournalEntry",
    "ManualClock",
    "MockConfig",
    "MockError",
    "MockServer",
    "Phases",
    "RecordNotFound",
    "StateFileError",
    "StoreFull",
    "SystemClock",
    "Variants",
    "Violation",
    "WrongState",
    "close_app",
    "create_app",
    "create_recorder",
    "create_replay_app",
    "default_spec_path",
    "fingerprint",
    "main",
]


def __getattr__(name: str) -> Any:
    home = _LAZY.get(name)
    if home is None:
        raise AttributeError(f"module 'mock_server' has no attribute {name!r}")
    value = getattr(import_module(home, __name__), name)
    globals()[name] = value
    return value
