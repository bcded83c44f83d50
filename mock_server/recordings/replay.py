"""Answer from recordings: the same method, path, query and body get the recorded answer,
and a record's successive GETs replay its recorded progression."""

from __future__ import annotations

import difflib
import json
import re
import threading
from collections import defaultdict
from pathlib import Path

from flask import Flask, Response, jsonify, request

from .har import SCRUBBED, Entry, load_dir

__all__ = ["Replayer", "create_replay_app"]

Key = tuple[str, str, str, str]
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _canonical_body(raw: str) -> str:
    if not raw.strip():
        return ""
    try:
        return json.dumps(json.loads(raw), sort_keys=True)
    except ValueError:
        return raw


def _canonical_query(query: str) -> str:
    return "&".join(sorted(part for part in query.split("&") if part))


def _wild(recorded: str) -> re.Pattern[str]:
    return re.compile(".*?".join(re.escape(part) for part in recorded.split(SCRUBBED)), re.S)


def key_of(method: str, path: str, query: str, body: str) -> Key:
    return method.upper(), path, _canonical_query(query), _canonical_body(body)


class Replayer:
    def __init__(self, entries: list[Entry]) -> None:
        self.answers: dict[Key, list[Entry]] = defaultdict(list)
        for entry in entries:
            if entry.kind == "api":
                key = key_of(entry.method, entry.path, entry.query, entry.request_body)
                self.answers[key].append(entry)
        self._served: dict[Key, int] = defaultdict(int)
        self._lock = threading.Lock()
        self.misses: list[str] = []  # the detail of every request no recording matched

    def _find(self, key: Key) -> Key | None:
        if key in self.answers:
            return key
        # A scrubbed secret in a recording stands for whatever the client sends there.
        for recorded in self.answers:
            if recorded[0] == key[0] and all(
                _wild(r).fullmatch(k) for r, k in zip(recorded[1:], key[1:], strict=True)
            ):
                return recorded
        return None

    def answer(self) -> Response:
        key = key_of(
            request.method,
            request.path,
            request.query_string.decode(),
            request.get_data(as_text=True),
        )
        with self._lock:
            found = self._find(key)
            if found is None:
                return self._miss(key)
            recorded = self.answers[found]
            key = found
            turn = self._served[key]
            self._served[key] += 1
        entry = recorded[min(turn, len(recorded) - 1)]  # the last answer repeats
        failure = entry.failure
        if failure is not None:  # what the recording proxy answered when the API did not
            detail = failure.get("detail", "")
            response = jsonify(detail=f"creatify-mock replay: the API did not answer: {detail}")
            response.status_code = int(failure.get("answered", 502))
            return response
        return Response(entry.response_body, status=entry.status, mimetype=entry.response_mime)

    def _miss(self, key: Key) -> Response:
        shown = f"{key[0]} {key[1]}" + (f"?{key[2]}" if key[2] else "")
        names = {f"{k[0]} {k[1]}" + (f"?{k[2]}" if k[2] else ""): k for k in self.answers}
        nearest = difflib.get_close_matches(shown, list(names), n=3, cutoff=0.3)
        same_route = [k for k in self.answers if k[:3] == key[:3]]
        hint = ""
        if same_route:
            hint = f" A recording has {shown} with another body: {same_route[0][3][:200]}"
        elif nearest:
            hint = " Nearest recordings: " + "; ".join(nearest) + "."
        detail = f"creatify-mock replay: no recording matches {shown} with this body.{hint}"
        self.misses.append(detail)
        response = jsonify(detail=detail)
        response.status_code = 404
        return response


def create_replay_app(path: Path) -> Flask:
    entries = load_dir(path)
    if not entries:
        raise FileNotFoundError(f"--replay {path}: expected .har recordings there; found none")
    replayer = Replayer(entries)
    app = Flask("creatify_mock_replay")
    app.extensions["creatify_replay"] = replayer

    def health() -> Response:
        return jsonify(status="ok", mode="replay", entries=len(entries), source=str(path))

    app.add_url_rule("/__mock__/health", "health", health)

    def answer(path: str = "") -> Response:
        return replayer.answer()

    app.add_url_rule("/", "answer", answer, methods=METHODS)
    app.add_url_rule("/<path:path>", "answer", answer, methods=METHODS)
    return app
