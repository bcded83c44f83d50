"""The `creatify-mock` command."""

from __future__ import annotations

import functools
import ipaddress
import logging
import math
import secrets
import sys
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import click
from flask import Flask

from .app import create_app
from .config import Credentials, EmptyValues, MockConfig, Phases, Timestamps, Variants
from .contract.spec import Contract
from .lifecycle.clock import ManualClock, SystemClock
from .lifecycle.errors import StateFileError
from .server import serve_fast, serve_forever

if TYPE_CHECKING:  # the recorder is imported when `record` runs (it pulls in httpx)
    from .recordings.recorder import Recorder

__all__ = ["main"]


def _version() -> str:
    try:
        return metadata.version("creatify-mock")
    except metadata.PackageNotFoundError:
        return "0+checkout"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _run(
    app: Flask,
    host: str,
    port: int,
    threads: int,
    banner: Callable[[str], None],
    farewell: Callable[[], str],
    serve: Callable[..., None] = serve_forever,
) -> None:
    """Serve until interrupted; a refused port becomes a one-line error, not a trace."""
    try:
        serve(app, host, port, threads, banner)
    except OSError as exc:
        raise click.ClickException(str(exc.strerror or exc)) from exc
    except KeyboardInterrupt:
        pass
    click.echo(farewell())


def _finite(ctx: click.Context, param: click.Parameter, value: float) -> float:
    # FloatRange lets "inf" and "nan" through; a phase must end for its record to.
    if not math.isfinite(value):
        raise click.BadParameter(f"expected a finite number of seconds; got {value!r}")
    return value


@click.group()
@click.version_option(_version(), prog_name="creatify-mock")
def main() -> None:
    """Offline twin and contract checker of Creatify's Product-to-Video API."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on; 0 picks a free one.",
)
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(exists=True, dir_okay=False),
    help="OpenAPI file to serve (default: the bundled spec/openapi.yaml).",
)
@click.option(
    "--api-id",
    envvar="CREATIFY_MOCK_API_ID",
    help="Accept only this X-API-ID (with --api-key). Default: any non-empty pair.",
)
@click.option("--api-key", envvar="CREATIFY_MOCK_API_KEY", help="The X-API-KEY for --api-id.")
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
    callback=_finite,
)
@click.option(
    "--image-seconds",
    default=Phases.image_generating,
    show_default=True,
    type=click.FloatRange(min=0),
    callback=_finite,
    help="How long image_generating lasts.",
)
@click.option(
    "--video-seconds",
    default=Phases.video_generating,
    show_default=True,
    type=click.FloatRange(min=0),
    callback=_finite,
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
    "--strict",
    is_flag=True,
    help="Answer 500 when the mock's own response breaks the spec (always logged).",
)
@click.option(
    "--admin-token",
    envvar="CREATIFY_MOCK_ADMIN_TOKEN",
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
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Python threads running requests. They share one GIL, so 1 is fastest "
    "(benchmarks/RESULTS.md); requests never wait on webhooks, which have their own.",
)
@click.option("--quiet", is_flag=True, help="No per-request log lines.")
@click.option(
    "--replay",
    "replay_dir",
    type=click.Path(exists=True, path_type=Path),
    help="Answer from HAR recordings (a file or a folder) instead of simulating.",
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
    strict: bool,
    admin_token: str | None,
    allowed_hosts: tuple[str, ...],
    max_records: int,
    allow_private_webhooks: bool,
    threads: int,
    quiet: bool,
    replay_dir: Path | None,
) -> None:
    """Serve the mock API (validating every request and response) until interrupted.

    \b
    Limits, so that no client can grow the mock's memory without bound:
      request bodies   64 KiB (413 past it)
      journal          the last 10,000 requests, 32 MiB at most; header values cut at
                       256 characters, paths and queries at 2 KiB, bodies at 4 KiB;
                       X-API-KEY kept as a fingerprint, never in clear
      webhooks         10,000 deliveries waiting at most, the last 1,000 kept; 5 s for
                       one attempt, 3 attempts; a receiver's answer body is never read
      records          --max-records (503 to a create past it, until a reset)
      internal errors  the last 100 kept
    """
    if bool(api_id) != bool(api_key):
        raise click.UsageError("--api-id and --api-key go together: give both or neither.")
    if not _is_loopback(host) and not admin_token:
        admin_token = secrets.token_urlsafe(16)
    config = MockConfig(
        credentials=(Credentials(api_id, api_key),) if api_id and api_key else (),
        variants=_variants(empty_values, post_status, auth_failure_status, timestamps, extra_keys),
        phases=Phases(initializing_seconds, image_seconds, video_seconds),
        failure_rate=failure_rate,
        seed=seed,
        strict=strict,
        state_path=state_path,
        admin_token=admin_token,
        allowed_hosts=allowed_hosts,
        max_records=max_records,
        private_webhooks=allow_private_webhooks or _is_loopback(host),
    )
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(message)s",
        stream=sys.stderr,
    )
    contract = Contract.load(spec_path)
    if replay_dir is not None:
        app = _replay_app(replay_dir)
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
        manual_clock=manual_clock and replay_dir is None,
        replay_dir=replay_dir,
    )
    _run(app, host, port, threads, banner, lambda: "creatify-mock: stopped", serve_fast)


def _variants(
    empty_values: str, post_status: str, auth_failure_status: str, timestamps: str, extra: bool
) -> Variants:
    try:
        return Variants(
            empty_values=EmptyValues.parse("--empty-values", empty_values),
            post_status=int(post_status),
            auth_failure_status=int(auth_failure_status),
            timestamps=Timestamps.parse("--timestamps", timestamps),
            extra_keys=extra,
        )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def _replay_app(replay_dir: Path) -> Flask:
    from .recordings.replay import create_replay_app

    try:
        return create_replay_app(replay_dir)
    except (FileNotFoundError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc


def _print_banner(
    url: str,
    *,
    config: MockConfig,
    contract: Contract,
    manual_clock: bool,
    replay_dir: Path | None,
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
        f"creatify-mock {_version()}: Creatify Product-to-Video API twin",
        f"  base URL     {url}   (in place of https://api.creatify.ai)",
        f"  credentials  X-API-ID: {pair.api_id}  X-API-KEY: {pair.api_key}   ({who})",
        f"  try          {curl}",
        f"  admin        {url}/__mock__/health",
    ]
    if config.admin_token:
        lines.append(f"  admin token  X-Mock-Admin-Token: {config.admin_token}")
    clock_text = "manual (POST /__mock__/clock/advance)" if manual_clock else "system"
    phases = config.phases
    lines += [
        (
            f"  clock        {clock_text}; phases {phases.initializing:g}s / "
            f"{phases.image_generating:g}s / {phases.video_generating:g}s"
        ),
        f"  state        {config.state_path or 'in memory'}"
        + (f"; replaying {replay_dir}" if replay_dir else ""),
        f"  spec         {contract.path}",
    ]
    click.echo("\n".join(lines), nl=True)
    sys.stdout.flush()


def _upstream_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from .recordings.recorder import check_upstream

    try:
        return check_upstream(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@main.command()
@click.option(
    "--upstream",
    required=True,
    callback=_upstream_url,
    help="The API to forward to, e.g. https://api.creatify.ai.",
)
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the HAR recording (one new file per run).",
)
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--scrub",
    "scrub_values",
    multiple=True,
    help="A value to remove from URLs, headers and bodies before writing, and from the log "
    "(repeatable). X-API-ID and X-API-KEY are always scrubbed. A value of 8 characters or "
    "more is replaced wherever it appears, in any encoding; a shorter one only where it is a "
    "whole value (a header, a path segment, a parameter, a JSON string).",
)
@click.option(
    "--upstream-timeout",
    default=60.0,  # recordings.recorder.DEFAULT_TIMEOUT (a test holds them equal)
    show_default=True,
    type=click.FloatRange(min=0, min_open=True),
    callback=_finite,
    metavar="SECONDS",
    help="How long to wait for the upstream to connect, to take the request, and for each "
    "read of its answer. Past it the client gets 504 and the recording keeps the timeout; "
    "an upstream that is down or answers something that is not HTTP gets 502.",
)
# Each connection gets a thread of its own now; --threads is still accepted, and ignored.
@click.option("--threads", default=4, hidden=True, type=click.IntRange(1, 64))
def record(
    upstream: str,
    out_dir: Path,
    host: str,
    port: int,
    scrub_values: tuple[str, ...],
    upstream_timeout: float,
    threads: int,
) -> None:
    """Record real traffic: a reverse proxy that keeps each exchange, scrubbed, as HAR."""
    from .recordings.recorder import ScrubbingFormatter, create_recorder

    app = create_recorder(upstream, out_dir, scrub_values=scrub_values, timeout=upstream_timeout)
    recorder: Recorder = app.extensions["creatify_recorder"]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(ScrubbingFormatter(recorder, "%(asctime)s %(message)s"))
    logging.getLogger().addHandler(handler)  # every logger's lines (httpx's too) go here
    logging.getLogger().setLevel(logging.INFO)

    def banner(url: str) -> None:
        click.echo(
            f"creatify-mock record: {url} -> {upstream}\n"
            f"  point clients at {url} as at the API; drift from the spec is warned here\n"
            f"  writing       {recorder.path}"
        )
        sys.stdout.flush()

    def farewell() -> str:
        left = _finish(recorder, upstream_timeout)
        logging.disable()  # an exchange that ends now is not kept, and logs nothing
        text = f"creatify-mock record: stopped; {recorder.kept} exchanges kept"
        return text + (f"; {left} still under way, not kept" if left else "")

    _run(app, host, port, threads, banner, farewell)


def _finish(recorder: Recorder, upstream_timeout: float) -> int:
    """Let the exchanges under way end (each within the upstream timeout) and close the
    file; a second Ctrl-C stops waiting. How many were left under way."""
    if recorder.under_way:
        click.echo(
            f"creatify-mock record: finishing {recorder.under_way} exchanges under way "
            "(Ctrl-C again to stop now)",
            err=True,
        )
    try:
        return recorder.stop(grace=upstream_timeout + 1)
    except KeyboardInterrupt:
        return recorder.stop(grace=0)


@main.group()
def fixtures() -> None:
    """Recorded and documented exchanges (HAR files)."""


@fixtures.command("check")
@click.argument("path", default="fixtures", type=click.Path(exists=True, path_type=Path))
@click.option("--spec", "spec_path", type=click.Path(exists=True, dir_okay=False))
@click.option("--show-excused", is_flag=True, help="Also list drift that a fixture explains.")
def fixtures_check(path: Path, spec_path: str | None, show_excused: bool) -> None:
    """Check every exchange under PATH against the spec; exit 1 on unexplained drift."""
    from .recordings.drift import check_path

    checked, drifts = check_path(path, Contract.load(spec_path))
    open_drifts = [d for d in drifts if not d.excused_by]
    for drift in drifts:
        if show_excused or not drift.excused_by:
            click.echo(str(drift))
    click.echo(
        f"{checked} exchanges checked: {len(open_drifts)} drifting, "
        f"{len(drifts) - len(open_drifts)} explained by their fixtures"
    )
    if open_drifts:
        sys.exit(1)
