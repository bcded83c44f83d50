"""`creatify-mock serve`: the mock on a port, until interrupted."""

from __future__ import annotations

import functools
import logging
import secrets
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import Flask

from .app import create_app, create_replay_app
from .config import (
    Credentials,
    EmptyValues,
    MockConfig,
    Phases,
    StateGates,
    Timestamps,
    Variants,
)
from .contract.spec import Contract
from .lifecycle.clock import ManualClock, SystemClock
from .lifecycle.errors import StateFileError
from .recordings.replay import MATCHES, default_recording_path
from .serving import IDLE_TIMEOUT, serve_safely

if TYPE_CHECKING:  # the recorder is imported when `record` runs (it pulls in httpx)
    pass


from .cli_common import finite, is_loopback, listen_options, load_contract, run, version

__all__ = ["serve"]

SHIPPED = "<shipped>"  # --replay with no path: the synthetic recording shipped with the mock


@click.command()
@listen_options(default_port=8000)
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(exists=True, dir_okay=False),
    help="OpenAPI file to serve (default: the bundled spec/openapi.yaml).",
)
@click.option(
    "--api-id",
    envvar="CREATIFY_MOCK_API_ID",
    show_envvar=True,
    help="Accept only this X-API-ID (with --api-key). Default: any non-empty pair.",
)
@click.option(
    "--api-key",
    envvar="CREATIFY_MOCK_API_KEY",
    show_envvar=True,
    help="The X-API-KEY for --api-id.",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False),
    help="SQLite file that keeps every record across restarts (default: memory).",
)
@click.option(
    "--manual-clock", is_flag=True, help="Time moves only through POST /__mock__/clock/advance."
)
@click.option(
    "--initializing-seconds",
    default=Phases.initializing,
    show_default=True,
    type=click.FloatRange(min=0),
    callback=finite,
    help="How long a new record stays initializing before image_generating.",
)
@click.option(
    "--image-seconds",
    default=Phases.image_generating,
    show_default=True,
    type=click.FloatRange(min=0),
    callback=finite,
    help="How long image_generating lasts.",
)
@click.option(
    "--video-seconds",
    default=Phases.video_generating,
    show_default=True,
    type=click.FloatRange(min=0),
    callback=finite,
    help="How long video_generating lasts.",
)
@click.option(
    "--failure-rate",
    default=0.0,
    show_default=True,
    type=click.FloatRange(0, 1),
    help="Chance that a phase fails, drawn from --seed.",
)
@click.option("--seed", type=int, help="Seed for --failure-rate, so runs repeat.")
@click.option(
    "--empty-values",
    type=click.Choice(["null", "empty-string"]),
    default="null",
    show_default=True,
    help="How empty fields are sent.",
)
@click.option(
    "--post-status",
    type=click.Choice(["200", "201"]),
    default="200",
    show_default=True,
    help="Status of a successful POST.",
)
@click.option(
    "--auth-failure-status",
    type=click.Choice(["401", "403"]),
    default="401",
    show_default=True,
    help="Status for missing or wrong credentials.",
)
@click.option(
    "--timestamps",
    type=click.Choice(["offset", "utc"]),
    default="offset",
    show_default=True,
    help="offset: 2025-05-30T04:11:05.449603-07:00; utc: 2025-05-30T11:11:05Z.",
)
@click.option(
    "--extra-keys",
    is_flag=True,
    help="Add keys the spec does not name to every record (a client must ignore them).",
)
@click.option(
    "--state-gates",
    type=click.Choice(["strict", "lenient"]),
    default="strict",
    show_default=True,
    help="From which statuses the regens are allowed (undocumented): lenient also allows "
    "regen_image while image_generating and regen_video while video_generating.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Answer 500 when the mock's own response breaks the spec (always logged).",
)
@click.option(
    "--admin-token",
    envvar="CREATIFY_MOCK_ADMIN_TOKEN",
    show_envvar=True,
    help="Token for /__mock__/ (required, and generated if absent, beyond loopback).",
)
@click.option(
    "--allow-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="A Host name, beside localhost/127.0.0.1/::1, that may reach /__mock__/ (repeat "
    "for more). Other names are refused, against DNS rebinding.",
)
@click.option(
    "--max-records",
    default=100_000,
    show_default=True,
    type=click.IntRange(1, 10_000_000),
    help="Records kept at most; past it a create answers 503 until a reset.",
)
@click.option(
    "--allow-private-webhooks",
    is_flag=True,
    help="Beyond loopback, still send webhooks to loopback, link-local and private "
    "addresses (refused by default there; always allowed on loopback).",
)
@click.option(
    "--threads",
    default=16,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads running requests. None waits on a stalled client (a body is read whole "
    "before its request runs; what a slow client does not take of an answer is sent later, "
    "off the thread, unless 16 MiB wait: then while the client takes bytes, 5 s at most "
    "without one) nor on webhooks (they have their own threads); more threads keep one long "
    "request from holding the others.",
)
@click.option(
    "--idle-timeout",
    default=IDLE_TIMEOUT,
    show_default=True,
    type=click.IntRange(1, 3600),
    help="Seconds a connection may send nothing (between requests or mid-body) before it "
    "is closed.",
)
@click.option("--quiet", is_flag=True, help="No per-request log lines.")
@click.option(
    "--replay",
    "replay_dir",
    is_flag=False,
    flag_value=SHIPPED,
    metavar="[PATH]",
    help="Answer from HAR recordings (a file or a folder) instead of simulating; auth, "
    "validation and the journal stay. Alone, the shipped synthetic recording of a whole flow.",
)
@click.option(
    "--replay-match",
    type=click.Choice(MATCHES),
    default="flow",
    show_default=True,
    help="flow: by operation and the record's place in the flow (any client's bodies); "
    "body: by method, path, query and body, as recorded.",
)
def serve(
    host: str,
    port: int,
    spec_path: str | None,
    api_id: str | None,
    api_key: str | None,
    state_path: str | None,
    manual_clock: bool,
    initializing_seconds: float,
    image_seconds: float,
    video_seconds: float,
    failure_rate: float,
    seed: int | None,
    empty_values: str,
    post_status: str,
    auth_failure_status: str,
    timestamps: str,
    extra_keys: bool,
    state_gates: str,
    strict: bool,
    admin_token: str | None,
    allowed_hosts: tuple[str, ...],
    max_records: int,
    allow_private_webhooks: bool,
    threads: int,
    idle_timeout: int,
    quiet: bool,
    replay_dir: str | None,
    replay_match: str,
) -> None:
    """Serve the mock API (validating every request and response) until interrupted.

    \b
    Limits, so that no client can grow the mock's memory without bound:
      request bodies   64 KiB (413 past it; past 1 MiB the server refuses it unread)
      request headers  256 KiB in all (431 past it)
      journal          the last 10,000 requests, 32 MiB at most; header values cut at
                       256 characters, paths and queries at 2 KiB, bodies at 4 KiB;
                       X-API-KEY kept as a fingerprint, never in clear
      webhooks         10,000 deliveries waiting at most, the last 1,000 kept; 5 s for
                       one attempt, 3 attempts; a receiver's answer body is never read
      records          --max-records (503 to a create past it, until a reset)
      internal errors  the last 100 kept
      connections      10,000 at once (fewer where the open-file limit is lower;
                       more wait in the listen backlog); each closed after --idle-timeout
                       seconds without a byte; a body is read whole, off the app's threads,
                       before the app runs, so a stalled client holds no thread; a client
                       that takes no byte of a 16 MiB backlog for 5 s is closed; at most 8
                       requests sent ahead of their answers, then the connection is closed
    """
    if bool(api_id) != bool(api_key):
        raise click.UsageError("--api-id and --api-key go together: give both or neither.")
    if replay_dir is not None and (state_path or manual_clock):
        raise click.UsageError(
            "--replay answers from recordings and keeps no records: leave out "
            + ("--state" if state_path else "--manual-clock")
        )
    if not is_loopback(host) and not admin_token:
        admin_token = secrets.token_urlsafe(16)
    config = MockConfig(
        credentials=(Credentials(api_id, api_key),) if api_id and api_key else (),
        variants=_variants(
            empty_values, post_status, auth_failure_status, timestamps, extra_keys, state_gates
        ),
        phases=Phases(initializing_seconds, image_seconds, video_seconds),
        failure_rate=failure_rate,
        seed=seed,
        strict=strict,
        state_path=state_path,
        admin_token=admin_token,
        allowed_hosts=allowed_hosts,
        max_records=max_records,
        private_webhooks=allow_private_webhooks or is_loopback(host),
    )
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(message)s",
        stream=sys.stderr,
    )
    contract = load_contract(spec_path)
    replaying = None if replay_dir is None else _recordings(replay_dir)
    if replaying is not None:
        app = _replay_app(replaying, config, contract, replay_match)
    else:
        clock = ManualClock() if manual_clock else SystemClock()
        try:
            app = create_app(config, clock=clock, contract=contract)
        except StateFileError as exc:  # one line: the file, what is wrong, the fix
            raise click.ClickException(str(exc)) from None
    banner = functools.partial(
        _print_banner,
        config=config,
        contract=contract,
        manual_clock=manual_clock,
        replaying=None if replaying is None else f"{replaying} (matched by {replay_match})",
    )
    serve_it = functools.partial(serve_safely, idle_timeout=idle_timeout)
    run(app, host, port, threads, banner, lambda: "creatify-mock: stopped", serve_it)


def _variants(
    empty_values: str,
    post_status: str,
    auth_failure_status: str,
    timestamps: str,
    extra: bool,
    state_gates: str,
) -> Variants:
    try:
        return Variants(
            empty_values=EmptyValues.parse("--empty-values", empty_values),
            post_status=int(post_status),
            auth_failure_status=int(auth_failure_status),
            timestamps=Timestamps.parse("--timestamps", timestamps),
            extra_keys=extra,
            state_gates=StateGates.parse("--state-gates", state_gates),
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def _recordings(replay_dir: str) -> Path:
    if replay_dir != SHIPPED:
        return Path(replay_dir)
    try:
        return default_recording_path()
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from None


def _replay_app(path: Path, config: MockConfig, contract: Contract, match: str) -> Flask:
    try:
        return create_replay_app(path, config, match=match, contract=contract)
    except (FileNotFoundError, ValueError) as exc:  # one line naming the file
        raise click.ClickException(str(exc)) from None


def _print_banner(
    url: str,
    *,
    config: MockConfig,
    contract: Contract,
    manual_clock: bool,
    replaying: str | None,
) -> None:
    """What a user needs to start: the URL, the credentials, a curl line, the admin API."""
    pair = config.credentials[0] if config.credentials else Credentials("demo", "demo")
    curl = (
        f"curl -s {url}/api/product_to_videos/ "
        f"-H 'X-API-ID: {pair.api_id}' -H 'X-API-KEY: {pair.api_key}'"
    )
    who = (
        "only this pair"
        if config.credentials
        else "any non-empty pair; each X-API-ID is an account"
    )
    lines = [
        f"creatify-mock {version()}: Creatify Product-to-Video API twin",
        f"  base URL     {url}   (in place of https://api.creatify.ai)",
        f"  credentials  X-API-ID: {pair.api_id}  X-API-KEY: {pair.api_key}   ({who})",
        f"  try          {curl}",
    ]
    # A replaying mock is the mock: its pages and dashboard are served as well.
    lines.append(f"  docs         {url}/docs/   (the spec: {url}/openapi.yaml)")
    lines.append(f"  admin        {url}/__mock__/health")
    if config.admin_token:
        lines.append(f"  admin token  X-Mock-Admin-Token: {config.admin_token}")
    token = f"#token={config.admin_token}" if config.admin_token else ""
    lines.append(f"  dashboard    {url}/__mock__/ui{token}")
    clock_text = "manual (POST /__mock__/clock/advance)" if manual_clock else "system"
    phases = config.phases
    if replaying:
        lines.append(f"  answers      recorded in {replaying}; auth and validation first")
    else:
        lines += [
            (
                f"  clock        {clock_text}; phases {phases.initializing:g}s / "
                f"{phases.image_generating:g}s / {phases.video_generating:g}s"
            ),
            f"  state        {config.state_path or 'in memory'}",
        ]
    lines.append(f"  spec         {contract.path}")
    click.echo("\n".join(lines), nl=True)
    sys.stdout.flush()
