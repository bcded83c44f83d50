"""The X-API-ID / X-API-KEY pair: which account a request belongs to, or why it is refused."""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from ..config import Credentials
from .errors import Unauthenticated

__all__ = ["HEADERS", "Authenticator"]

HEADERS = ("X-API-ID", "X-API-KEY")


@dataclass(frozen=True)
class Authenticator:
    """With no configured credentials any non-empty pair is accepted, and each X-API-ID
    is its own account; otherwise the pair must be one of `credentials`. `source` says
    where a user reads the accepted pair (the banner, a fixture's attributes)."""

    credentials: tuple[Credentials, ...] = ()
    source: str = "the pair shown in creatify-mock's banner"

    def account(self, headers: Mapping[str, str], failure_status: int) -> str:
        for name in HEADERS:
            value = headers.get(name)
            if value is None or not value.strip():
                state = "missing" if value is None else "empty"
                raise Unauthenticated(
                    failure_status,
                    f"Authentication credentials were not provided: the {name} header is "
                    f"{state}. Send both X-API-ID and X-API-KEY on every request"
                    f"{self._hint()}.",
                    header=name,
                    problem=state,
                )
        api_id, api_key = headers["X-API-ID"], headers["X-API-KEY"]
        if not self.credentials or any(
            _same(c.api_id, api_id) and _same(c.api_key, api_key) for c in self.credentials
        ):
            return api_id
        if any(_same(c.api_id, api_key) and _same(c.api_key, api_id) for c in self.credentials):
            # A client bug rather than a wrong secret: said as such, and journaled.
            raise Unauthenticated(
                failure_status,
                "Incorrect authentication credentials: X-API-ID and X-API-KEY are swapped "
                "(the X-API-ID header carries the key, X-API-KEY the id). Send the id as "
                f"X-API-ID and the key as X-API-KEY: {self.source}.",
                header="X-API-ID",
                problem="swapped with X-API-KEY",
            )
        expected = " or ".join(repr(c.api_id) for c in self.credentials)
        raise Unauthenticated(
            failure_status,
            f"Incorrect authentication credentials: no account has X-API-ID {api_id!r} "
            f"with that X-API-KEY. This mock accepts X-API-ID {expected} with its key only: "
            f"{self.source}.",
        )

    def _hint(self) -> str:
        if self.credentials:
            return f" ({self.source})"
        return " (this mock accepts any non-empty pair)"


def _same(expected: str, given: str) -> bool:
    # compare_digest takes str only when ASCII; a header may carry any Latin-1 byte.
    return hmac.compare_digest(
        expected.encode("utf-8", "surrogateescape"), given.encode("utf-8", "surrogateescape")
    )
