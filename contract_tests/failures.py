"""What a client did wrong, as AssertionErrors that pytest renders natively.

ContractViolation   one request that broke the contract, with every rule it broke
ContractFailure     all of them from one test, raised at its end
MockServerError     the mock itself failed while serving the test
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from typing import Any

from mock_server import fingerprint

__all__ = [
    "PLAIN_HINT",
    "PYTEST_HINT",
    "SERVE_URL",
    "ContractFailure",
    "ContractViolation",
    "MockServerError",
    "describe_violation",
]

# Where `creatify-mock serve` listens by default: what an in-process (respx) mock's curl line
# points at, since the real API would refuse the test's made-up keys.
SERVE_URL = "http://127.0.0.1:8000"
PYTEST_HINT = (
    "(mark the test with @pytest.mark.creatify_mock(expect_violations=True) "
    "if it breaks the contract on purpose)"
)
PLAIN_HINT = "(pass CreatifyMock(expect_violations=True) if the client breaks it on purpose)"


def describe_violation(v: dict[str, str]) -> str:
    """One rule broken, said once: where, which rule, expected and got, then whatever the
    judge's message adds to that (its own "expected ...; got ..." is not said twice)."""
    where = v["location"] if v["field"] in ("", v["location"]) else f"{v['location']} {v['field']}"
    text = f"{where} [{v['rule']}]: expected {v['expected']}; got {v['actual']}."
    said = f"expected {v['expected']}; got {v['actual']}"
    extra = re.sub(re.escape(said) + r"\.?", "", v["message"], count=1, flags=re.IGNORECASE)
    extra = extra.strip()
    if extra and extra.lower() != v["actual"].lower() and re.search(r"\w", extra):
        text += f" {extra}"
    return text


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
    in_process: bool = False  # answered through respx: curl goes to `creatify-mock serve`

    @classmethod
    def from_entry(
        cls,
        entry: dict[str, Any],
        base_url: str,
        api_key: str | None = None,
        *,
        in_process: bool = False,
        known: tuple[str, ...] = (),
    ) -> ContractViolation:
        """A journal entry as a failure; `api_key` (or one of `known`, such as an id sent
        as the key), when it is the value whose fingerprint the journal kept, goes back into
        the curl line so that it runs as printed."""
        headers = dict(entry.get("request_headers", {}))
        for secret in (api_key, *known):
            if secret is not None and headers.get("X-API-KEY") == fingerprint(secret):
                headers["X-API-KEY"] = secret
                break
        return cls(
            method=entry["method"],
            path=entry["path"],
            query=entry["query"],
            operation=entry["operation"],
            status=entry["status"],
            violations=tuple(entry["violations"]),
            headers=headers,
            body=entry.get("request_body", ""),
            base_url=SERVE_URL if in_process else base_url,
            in_process=in_process,
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
        lines += [f"  - {describe_violation(v)}" for v in self.violations]
        if self.in_process:
            lines.append(
                "  reproduce with `creatify-mock serve` running (this test's mock answered in "
                f"process, in place of https://api.creatify.ai): {self.reproduce()}"
            )
        else:
            lines.append(f"  reproduce with: {self.reproduce()}")
        return "\n".join(lines)


def count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


@dataclass
class ContractFailure(AssertionError):
    violations: tuple[ContractViolation, ...]
    hint: str = PLAIN_HINT

    def __str__(self) -> str:
        n = len(self.violations)
        verb = "breaks" if n == 1 else "break"
        head = f"creatify-mock: the client sent {count(n, 'request')} that {verb} the contract"
        return "\n".join([head, *(str(v) for v in self.violations), self.hint])


@dataclass
class MockServerError(AssertionError):
    """The mock itself failed while serving the test: a bug in creatify-mock, not the client."""

    errors: tuple[str, ...]

    def __str__(self) -> str:
        return "creatify-mock failed while serving this test:\n" + "\n".join(
            f"  - {e}" for e in self.errors
        )
