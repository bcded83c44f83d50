"""Everything one mock app owns, kept on the app (`app.extensions`), never in globals."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from ..config import MockConfig, Variants
from ..contract.spec import Contract
from ..contract.validator import Validator
from ..lifecycle.clock import Clock
from ..lifecycle.outcomes import OutcomePolicy
from ..lifecycle.records import Record
from ..lifecycle.simulator import Simulator
from ..lifecycle.store import Store
from .auth import Authenticator
from .exchange import Concluder
from .faults import FaultQueue
from .journal import Journal
from .render import render
from .replaying import Recordings
from .webhooks import WebhookDispatcher

__all__ = ["EXTENSION", "MockState", "state_of"]

EXTENSION = "creatify_mock"


@dataclass
class MockState:
    config: MockConfig
    contract: Contract
    validator: Validator
    clock: Clock
    store: Store
    outcomes: OutcomePolicy
    webhooks: WebhookDispatcher
    journal: Journal
    authenticator: Authenticator
    faults: FaultQueue = field(default_factory=FaultQueue)
    recordings: Recordings | None = None  # replaying: operations answer from these
    simulator: Simulator = field(init=False)
    concluder: Concluder = field(init=False)
    # The last 100 of the mock's own failures, for Controls.problems() and the tests.
    errors: deque[BaseException] = field(default_factory=lambda: deque(maxlen=100))
    _variants: Variants = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._variants = self.config.variants
        self.simulator = Simulator(
            self.store,
            self.clock,
            self.config.phases,
            self.outcomes,
            self.notify,
            id_seed=self.config.seed,
            max_records=self.config.max_records,
        )
        self.concluder = Concluder(
            self.validator, self.journal, self.clock, self.config.strict, self.errors
        )

    @property
    def variants(self) -> Variants:
        with self._lock:
            return self._variants

    def set_variants(self, changes: dict[str, Any]) -> Variants:
        with self._lock:
            self._variants = self._variants.updated(changes)
            return self._variants

    def render(self, record: Record, variants: Variants | None = None) -> dict[str, Any]:
        return render(record, variants or self.variants)

    def notify(self, record: Record, status: str) -> None:
        if record.webhook_url:
            payload = self.render(record)
            self.webhooks.send(record.id, record.webhook_url, status, payload, record.account)

    def reset(self) -> None:
        self.simulator.reset()
        self.journal.clear()
        self.webhooks.clear()
        self.faults.clear()
        self.errors.clear()
        self.accept_any_credentials(False)
        if self.recordings is not None:
            self.recordings.reset()
        with self._lock:
            self._variants = self.config.variants

    def accept_any_credentials(self, on: bool) -> None:
        """Any non-empty pair (as `serve` without --api-id), or the configured ones again."""
        config = self.config
        self.authenticator = Authenticator(
            () if on else config.credentials, config.credentials_source
        )

    def close(self) -> None:
        self.faults.close()
        self.simulator.close()
        self.webhooks.close()
        self.store.close()


def state_of(app: Flask | None = None) -> MockState:
    target = app if app is not None else current_app
    return target.extensions[EXTENSION]  # type: ignore[no-any-return]
