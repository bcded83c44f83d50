"""What verify-client puts a client through: each scenario, what the mock does in it, the
class of client bug it exists to catch and the check that reports it.

Each scenario exists because real clients of this API have that fault. A scenario's faults
are queued on a fresh mock before the client starts (`Controls.queue_fault`'s keywords).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product
from typing import Any

from mock_server import Controls, Phases

__all__ = [
    "BASE_SCENARIOS",
    "QUICK",
    "Scenario",
    "draw_variants",
    "listing",
    "scenario_names",
    "select",
]

QUICK = Phases(0.2, 0.4, 0.6)
IMAGE, VIDEO = "product_to_videos_gen_image", "product_to_videos_gen_video"
POLL = "product_to_videos_retrieve"


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    # True: the video can be made, and must be; False: the API fails or refuses it, and the
    # client must exit non-zero; None: either is right (an answer was lost on the way).
    expect_video: bool | None = True
    phases: Phases = QUICK
    fail_phase: str | None = None
    faults: tuple[tuple[tuple[str, Any], ...], ...] = ()  # Controls.queue_fault keywords
    variants: tuple[tuple[str, Any], ...] = ()
    refuse_credentials: bool = False
    catches: str = ""  # the class of client bug this scenario provokes
    reported_by: str = ""  # the check (finding rule) that reports it

    def fault_list(self) -> list[dict[str, Any]]:
        return [dict(f) for f in self.faults]


def _fault(status: int = 429, operation: str | None = None, **more: Any) -> tuple[Any, ...]:
    return tuple({"status": status, "operation": operation, **more}.items())


BASE_SCENARIOS = (
    Scenario(
        "success",
        "the whole flow succeeds",
        catches="wrong routes, fields or headers; polling too fast or after the end; a paid "
        "POST sent twice",
        reported_by="the contract checks, polling rate, polling after the end, duplicate paid POST",
    ),
    Scenario(
        "image-failed",
        "the image phase fails",
        expect_video=False,
        fail_phase="image",
        catches="a client that assumes success, polls on after failed, or swallows the "
        "failure reason",
        reported_by="exit code, stopped for the wrong reason, polling after the end, reason "
        "not shown",
    ),
    Scenario(
        "video-failed",
        "the video phase fails",
        expect_video=False,
        fail_phase="video",
        catches="the same as image-failed, in the paid video phase",
        reported_by="exit code, stopped for the wrong reason, polling after the end, reason "
        "not shown",
    ),
    Scenario(
        "slow-job",
        "phases take seconds",
        phases=Phases(1.0, 2.0, 3.0),
        catches="a fixed number of polls, or a short overall deadline",
        reported_by="exit code, termination",
    ),
    Scenario(
        "credentials-refused",
        "every call gets 401",
        expect_video=False,
        refuse_credentials=True,
        catches="a refusal treated as success or retried forever, or its detail swallowed",
        reported_by="exit code, stopped for the wrong reason, reason not shown",
    ),
    Scenario(
        "transient-errors",
        "429 with Retry-After and 503 on the paid POSTs, before anything is processed",
        faults=(_fault(429, IMAGE), _fault(503, IMAGE), _fault(429, VIDEO), _fault(503, VIDEO)),
        catches="no retry of a throttled or unavailable paid POST",
        reported_by="exit code (with the last answer the client saw)",
    ),
    Scenario(
        "poll-errors",
        "503 and 429 with Retry-After on the polls after each paid POST was accepted",
        faults=(
            _fault(503, POLL, after=IMAGE),
            _fault(429, POLL, after=IMAGE),
            _fault(503, POLL, after=VIDEO),
            _fault(429, POLL, after=VIDEO),
        ),
        catches="a paid record abandoned on a 503 or 429 poll",
        reported_by="abandoned paid work, exit code",
    ),
    Scenario(
        "gateway-errors",
        "502 and 504 as a load balancer sends them: an HTML page, and an empty body",
        faults=(
            _fault(502, IMAGE, body="html"),
            _fault(504, POLL, after=IMAGE, body="empty"),
            _fault(502, VIDEO, body="html"),
            _fault(504, POLL, after=VIDEO, body="html"),
        ),
        catches="the body parsed as JSON before the status is read (\"Unexpected token '<'\")",
        reported_by="exit code (with the crash's last line), abandoned paid work",
    ),
    Scenario(
        "stalled-response",
        "a poll whose answer never comes (held, then the connection closed), and a poll whose "
        "connection is reset",
        faults=(
            _fault(operation=POLL, after=IMAGE, drop="stall"),
            _fault(operation=POLL, after=VIDEO, drop="reset"),
        ),
        catches="no request timeout, or a transport error on a poll treated as fatal",
        reported_by="no request timeout, abandoned paid work, exit code",
    ),
    Scenario(
        "lost-answer",
        "gen_image is processed (the record made, and paid for) but its answer is lost to a "
        "connection reset; the client may look the record up or stop, not pay twice",
        expect_video=None,
        faults=(_fault(operation=IMAGE, drop="reset", processed=True),),
        catches="a paid POST sent again after its answer was lost",
        reported_by="retry safety",
    ),
    Scenario(
        "lenient-gates",
        "the undocumented state gates served lenient: regen_image while image_generating, "
        "regen_video while video_generating",
        variants=(("state_gates", "lenient"),),
        catches="a client that works under one guess of the gates only",
        reported_by="every check, as in success",
    ),
)


def draw_variants(seed: int, count: int) -> list[Scenario]:
    """Response variants drawn by Hypothesis from the variant space; the same seed, the
    same draw."""
    from hypothesis import Phase, given, settings
    from hypothesis import seed as hypothesis_seed
    from hypothesis import strategies as st

    choices = Controls.variant_choices()
    space = {k: choices[k] for k in ("empty_values", "timestamps", "extra_keys", "post_status")}
    combinations = [dict(zip(space, values, strict=True)) for values in product(*space.values())]
    drawn: list[dict[str, Any]] = []

    # Hypothesis tries the simplest value first; the last of a few draws is a real mix.
    @hypothesis_seed(seed)
    @settings(max_examples=10, database=None, phases=[Phase.generate])
    @given(st.permutations(combinations))
    def draw(order: list[dict[str, Any]]) -> None:
        drawn[:] = [dict(v) for v in order]

    draw()
    return [
        Scenario(
            f"variants-{i + 1}",
            "response variants: " + ", ".join(f"{k}={v}" for k, v in sorted(v.items())),
            variants=tuple(sorted(v.items())),
            catches="a parser that needs one form where the docs leave it open",
            reported_by="exit code, output, as in success",
        )
        for i, v in enumerate(drawn[:count])
    ]


def scenario_names() -> list[str]:
    """Every name --scenario takes besides variants-N: the base scenarios, variants, replay."""
    return [s.name for s in BASE_SCENARIOS] + ["variants", "replay"]


def select(
    chosen: list[str], seed: int, variant_count: int, replay: bool
) -> tuple[list[Scenario], bool]:
    """The scenarios `--scenario` names (all when none), and whether replay runs; a name
    that is no scenario raises ValueError naming the valid ones."""
    drawn = draw_variants(seed, variant_count)
    if not chosen:
        return [*BASE_SCENARIOS, *drawn], replay
    by_name = {s.name: s for s in (*BASE_SCENARIOS, *drawn)}
    picked: list[Scenario] = []
    for name in chosen:
        if name == "variants":
            picked += [s for s in drawn if s not in picked]
        elif name == "replay":
            if not replay:
                raise ValueError("replay: the replay scenario needs --replay DIR (the recordings)")
        elif name in by_name:
            if by_name[name] not in picked:
                picked.append(by_name[name])
        elif name.startswith("variants-"):
            raise ValueError(
                f"{name}: --variants {variant_count} draws variants-1 to "
                f"variants-{variant_count}; pass --variants {name.removeprefix('variants-')} "
                "or more"
            )
        else:
            valid = ", ".join([*scenario_names(), "variants-N"])
            raise ValueError(f"unknown scenario {name!r}; expected one of {valid}")
    return picked, "replay" in chosen


def listing(seed: int, variant_count: int) -> str:
    """One line per scenario: its name, what the mock does, the bug class it catches."""
    rows = [*BASE_SCENARIOS, *draw_variants(seed, variant_count)]
    width = max(len(s.name) for s in rows) + 2
    lines = [f"{s.name:<{width}}{s.description}. Catches {s.catches}." for s in rows]
    lines.append(
        f"{'replay':<{width}}answers recorded from the real API (--replay DIR). Catches a "
        "client that works only against the mock."
    )
    return "\n".join(lines)
