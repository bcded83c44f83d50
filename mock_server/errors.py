"""The root of what creatify-mock raises, and the tree below it (each layer owns its part).

MockError                      mock_server.errors: the root
├── LifecycleError             mock_server.lifecycle.errors: a rule of the record's life
│   ├── RecordNotFound         no such record for this account
│   ├── WrongState             a follow-up called in a status that does not allow it
│   └── StoreFull              the mock has all the records it may keep
├── StateFileError             mock_server.lifecycle.errors: a --state file the mock refuses
├── ApiError                   mock_server.api.errors: an HTTP answer in DRF's shape
│   ├── FieldErrors            400 {"field": ["message", ...]}
│   ├── Unauthenticated        401/403: no usable X-API-ID/X-API-KEY pair
│   └── NotRecorded            404: replaying, and no recording answers this request
├── UnknownPath                404 naming the nearest documented path
├── MethodNotAllowed           405 with Allow
├── BodyTooLarge               413
├── MalformedJson              400: the body claims JSON and is not
├── InvalidRequest             400/404/415: what the contract's judges found
├── GatewayAnswer              mock_server.api.faults: a queued 502/503/504 in HTML or empty
└── AdminError                 an admin API answer (/__mock__/), also a ValueError

The API's errors below ApiError live in `mock_server.api.errors`. Lifecycle errors carry no
HTTP status: the API's edge turns each error into its answer in one table
(`mock_server.api.refusals`).
"""

from __future__ import annotations

__all__ = ["MockError"]


class MockError(Exception):
    """Root of the exceptions creatify-mock raises."""
