"""Configuration of one mock: what it accepts, how long phases take, which variants it serves.

A leaf: values only, importable from every layer; it imports nothing of the package but
`choices`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any

from .choices import Choice

__all__ = [
    "Credentials",
    "EmptyValues",
    "MockConfig",
    "Phases",
    "StateGates",
    "Timestamps",
    "Variants",
]


class EmptyValues(Choice):
    NULL = "null"
    EMPTY_STRING = "empty-string"


class Timestamps(Choice):
    OFFSET = "offset"  # 2025-05-30T04:11:05.449603-07:00, as in Creatify's webhook examples
    UTC = "utc"  # 2023-11-07T05:31:56Z, as in the docs' response placeholders


class StateGates(Choice):
    """From which statuses gen_video, regen_image and regen_video are allowed: Creatify does
    not document it (lifecycle.records.GATES has both policies)."""

    STRICT = "strict"  # the sources each operation is allowed from, as the spec infers them
    LENIENT = (
        "lenient"  # also regen_image while image_generating, regen_video while video_generating
    )


def _is_int(value: Any) -> bool:
    """An int and not a bool, nor a float that equals one (201.0 would be served as such)."""
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Variants:
    """Where Creatify's docs leave a choice open, which form this mock serves.

    The defaults are the documented-looking forms; each alternative is one a client
    should survive.
    """

    empty_values: EmptyValues = EmptyValues.NULL
    post_status: int = 200
    auth_failure_status: int = 401
    timestamps: Timestamps = Timestamps.OFFSET
    extra_keys: bool = False  # add keys the spec does not name; a tolerant client ignores them
    state_gates: StateGates = StateGates.STRICT

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "empty_values", EmptyValues.parse("empty_values", self.empty_values)
        )
        object.__setattr__(self, "timestamps", Timestamps.parse("timestamps", self.timestamps))
        object.__setattr__(self, "state_gates", StateGates.parse("state_gates", self.state_gates))
        if not _is_int(self.post_status) or self.post_status not in (200, 201):
            raise ValueError(f"post_status: expected 200 or 201; got {self.post_status!r}")
        if not isinstance(self.extra_keys, bool):
            raise ValueError(f"extra_keys: expected true or false; got {self.extra_keys!r}")
        if not _is_int(self.auth_failure_status) or self.auth_failure_status not in (401, 403):
            raise ValueError(
                f"auth_failure_status: expected 401 or 403; got {self.auth_failure_status!r}"
            )

    def as_dict(self) -> dict[str, Any]:
        return {
            "empty_values": self.empty_values.value,
            "post_status": self.post_status,
            "auth_failure_status": self.auth_failure_status,
            "timestamps": self.timestamps.value,
            "extra_keys": self.extra_keys,
            "state_gates": self.state_gates.value,
        }

    @staticmethod
    def choices() -> dict[str, list[Any]]:
        """Every value each variant can take, the default first."""
        return {
            "empty_values": [e.value for e in EmptyValues],
            "post_status": [200, 201],
            "auth_failure_status": [401, 403],
            "timestamps": [t.value for t in Timestamps],
            "extra_keys": [False, True],
            "state_gates": [g.value for g in StateGates],
        }

    def updated(self, changes: dict[str, Any]) -> Variants:
        """A copy with `changes` applied; unknown keys are refused by name."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ValueError(
                f"unknown variant {', '.join(unknown)}; "
                f"expected keys among {', '.join(sorted(known))}"
            )
        return replace(self, **changes)


@dataclass(frozen=True)
class Phases:
    """Seconds each simulated phase lasts; the default keeps a whole flow under ten seconds."""

    initializing: float = 0.5
    image_generating: float = 1.5
    video_generating: float = 3.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or not 0 <= value < math.inf:
                raise ValueError(
                    f"{f.name}: expected a finite number of seconds >= 0; got {value!r}"
                )


@dataclass(frozen=True)
class Credentials:
    api_id: str
    api_key: str


@dataclass(frozen=True)
class MockConfig:
    """Everything `create_app` needs besides the clock.

    `credentials` empty means any non-empty X-API-ID/X-API-KEY pair is accepted, each
    X-API-ID being its own account. `seed` makes the failure rate and the record ids
    repeat from run to run. `webhook_timeout` is the total seconds one delivery attempt may
    take; `webhook_queue` how many deliveries may wait at once. `private_webhooks` off
    refuses webhook targets on loopback, link-local and private addresses (the CLI turns it
    off when the mock listens beyond loopback). `allowed_hosts` are names, beside loopback's,
    that may reach the admin API. `journal_bytes` bounds the journal's size in memory, and
    `max_records` the records the mock keeps (past it, a create is a 503 until a reset).
    `credentials_source` is what a refused client is told about where to read the pair.
    """

    credentials: tuple[Credentials, ...] = ()
    credentials_source: str = "the pair shown in creatify-mock's banner"
    variants: Variants = field(default_factory=Variants)
    phases: Phases = field(default_factory=Phases)
    failure_rate: float = 0.0
    seed: int | None = None
    strict: bool = False
    state_path: str | None = None
    admin_token: str | None = None
    max_body_bytes: int = 64 * 1024
    journal_size: int = 10_000
    webhook_timeout: float = 5.0
    webhook_attempts: int = 3
    webhook_backoff: float = 0.5
    webhook_queue: int = 10_000
    private_webhooks: bool = True
    allowed_hosts: tuple[str, ...] = ()
    journal_bytes: int = 32 * 1024 * 1024
    max_records: int = 100_000

    def __post_init__(self) -> None:
        if not 0.0 <= self.failure_rate <= 1.0:
            raise ValueError(f"failure_rate: expected 0.0 to 1.0; got {self.failure_rate!r}")
        if self.webhook_attempts < 1:
            raise ValueError(f"webhook_attempts: expected >= 1; got {self.webhook_attempts!r}")
        if self.max_body_bytes < 1024:
            raise ValueError(f"max_body_bytes: expected >= 1024; got {self.max_body_bytes!r}")
