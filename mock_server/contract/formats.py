"""Format checks shared by the compiled validator and the tests that hold it to openapi-core:
the formats this spec uses are checked by the same libraries openapi-core's checker calls,
any other by that checker itself."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any
from uuid import UUID

__all__ = ["format_checks", "formats_in"]

_CANONICAL_UUID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
)


def _uuid(value: str) -> bool:
    # The hyphenated 8-4-4-4-12 form only: UUID() alone also takes braces, "urn:uuid:" and
    # bare hex, which openapi-core's checker refuses by looking for the four hyphens. The
    # canonical form passes both at a regex's cost; anything else takes openapi-core's test.
    if _CANONICAL_UUID.fullmatch(value):
        return True
    try:
        UUID(value)
    except ValueError:
        return False
    return len(value) > 23 and all(value[i] == "-" for i in (8, 13, 18, 23))


def _uri(value: str) -> bool:
    from rfc3986_validator import validate_rfc3986

    return bool(validate_rfc3986(value, rule="URI"))


def _date_time(value: str) -> bool:
    from rfc3339_validator import validate_rfc3339

    return bool(validate_rfc3339(value.upper()))


# The formats this spec uses, checked by the same libraries openapi-core's checker calls
# (tests/test_compiled.py holds them to it); any other format goes to that checker itself,
# which costs a 0.2 s import at start.
_NATIVE_FORMATS: dict[str, Callable[[str], bool]] = {
    "uuid": _uuid,
    "uri": _uri,
    "date-time": _date_time,
}


def format_checks(names: set[str]) -> dict[str, Callable[[str], bool]]:
    """A cached check per format name in `names`."""
    checks: dict[str, Callable[[str], bool]] = {}
    for name in sorted(names):
        check = _NATIVE_FORMATS.get(name) or _openapi_core_check(name)
        if check is not None:
            checks[name] = functools.lru_cache(maxsize=1024)(check)
    return checks


def _openapi_core_check(name: str) -> Callable[[str], bool] | None:
    from openapi_schema_validator import oas31_format_checker

    if name not in oas31_format_checker.checkers:
        return None  # an unknown format is not checked by either validator
    func, raised = oas31_format_checker.checkers[name]
    raises: tuple[type[Exception], ...] = raised if isinstance(raised, tuple) else (raised,)

    def check(value: str) -> bool:
        try:
            return bool(func(value))
        except raises:
            return False

    return check


def formats_in(node: Any) -> set[str]:
    """Every `format` named anywhere in a schema."""
    if isinstance(node, dict):
        found = {node["format"]} if isinstance(node.get("format"), str) else set()
        for value in node.values():
            found |= formats_in(value)
        return found
    if isinstance(node, list):
        return set().union(*(formats_in(v) for v in node)) if node else set()
    return set()
