"""Scrubbing secrets out of what a recording keeps and what the proxy logs.

A secret is replaced by `[scrubbed]` in two ways:

- where it is a whole value, whatever its length: a header value, a path segment, a query
  or form parameter's name or value (percent-decoded), a JSON string (JSON-decoded), a
  body that is nothing else;
- inside other text, in every encoded form (as is, percent-encoded with either case of hex
  or `+` for a space, JSON-escaped as `\\/`, `\\"` or `\\uXXXX`, and any mix of these), but
  only when it is at least `ANYWHERE_FROM` characters long. A shorter one, say the
  one-character key of a test account, would otherwise be replaced inside unrelated text
  (`api.creatify.ai`, `application/json`, a date, `[scrubbed]` itself) and garble the file.

Only data is scrubbed, never the structure around it: HAR's own field names, the host of
a recorded URL, JSON's quotes and braces stay as they were, so the file still parses.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, unquote_plus

__all__ = ["ANYWHERE_FROM", "SCRUBBED", "Scrubber"]

SCRUBBED = "[scrubbed]"
ANYWHERE_FROM = 8  # characters; shorter secrets are replaced only as whole values

# A JSON string token. Scanned from the start of valid JSON text, each match is one string:
# outside strings JSON has no quotes, and inside them a quote is always escaped.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
# URLs inside a log line: absolute ones, and paths that start after a space or a quote.
_URL_IN_TEXT = re.compile(r"https?://[^\s\"'<>]+|(?<![^\s\"'(])/[^\s\"'<>]*")
_JSON_ESCAPES = {'"': '\\"', "\\": "\\\\", "/": "\\/", "\b": "\\b", "\f": "\\f"}
_JSON_ESCAPES |= {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _hex(value: int, digits: int) -> str:
    """`value` in hex, each letter matching either case: 2f -> 2[fF]."""
    return "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in f"{value:0{digits}x}")


def _char_forms(char: str) -> str:
    """A pattern for one character of a secret in any of its encoded forms."""
    forms = [re.escape(char)]
    forms.append("".join("%" + _hex(byte, 2) for byte in char.encode()))
    if char == " ":
        forms.append(r"\+")
    if char in _JSON_ESCAPES:
        forms.append(re.escape(_JSON_ESCAPES[char]))
    units = char.encode("utf-16-be")
    forms.append(
        "".join(
            r"\\u" + _hex(int.from_bytes(units[i : i + 2], "big"), 4)
            for i in range(0, len(units), 2)
        )
    )
    return "(?:" + "|".join(forms) + ")"


def _anywhere_pattern(secrets: Iterable[str]) -> re.Pattern[str] | None:
    # Longest first, in one alternation: one pass, so a replacement is never scanned again.
    long = sorted((s for s in secrets if len(s) >= ANYWHERE_FROM), key=len, reverse=True)
    if not long:
        return None
    return re.compile("|".join("".join(_char_forms(c) for c in secret) for secret in long))


class Scrubber:
    """Replaces `secrets` by `[scrubbed]`, each place by its own rule (see the module)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = frozenset(s for s in secrets if s)
        self._anywhere = _anywhere_pattern(self.secrets)

    def _inside(self, text: str) -> str:
        """The long secrets, in any form, wherever they are in `text`."""
        return self._anywhere.sub(SCRUBBED, text) if self._anywhere else text

    def _is_secret(self, value: str) -> bool:
        return value in self.secrets

    def text(self, text: str) -> str:
        """Free text (a header value, a status line): scrubbed whole if it is a secret, else
        the long secrets inside it."""
        return SCRUBBED if self._is_secret(text.strip()) else self._inside(text)

    def target(self, target: str) -> str:
        """A request target, `/path?query#fragment`: each path segment and each query
        parameter's name and value checked whole (percent-decoded), then the text."""
        rest, hash_, fragment = target.partition("#")
        path, mark, query = rest.partition("?")
        segments = [SCRUBBED if self._is_secret(unquote(s)) else s for s in path.split("/")]
        query, fragment = self._parameters(query), self._parameters(fragment)
        return self._inside("/".join(segments) + mark + query + hash_ + fragment)

    def url(self, url: str) -> str:
        """An absolute URL: its user and password checked whole, its host kept, its
        target scrubbed. Anything else is taken as a target."""
        scheme, sep, rest = url.partition("://")
        if not sep:
            return self.target(url)
        cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
        authority, target = rest[:cut], rest[cut:]
        userinfo, at, host = authority.rpartition("@")
        if at:
            parts = [SCRUBBED if self._is_secret(unquote(p)) else p for p in userinfo.split(":")]
            userinfo = self._inside(":".join(parts))
        return f"{scheme}://{userinfo}{at}{host}" + self.target(target)

    def _parameters(self, query: str) -> str:
        """`a=1&b=2` (a query, a form body): names and values checked whole."""
        parts = []
        for part in query.split("&"):
            name, eq, value = part.partition("=")
            name = SCRUBBED if self._is_secret(unquote_plus(name)) else name
            value = SCRUBBED if self._is_secret(unquote_plus(value)) else value
            parts.append(name + eq + value)
        return "&".join(parts)

    def body(self, text: str, mime: str = "") -> str:
        """A request or response body: JSON string by string, a form parameter by
        parameter, anything else as text."""
        if not text or not self.secrets:
            return text
        if mime.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
            return self._inside(self._parameters(text))
        try:
            json.loads(text)
        except ValueError:
            return self.text(text)
        return self._json(text)

    def _json(self, text: str) -> str:
        """Valid JSON text, its formatting kept: each string token scrubbed on its own."""
        scrubbed = _JSON_STRING.sub(self._json_string, text)
        outside = _JSON_STRING.sub('""', scrubbed)
        if self._anywhere and self._anywhere.search(outside):
            # A long secret outside every string (inside a number): no text replacement
            # keeps that valid JSON, so the document is written again, scrubbed by value.
            return json.dumps(self.value(json.loads(text)), ensure_ascii=False)
        return scrubbed

    def _json_string(self, match: re.Match[str]) -> str:
        token = match.group(0)
        decoded = json.loads(token)
        if self._is_secret(decoded):
            return f'"{SCRUBBED}"'
        inner = self._inside(token[1:-1])
        try:
            json.loads(f'"{inner}"')
        except ValueError:  # a replacement cut an escape sequence in two
            return f'"{SCRUBBED}"'
        return f'"{inner}"'

    def value(self, value: Any) -> Any:
        """Decoded data (JSON-like): strings, keys and numbers that are or hold a secret."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bool) or value is None:
            return value
        if isinstance(value, int | float):
            return value if self.text(str(value)) == str(value) else SCRUBBED
        if isinstance(value, dict):
            return {self.value(k): self.value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.value(v) for v in value)
        return value

    def line(self, line: str) -> str:
        """A log line: each URL in it as a URL, then the long secrets anywhere."""
        return self._inside(_URL_IN_TEXT.sub(lambda m: self.url(m.group(0)), line))
