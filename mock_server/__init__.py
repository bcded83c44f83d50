"""creatify-mock: an offline twin of Creatify's Product-to-Video API.

>>> from mock_server import create_app, ManualClock
>>> app = create_app(clock=ManualClock())
"""

from .app import close_app, create_app
from .config import Credentials, MockConfig, Phases, Variants
from .contract.spec import Contract, default_spec_path
from .contract.validator import Violation
from .errors import AdminError, ApiError, FieldErrors, MockError, WrongState
from .lifecycle.clock import Clock, ManualClock, SystemClock
from .server import MockServer

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
