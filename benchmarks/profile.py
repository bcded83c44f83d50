"""Where a request's time goes, in process: pyinstrument over the WSGI app, and each stage's
share found by taking it away.

    python benchmarks/profile.py [--requests 2000] [--validator fast|core]

Prints pyinstrument's call tree for GET /{id}/ and POST gen_image through the mock's WSGI
app (no server, no sockets), then the µs per GET with each stage replaced by a constant, one
after another, beside a bare Flask app answering the same JSON. benchmarks/RESULTS.md says
what these showed.
"""

from __future__ import annotations

import argparse
import io
import json
import logging
import sys
import time
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pyinstrument import Profiler
from werkzeug.test import EnvironBuilder

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bare_app import app as bare_app  # noqa: E402
from mock_server import ManualClock, MockConfig, create_app  # noqa: E402
from mock_server.api.state import state_of  # noqa: E402
from mock_server.contract.validator import Validator  # noqa: E402
from mock_server.contract.violations import RequestVerdict  # noqa: E402

HEADERS = {"X-API-ID": "bench", "X-API-KEY": "bench"}
BODY = json.dumps({"product_url": "https://example.com/shoe.jpg"})
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def environ(path: str, method: str = "GET", body: str | None = None) -> Callable[[], dict]:
    """A fresh WSGI environ per call, built once (the builder is not what we measure)."""
    built = EnvironBuilder(
        path=path,
        method=method,
        headers=list(HEADERS.items()),
        data=body,
        content_type="application/json" if body else None,
    ).get_environ()
    raw = built["wsgi.input"].read() if body else b""

    def make() -> dict:
        fresh = dict(built)
        fresh["wsgi.input"] = io.BytesIO(raw)
        return fresh

    return make


def per_request_us(app: WsgiApp, make: Callable[[], dict], requests: int) -> float:
    """Best of five rounds: the least disturbed by the rest of the machine."""

    def start_response(status: str, headers: list, exc_info: Any = None) -> None:
        assert status.startswith("200"), status

    for _ in range(200):
        b"".join(app(make(), start_response))
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(requests):
            b"".join(app(make(), start_response))
        best = min(best, (time.perf_counter() - started) / requests * 1e6)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--validator", choices=["fast", "core"], default="fast")
    args = parser.parse_args()
    logging.getLogger("creatify_mock").setLevel(logging.WARNING)

    app = create_app(MockConfig(seed=1), clock=ManualClock())
    state = state_of(app)
    if args.validator == "core":
        state.validator = Validator(state.contract, compiled=False)
        state.concluder.validator = state.validator
    created = app.test_client().post(
        "/api/product_to_videos/gen_image/",
        data=BODY,
        content_type="application/json",
        headers=HEADERS,
    )
    record_id = created.get_json()["id"]
    get = environ(f"/api/product_to_videos/{record_id}/")
    post = environ("/api/product_to_videos/gen_image/", "POST", BODY)
    requests = args.requests if args.validator == "fast" else max(args.requests // 20, 20)

    for name, make in (("GET /{id}/", get), ("POST gen_image", post)):
        profiler = Profiler(interval=0.0001)
        with profiler:
            per_request_us(app.wsgi_app, make, requests)
        print(f"\n# pyinstrument: {name}, {args.validator} validation")
        print(profiler.output_text(unicode=False, color=False, show_all=False))

    print("# µs per GET /{id}/ through the WSGI app, taking each stage away in turn")
    bare = per_request_us(bare_app.wsgi_app, environ("/api/product_to_videos/x/"), requests)
    rows = [("bare Flask, same JSON", bare), ("creatify-mock, the pipeline", None)]
    record = state.store.get(record_id)
    assert record is not None
    payload = state.render(record)
    verdict = RequestVerdict(path={"id": uuid.UUID(record_id)})
    cuts: list[tuple[str, Callable[[], None]]] = [
        ("- response validation", lambda: setattr(state.validator, "check_response", _none)),
        (
            "- request validation",
            lambda: setattr(state.validator, "check_request", lambda *a, **k: verdict),
        ),
        ("- journal", lambda: setattr(state.journal, "add", lambda **kw: None)),
        ("- store and simulation", lambda: setattr(state.simulator, "get", lambda *a: record)),
        ("- render", lambda: setattr(state, "render", lambda *a: payload)),
    ]
    print(f"{rows[0][0]:<36} {bare:8.0f}")
    print(f"{rows[1][0]:<36} {per_request_us(app.wsgi_app, get, requests):8.0f}")
    for label, cut in cuts:
        cut()
        print(f"{label:<36} {per_request_us(app.wsgi_app, get, requests):8.0f}")


def _none(*_: Any) -> list[Any]:
    return []


if __name__ == "__main__":
    main()
