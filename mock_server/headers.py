"""A request's headers read straight from its WSGI environ."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = ["EnvironHeaders", "environ_key"]


@functools.lru_cache(maxsize=64)
def environ_key(name: str) -> str:
    key = name.upper().replace("-", "_")
    return key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key


class EnvironHeaders(Mapping[str, str]):
    """A request's headers read straight from its WSGI environ, by name in any case:
    werkzeug's own view rebuilds each key on every lookup, a microsecond each."""

    __slots__ = ("environ",)

    def __init__(self, environ: Mapping[str, Any]) -> None:
        self.environ = environ

    def __getitem__(self, name: str) -> str:
        return self.environ[environ_key(name)]  # type: ignore[no-any-return]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and environ_key(name) in self.environ

    def __iter__(self) -> Iterator[str]:
        for key in self.environ:
            if key.startswith("HTTP_") or key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                yield key.removeprefix("HTTP_").replace("_", "-").title()

    def __len__(self) -> int:
        return sum(1 for _ in self)
