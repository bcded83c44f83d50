"""The app factory: one Flask app per mock, its state in `app.extensions`.

Every API request goes through `api.pipeline.ApiPipeline`, installed as the app's WSGI
callable; Flask serves what the pipeline hands it: the admin API and the dashboard under
/__mock__/, and the index, the spec and its docs (`api.site`)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, Response, current_app, jsonify
from werkzeug.exceptions import HTTPException

from .api import admin, site
from .api.auth import Authenticator
from .api.guard import ADMIN_PREFIX
from .api.journal import Journal
from .api.pipeline import ApiPipeline
from .api.replaying import Recordings
from .api.state import EXTENSION, MockState, state_of
from .api.webhooks import TargetPolicy, WebhookDispatcher
from .config import MockConfig
from .contract.spec import Contract
from .contract.validator import Validator
from .lifecycle.clock import Clock, ManualClock, SystemClock
from .lifecycle.outcomes import OutcomePolicy
from .lifecycle.store import Store
from .recordings.replay import Replayer, load_recordings

if TYPE_CHECKING:  # httpx costs 0.1 s to import; only webhook deliveries need it
    import httpx

__all__ = ["ADMIN_PREFIX", "REPLAY_EXTENSION", "close_app", "create_app", "create_replay_app"]

REPLAY_EXTENSION = "creatify_replay"

# werkzeug compiles each route with ast.parse, and CPython 3.11 before 3.11.8 can fail
# ("AST constructor recursion depth mismatch") when two threads parse at once: verify-client
# --jobs builds its mocks in threads. Routes are compiled one app at a time.
_ROUTES_COMPILED = threading.Lock()


def create_app(
    config: MockConfig | None = None,
    *,
    clock: Clock | None = None,
    contract: Contract | None = None,
    webhook_transport: httpx.BaseTransport | None = None,
    recordings: Recordings | None = None,
) -> Flask:
    """Build a mock of the Product-to-Video API.

    `clock` defaults to the system's; pass a `ManualClock` to move time by hand.
    `webhook_transport` (an httpx transport) replaces the network for webhook deliveries.
    `recordings`, when given, answer every operation in place of the simulator.
    """
    config = config or MockConfig()
    contract = contract or Contract.load()
    clock = clock or SystemClock()
    store = Store(config.state_path)  # a bad --state file is refused here: StateFileError
    if isinstance(clock, ManualClock):
        _resume_clock(clock, store)
    state = MockState(
        config=config,
        contract=contract,
        validator=Validator(contract),
        clock=clock,
        store=store,
        outcomes=OutcomePolicy(config.failure_rate, config.seed),
        webhooks=WebhookDispatcher(
            timeout=config.webhook_timeout,
            attempts=config.webhook_attempts,
            backoff=config.webhook_backoff,
            queue_limit=config.webhook_queue,
            policy=TargetPolicy(private=config.private_webhooks),
            transport=webhook_transport,
        ),
        journal=Journal(config.journal_size, config.journal_bytes),
        authenticator=Authenticator(config.credentials, config.credentials_source),
        recordings=recordings,
    )
    if isinstance(clock, ManualClock):
        clock.subscribe(lambda now: _clock_moved(state, now))
    return _flask_app(state)


def _resume_clock(clock: ManualClock, store: Store) -> None:
    """A restarted manual clock resumes where it stopped, not at the wall time it was made
    at (its records would finish unasked); the first start saves where it begins."""
    saved = store.get_meta("clock")  # checked at open: a time
    if saved is not None:
        clock.restore(float(saved))
    else:
        store.set_meta("clock", repr(clock.now()))


def _flask_app(state: MockState) -> Flask:
    """Flask for what the pipeline hands it (the admin API, the dashboard, the site)."""
    app = Flask("creatify_mock")
    app.config["MAX_CONTENT_LENGTH"] = state.config.max_body_bytes  # the admin API's bodies
    app.json.sort_keys = False  # type: ignore[attr-defined]  # keep the docs' key order
    app.extensions[EXTENSION] = state
    with _ROUTES_COMPILED:
        app.register_blueprint(admin.blueprint, url_prefix=ADMIN_PREFIX)
        app.register_blueprint(site.blueprint)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _internal_error)
    app.wsgi_app = ApiPipeline(  # type: ignore[method-assign]
        state,
        app.wsgi_app,
        flask_prefixes=(ADMIN_PREFIX, site.DOCS + "/"),
        flask_paths=site.FLASK_PATHS,
    )
    return app


def create_replay_app(
    path: str | Path,
    config: MockConfig | None = None,
    *,
    match: str = "flow",
    contract: Contract | None = None,
    clock: Clock | None = None,
) -> Flask:
    """A mock whose operations answer from the HAR recordings at `path` (a file or a
    folder), matched by operation and place in the flow, or with `match="body"` by method,
    path, query and body. Auth, validation, the journal and the log stay the mock's own.
    Raises FileNotFoundError or ValueError naming the file it cannot use."""
    contract = contract or Contract.load()
    replayer = Replayer(load_recordings(Path(path)), contract, match, Path(path))
    app = create_app(config, clock=clock, contract=contract, recordings=replayer)
    app.extensions[REPLAY_EXTENSION] = replayer
    return app


def close_app(app: Flask) -> None:
    """Stop the app's background threads and close its store."""
    state_of(app).close()


def _clock_moved(state: MockState, now: float) -> None:
    state.simulator.settle(now)
    state.store.set_meta("clock", repr(now))


def _http_error(error: HTTPException) -> Response:
    """The admin API answers in JSON too: an unknown admin path, a wrong method."""
    response = jsonify(detail=error.description)
    response.status_code = error.code or 500
    for name, value in error.get_headers():
        if name != "Content-Type":
            response.headers[name] = value
    return response


def _internal_error(error: Exception) -> Response:
    """A bug behind an admin view: kept with the pipeline's own, answered 500 naming it."""
    state = state_of(current_app)
    current_app.logger.error("creatify-mock failed on an admin call", exc_info=error)
    state.errors.append(error)
    response = jsonify(
        detail=f"creatify-mock hit an internal error ({type(error).__name__}: {error}); "
        "this is a bug in the mock, please report it."
    )
    response.status_code = 500
    return response
