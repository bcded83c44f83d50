"""What keeps a web page, a DNS rebinding or a webhook from acting on the admin API.

A page open in the user's browser can send "simple" cross-site requests to 127.0.0.1 (a
form post, a `text/plain` fetch) without asking first, and a page whose name resolves to
127.0.0.1 sends its own name as Host. So, as Django's ALLOWED_HOSTS and Jupyter do: the
admin API answers only a Host naming the mock (loopback names, or those allowed with
--allow-host; with an admin token any Host, since the page cannot know the token), and a
call that changes state must carry no foreign Origin and no body but JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from werkzeug.datastructures import Headers

from .errors import AdminError

__all__ = ["ADMIN_PREFIX", "LOOPBACK_NAMES", "AdminGuard", "host_name"]

ADMIN_PREFIX = "/__mock__"  # where the admin API and its dashboard live

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def host_name(authority: str) -> str:
    """The name in a Host header or URL authority, lowercased, without port or brackets."""
    authority = authority.strip().lower()
    if authority.startswith("["):  # [::1]:8000
        return authority[1 : authority.find("]")] if "]" in authority else authority
    name, _, port = authority.rpartition(":")
    return name if name and port.isdigit() else authority


def _with_port(authority: str, default: str) -> str:
    name, port = host_name(authority), authority.rpartition(":")[2]
    if not port.isdigit() or authority.endswith("]"):
        port = default
    return f"{name}:{port}"


@dataclass(frozen=True)
class AdminGuard:
    """`allowed_hosts` are the names, beside loopback's, that may reach the admin API;
    `token_set` says whether an admin token is required (then any Host is allowed)."""

    allowed_hosts: frozenset[str] = frozenset()
    token_set: bool = False

    @classmethod
    def of(cls, hosts: Iterable[str], token_set: bool) -> AdminGuard:
        return cls(frozenset(host_name(h) for h in hosts), token_set)

    def check(self, method: str, headers: Mapping[str, str] | Headers) -> None:
        """Raise AdminError (403 or 415) naming what is refused and how to allow it."""
        host = host_name(headers.get("Host", ""))
        if not self.token_set and not self._known(host):
            raise AdminError(
                403,
                f"Host: expected a name of this mock ({self._names()}); got {host!r}. The "
                "admin API refuses other names so that a web page cannot reach it through DNS "
                "rebinding; start with --allow-host NAME to allow one.",
            )
        if method in _SAFE_METHODS:
            return
        origin = headers.get("Origin")
        if origin is not None and not self._same_origin(origin, headers.get("Host", "")):
            raise AdminError(
                403,
                f"Origin: expected none, or a page of this mock; got {origin!r}. The admin API "
                "refuses calls from other web pages; call it from a script or the command line.",
            )
        media = headers.get("Content-Type", "").partition(";")[0].strip().lower()
        has_body = headers.get("Content-Length", "0") not in ("", "0") or bool(
            headers.get("Transfer-Encoding")
        )
        if (media or has_body) and media != "application/json":
            raise AdminError(
                415,
                f"Content-Type: expected application/json; got {media or 'none'!r}. Send the "
                "body as JSON with Content-Type: application/json (a call without a body "
                "needs neither).",
            )

    def _same_origin(self, origin: str, host: str) -> bool:
        """A page of this mock: its origin names the Host called, port included (a page of
        another app on localhost:3000 is a foreign origin to a mock on localhost:8000)."""
        parts = urlsplit(origin.strip().lower())
        if parts.scheme not in ("http", "https") or not self._known(parts.hostname or ""):
            return False
        default = "443" if parts.scheme == "https" else "80"
        return _with_port(parts.netloc, default) == _with_port(host.strip().lower(), "80")

    def _known(self, host: str) -> bool:
        return host in LOOPBACK_NAMES or host in self.allowed_hosts

    def _names(self) -> str:
        return ", ".join(sorted(LOOPBACK_NAMES | self.allowed_hosts))
