"""What a client did wrong, as AssertionErrors that pytest renders natively.

ContractViolation   one request that broke the contract, with every rule it broke
ContractFailure     all of them from one test, raised at its end
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import Any

from mock_server import fingerprint

__all__ = ["ContractFailure", "ContractViolation", "MockServerError"]


@dataclass
class ContractViolation(AssertionError):
    method: str
    path: str
    query: str
    operation: str | None
    status: int
    violations: tuple[dict[str, str], ...]
    headers: dict[str, str]
    body: str
    base_url: str

    @classmethod
    def from_entry(
        cls, entry: dict[str, Any], base_url: str, api_key: str | None = None
    ) -> ContractViolation:
        """A journal entry as a failure; `api_key`, when it is the key whose fingerprint the
        journal kept, goes back into the curl line so that it runs as printed."""
        headers = dict(entry.get("request_headers", {}))
        if api_key is not None and headers.get("X-API-KEY") == fingerprint(api_key):
            headers["X-API-KEY"] = api_key
        return cls(
            method=entry["method"],
            path=entry["path"],
            query=entry["query"],
            operation=entry["operation"],
            status=entry["status"],
            violations=tuple(entry["violations"]),
            headers=headers,
            body=entry.get("request_body", ""),
            base_url=base_url,
        )

    @property
    def rules(self) -> list[str]:
        return [v["rule"] for v in self.violations]

    def reproduce(self) -> str:
        url = self.base_url + self.path + (f"?{self.query}" if self.query else "")
        parts = ["curl", "-X", self.method, url]
        for name, value in self.headers.items():
            parts += ["-H", f"{name}: {value}"]
        if self.body:
            parts += ["-d", self.body]
        return " ".join(shlex.quote(p) for p in parts)

    def __str__(self) -> str:
        operation = f" ({self.operation})" if self.operation else ""
        request = f"{self.method} {self.path}{operation}"
        lines = [f"{request} broke the contract; the mock answered {self.status}:"]
        for v in self.violations:
            where = f"{v['location']} {v['field']}"
            lines.append(
                f"  - {where} [{v['rule']}]: expected {v['expected']}; got {v['actual']}. "
                f"{v['message']}".rstrip()
            )
        lines.append(f"  reproduce with: {self.reproduce()}")
        return "\n".join(lines)


@dataclass
class ContractFailure(AssertionError):
    violations: tuple[ContractViolation, ...]

    def __str__(self) -> str:
        count = len(self.violations)
        plural = "s" if count != 1 else ""
        head = f"creatify-mock: the client sent {count} request{plural} that break the contract"
        hint = (
            "(mark the test with @pytest.mark.creatify_mock(expect_violations=True) "
            "if it breaks the contract on purpose)"
        )
        return "\n".join([head, *(str(v) for v in self.violations), hint])


@dataclass
class MockServerError(AssertionError):
    """The mock itself failed while serving the test: a bug in creatify-mock, not the client."""

    errors: tuple[str, ...]

    def __str__(self) -> str:
        return "creatify-mock failed while serving this test:\n" + "\n".join(
            f"  - {e}" for e in self.errors
        )
