"""`creatify-mock record` (the recording proxy) and `creatify-mock fixtures check`."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # the recorder is imported when `record` runs (it pulls in httpx)
    from .recordings.recorder import Recorder


from .cli_common import finite, listen_options, load_contract, run

__all__ = ["fixtures", "record"]


def _upstream_url(ctx: click.Context, param: click.Parameter, value: str) -> str:
    from .recordings.recorder import check_upstream

    try:
        return check_upstream(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
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
@listen_options(default_port=8001)
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
    callback=finite,
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

    run(app, host, port, threads, banner, farewell)


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


@click.group()
def fixtures() -> None:
    """Recorded and documented exchanges (HAR files)."""


@fixtures.command("check")
@click.argument("path", default="fixtures", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(exists=True, dir_okay=False),
    help="OpenAPI file to check against (default: the bundled spec/openapi.yaml).",
)
@click.option("--show-excused", is_flag=True, help="Also list drift that a fixture explains.")
@click.option(
    "--strict",
    is_flag=True,
    help="Also fail on client errors: requests the spec refuses that the API refused as the "
    "spec says (listed apart, never counted as drift).",
)
def fixtures_check(path: Path, spec_path: str | None, show_excused: bool, strict: bool) -> None:
    """Check every exchange under PATH against the spec.

    Exit 1 on drift no fixture explains (and with --strict on a client error), 2 when PATH
    holds no HAR exchange."""
    from .recordings.drift import check_path
    from .recordings.har import HarError

    contract = load_contract(spec_path)
    try:
        checked, drifts = check_path(path, contract)
    except HarError as exc:  # one line naming the file, and what is wrong with it
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"{exc.filename or path}: {exc.strerror or exc}") from None
    if not checked:
        click.echo(f"Error: no HAR exchanges under {path}", err=True)
        sys.exit(2)
    opened = [d for d in drifts if not d.excused_by]
    drifting = {d.where for d in opened if not d.client_error}
    client = {d.where for d in opened if d.client_error} - drifting
    explained = {d.where for d in drifts if d.excused_by} - drifting - client
    for drift in opened:
        if not drift.client_error:
            click.echo(str(drift))
    if client:
        click.echo(
            "client errors (the request broke the spec and the API refused it as the "
            "spec says; not drift" + ("" if strict else ", --strict fails on them") + "):"
        )
        for drift in opened:
            if drift.client_error:
                click.echo(f"  {drift}")
    if show_excused:
        for drift in drifts:
            if drift.excused_by:
                click.echo(str(drift))
    clean = checked - len(drifting | client | explained)
    click.echo(
        f"{_count(checked, 'exchange')} checked: {clean} as the spec says, {len(explained)} "
        f"with drift their fixtures explain, {_count(len(client), 'client error')}, "
        f"{len(drifting)} drifting"
    )
    if drifting or (strict and client):
        sys.exit(1)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
