"""A request's headers read straight from its WSGI environ."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["EnvironHeaders", "environ_key"]


@functools.lru_cache(maxsize=64)
def environ_key(name: str) -> str:
    """The WSGI environ key of header `name` (PEP 3333: HTTP_ and the name in capitals)."""
    key = name.upper().replace("-", "_")
    return key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key


class EnvironHeaders(Mapping[str, str]):
    """A request's headers read straight from its WSGI environ, by name in any case:
    werkzeug's own view rebuilds each key on every lookup, a microsecond each."""

    __slots__ = ("environ",)

    def __init__(self, environ: Mapping[str, Any]) -> None:
        self.environ = environ

    def __getitem__(self, name: str) -> str:
        if not isinstance(name, str):
            raise KeyError(name)
        return self.environ[environ_key(name)]  # type: ignore[no-any-return]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and environ_key(name) in self.environ

    def __iter__(self) -> Iterator[str]:
        # The names werkzeug lists: an empty Content-Type or Content-Length is no header,
        # and HTTP_CONTENT_TYPE is not where a WSGI server puts one.
        for key, value in self.environ.items():
            if key.startswith("HTTP_") and key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                yield key[5:].replace("_", "-").title()
            elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
                yield key.replace("_", "-").title()

    def __len__(self) -> int:
        return sum(1 for _ in self)
