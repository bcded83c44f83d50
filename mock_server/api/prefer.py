"""The `Prefer:` header (Prism's style: `Prefer: outcome=video-failed`), read into the
lifecycle's `Preference`."""

from __future__ import annotations

from ..lifecycle.outcomes import Outcome, Preference
from .errors import ApiError

__all__ = ["parse_prefer"]


def parse_prefer(header: str | None) -> Preference:
    """Parse `Prefer: outcome=image-failed, failed-reason="..."`; other preferences are
    ignored. A wrong outcome is a 400 naming the valid ones."""
    if not header:
        return Preference()
    outcome: Outcome | None = None
    reason: str | None = None
    for part in _split(header):
        key, _, value = part.partition("=")
        key, value = key.strip().lower(), value.strip().strip('"')
        if key == "outcome":
            try:
                outcome = Outcome.parse("Prefer header outcome", value)
            except ValueError as exc:
                raise ApiError(400, f"{exc}.") from None
        elif key == "failed-reason" and value:
            reason = value
    return Preference(outcome, reason)


def _split(header: str) -> list[str]:
    """The header's parts, split at commas and semicolons outside double quotes."""
    parts, current, quoted = [], "", False
    for char in header:
        if char == '"':
            quoted = not quoted
        if char in ",;" and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [p for p in parts if p.strip()]
