"""The `creatify-mock` command."""

from __future__ import annotations

import ipaddress
import logging
import secrets
import sys
from importlib import metadata

import click

from .app import create_app
from .clock import ManualClock, SystemClock
from .config import Credentials, MockConfig, Phases, Variants
from .server import serve_forever
from .spec import Contract

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
)
@click.option(
    "--image-seconds",
    default=Phases.image_generating,
    show_default=True,
    type=click.FloatRange(min=0),
    help="How long image_generating lasts.",
)
@click.option(
    "--video-seconds",
    default=Phases.video_generating,
    show_default=True,
    type=click.FloatRange(min=0),
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
    "--strict",
    is_flag=True,
    help="Answer 500 when the mock's own response breaks the spec (always logged).",
)
@click.option(
    "--admin-token",
    envvar="CREATIFY_MOCK_ADMIN_TOKEN",
    help="Token for /__mock__/ (required, and generated if absent, beyond loopback).",
)
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64))
@click.option("--quiet", is_flag=True, help="No per-request log lines.")
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
    strict: bool,
    admin_token: str | None,
    threads: int,
    quiet: bool,
) -> None:
    """Serve the mock API (validating every request and response) until interrupted."""
    if bool(api_id) != bool(api_key):
        raise click.UsageError("--api-id and --api-key go together: give both or neither.")
    if not _is_loopback(host) and not admin_token:
        admin_token = secrets.token_urlsafe(16)
    config = MockConfig(
        credentials=(Credentials(api_id, api_key),) if api_id and api_key else (),
        variants=Variants(
            empty_values=empty_values,  # type: ignore[arg-type]
            post_status=int(post_status),
            auth_failure_status=int(auth_failure_status),
            timestamps=timestamps,  # type: ignore[arg-type]
        ),
        phases=Phases(initializing_seconds, image_seconds, video_seconds),
        failure_rate=failure_rate,
        seed=seed,
        strict=strict,
        state_path=state_path,
        admin_token=admin_token,
    )
    logging.basicConfig(
        level=logging.WARNING if quiet else logging.INFO,
        format="%(asctime)s %(message)s",
        stream=sys.stderr,
    )
    contract = Contract.load(spec_path)
    clock = ManualClock() if manual_clock else SystemClock()
    app = create_app(config, clock=clock, contract=contract)

    def banner(url: str) -> None:
        api_id_shown, api_key_shown = (api_id, api_key) if api_id else ("demo", "demo")
        curl = (
            f"curl -s {url}/api/product_to_videos/ "
            f"-H 'X-API-ID: {api_id_shown}' -H 'X-API-KEY: {api_key_shown}'"
        )
        who = "only this pair" if api_id else "any non-empty pair; each X-API-ID is an account"
        lines = [
            f"creatify-mock {_version()}: Creatify Product-to-Video API twin",
            f"  base URL     {url}   (in place of https://api.creatify.ai)",
            f"  credentials  X-API-ID: {api_id_shown}  X-API-KEY: {api_key_shown}   ({who})",
            f"  try          {curl}",
            f"  admin        {url}/__mock__/health",
        ]
        if admin_token:
            lines.append(f"  admin token  X-Mock-Admin-Token: {admin_token}")
        clock_text = "manual (POST /__mock__/clock/advance)" if manual_clock else "system"
        lines += [
            (
                f"  clock        {clock_text}; phases {initializing_seconds:g}s / "
                f"{image_seconds:g}s / {video_seconds:g}s"
            ),
            f"  state        {state_path or 'in memory'}",
            f"  spec         {contract.path}",
        ]
        click.echo("\n".join(lines), nl=True)
        sys.stdout.flush()

    try:
        serve_forever(app, host, port, threads, banner)
    except OSError as exc:
        raise click.ClickException(str(exc.strerror or exc)) from exc
    except KeyboardInterrupt:
        click.echo("creatify-mock: stopped")
