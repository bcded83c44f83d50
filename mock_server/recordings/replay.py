"""What the recordings answer, for a mock that replays them (`serve --replay`).

The mock keeps its own auth, validation, journal and log line; `Replayer.answer` only says
what an operation answers, and is asked once a request has passed all of those.

Two ways to find the answer:

- `flow` (the default): by operation and the record's place in the flow. The n-th gen_image
  gets the n-th recorded gen_image answer, whatever its body (another client sends another
  product URL); a record's GETs replay the GETs recorded at the same stage of that record
  (after as many of its follow-up POSTs), in order, the last repeating; each follow-up
  (gen_video, regen_...) moves the record to its next stage.
- `body`: the same method, path, query and body get the recorded answer (a scrubbed part
  matches anything); successive identical requests replay in order, the last repeating.
"""

from __future__ import annotations

import difflib
import json
import re
import threading
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..contract.spec import Contract
from .har import SCRUBBED, Entry, HarError, load_dir

__all__ = ["MATCHES", "Replayed", "Replayer", "default_recording_path", "load_recordings"]

MATCHES = ("flow", "body")
SYNTHETIC = "synthetic-flow.har"
_REPO_RECORDING = Path(__file__).resolve().parents[2] / "fixtures" / "recorded" / SYNTHETIC
Key = tuple[str, ...]
_RETRIEVE = "product_to_videos_retrieve"


@dataclass(frozen=True)
class Replayed:
    """A recorded answer, or why there is none (`miss`)."""

    status: int = 404
    body: bytes = b""
    content_type: str = "application/json"
    miss: str | None = None


def default_recording_path() -> Path:
    """The shipped synthetic recording of a whole flow (made with `record` against the mock,
    not the real API): in fixtures/ in a checkout, bundled in an installed wheel."""
    if _REPO_RECORDING.is_file():
        return _REPO_RECORDING
    bundled = resources.files("mock_server") / "_recordings" / SYNTHETIC
    with resources.as_file(bundled) as path:
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"--replay: the shipped recording is neither at {_REPO_RECORDING} nor bundled in the "
        "mock_server package; reinstall creatify-mock or pass --replay DIR"
    )


def load_recordings(path: Path) -> list[Entry]:
    """Every API exchange recorded under `path`; a file that is not HAR is refused naming it."""
    if not path.exists():
        raise FileNotFoundError(f"--replay {path}: no such file or folder")
    try:
        entries = [e for e in load_dir(path) if e.kind == "api"]
    except HarError as exc:
        raise ValueError(f"--replay {exc}") from None
    except OSError as exc:
        raise ValueError(f"--replay {exc.filename or path}: {exc.strerror or exc}") from None
    if not entries:
        raise FileNotFoundError(f"--replay {path}: expected .har recordings there; found none")
    return entries


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


def _shown(key: Key) -> str:
    return f"{key[0]} {key[1]}" + (f"?{key[2]}" if key[2] else "")


class Replayer:
    """Answers from recorded exchanges; `misses` keeps the detail of every request that none
    answered, and `answers` the recorded entries under each key."""

    def __init__(
        self,
        entries: list[Entry],
        contract: Contract,
        match: str = "flow",
        source: Path | None = None,
    ) -> None:
        if match not in MATCHES:
            raise ValueError(f"replay match: expected one of {', '.join(MATCHES)}; got {match!r}")
        self.match, self.contract, self.source = match, contract, source
        self.answers: dict[Key, list[Entry]] = defaultdict(list)
        self.misses: list[str] = []
        self._lock = threading.Lock()
        self._served: dict[Key, int] = defaultdict(int)
        self._stage: dict[str, int] = defaultdict(int)  # a record's follow-ups so far
        stages: dict[str, int] = defaultdict(int)
        for entry in entries:
            if match == "body":
                key: Key = self._body_key(entry.method, entry.path, entry.query, entry.request_body)
            else:
                found = self._flow_key(entry.method, entry.path, stages)
                if found is None:
                    continue  # not an operation of the spec: nothing a valid request reaches
                key = found
            self.answers[key].append(entry)

    # -- keys -----------------------------------------------------------------------------

    @staticmethod
    def _body_key(method: str, path: str, query: str, body: str) -> Key:
        return method.upper(), path, _canonical_query(query), _canonical_body(body)

    def _flow_key(self, method: str, path: str, stages: dict[str, int]) -> Key | None:
        """The key of a recorded exchange in flow order; a follow-up moves `stages` on."""
        routed = self.contract.route(path)
        operation = self.contract.operation_for(method, path)
        if routed is None or operation is None:
            return None
        record = routed[1].get("id", "")
        if operation == _RETRIEVE:
            return operation, record, str(stages[record])
        if record:
            stages[record] += 1
        return operation, record, ""

    # -- answers ----------------------------------------------------------------------------

    def answer(
        self,
        operation: str,
        method: str,
        path: str,
        path_args: Mapping[str, str],
        query: str,
        body: bytes,
    ) -> Replayed:
        text = body.decode("utf-8", "replace")
        with self._lock:
            if self.match == "body":
                key = self._body_key(method, path, query, text)
                found = self._find_body(key)
                miss = None if found else self._body_miss(key)
            else:
                found = self._find_flow(operation, str(path_args.get("id", "")))
                miss = None if found else self._flow_miss(operation, method, path, path_args)
            if found is None:
                assert miss is not None
                self.misses.append(miss)
                return Replayed(miss=miss)
            turn = self._served[found]
            self._served[found] += 1
        entry = self.answers[found][min(turn, len(self.answers[found]) - 1)]  # the last repeats
        return _replayed(entry)

    def _find_body(self, key: Key) -> Key | None:
        if key in self.answers:
            return key
        # A scrubbed secret in a recording stands for whatever the client sends there.
        for recorded in self.answers:
            if recorded[0] == key[0] and all(
                _wild(r).fullmatch(k) for r, k in zip(recorded[1:], key[1:], strict=True)
            ):
                return recorded
        return None

    def _find_flow(self, operation: str, record: str) -> Key | None:
        record = self._recorded_id(record)
        if operation == _RETRIEVE:
            # This stage's GETs, or those of the latest earlier stage that has some.
            for stage in range(self._stage[record], -1, -1):
                key = (operation, record, str(stage))
                if key in self.answers:
                    return key
            return None
        key = (operation, record, "")
        if key not in self.answers:
            return None
        if record:
            self._stage[record] += 1
        return key

    def _recorded_id(self, record: str) -> str:
        """The recorded id the client's stands for: itself, or a scrubbed one it matches."""
        if not record or any(k[1] == record for k in self.answers):
            return record
        for key in self.answers:
            if SCRUBBED in key[1] and _wild(key[1]).fullmatch(record):
                return key[1]
        return record

    # -- misses -------------------------------------------------------------------------

    def _body_miss(self, key: Key) -> str:
        shown = _shown(key)
        names = {_shown(k): k for k in self.answers}
        nearest = difflib.get_close_matches(shown, list(names), n=3, cutoff=0.3)
        same_route = [k for k in self.answers if k[:3] == key[:3]]
        hint = ""
        if same_route:
            hint = f" A recording has {shown} with another body: {same_route[0][3][:200]}"
        elif nearest:
            hint = " Nearest recordings: " + "; ".join(nearest) + "."
        return f"creatify-mock replay: no recording matches {shown} with this body.{hint}"

    def _flow_miss(
        self, operation: str, method: str, path: str, path_args: Mapping[str, str]
    ) -> str:
        record = path_args.get("id")
        head = f"creatify-mock replay: no recording answers {method} {path} ({operation})"
        records = sorted({k[1] for k in self.answers if k[1]})
        if record and not any(k[1] == self._recorded_id(record) for k in self.answers):
            shown = ", ".join(records[:5]) or "none"
            return f"{head}: the recordings hold no record {record}; their records: {shown}."
        held = sorted({k[0] for k in self.answers if not record or k[1] == record})
        where = f" of record {record}" if record else ""
        return (
            f"{head}: the recordings hold no {operation} answer{where}; they hold "
            f"{', '.join(held) or 'nothing'}{' for it' if record else ''}."
        )

    def summary(self) -> dict[str, object]:
        """What the admin API's health shows of a replaying mock."""
        return {
            "source": str(self.source) if self.source else None,
            "match": self.match,
            "recorded": sum(len(answers) for answers in self.answers.values()),
            "misses": len(self.misses),
        }

    def reset(self) -> None:
        """Back to the start of every recorded flow."""
        with self._lock:
            self._served.clear()
            self._stage.clear()
            self.misses.clear()


def _replayed(entry: Entry) -> Replayed:
    failure = entry.failure
    if failure is not None:  # what the recording proxy answered when the API did not
        detail = f"creatify-mock replay: the API did not answer: {failure.get('detail', '')}"
        return Replayed(int(failure.get("answered", 502)), json.dumps({"detail": detail}).encode())
    mime = entry.response_mime or "application/json"
    return Replayed(entry.status, entry.response_body.encode(), mime)
