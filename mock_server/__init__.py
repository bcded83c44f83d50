"""creatify-mock: an offline twin of Creatify's Product-to-Video API.

>>> from mock_server import create_app, ManualClock
>>> app = create_app(clock=ManualClock())
"""

from .app import close_app, create_app
from .clock import Clock, ManualClock, SystemClock
from .config import Credentials, MockConfig, Phases, Variants
from .errors import AdminError, ApiError, FieldErrors, MockError, WrongState
from .server import MockServer
from .spec import Contract, default_spec_path
from .validation import Violation

__all__ = [
    "AdminError",
    "ApiError",
    "Clock",
    "Contract",
    "Credentials",
    "FieldErrors",
    "ManualClock",
    "MockConfig",
    "MockError",
    "MockServer",
    "Phases",
    "SystemClock",
    "Variants",
    "Violation",
    "WrongState",
    "close_app",
    "create_app",
    "default_spec_path",
]
