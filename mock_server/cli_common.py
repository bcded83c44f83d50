"""What the `creatify-mock` commands share: the version, the loopback test, serving until
interrupted, and the check of a number of seconds."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from importlib import metadata

import click
from flask import Flask

from .server import serve_forever

__all__ = ["finite", "is_loopback", "run", "version"]


def version() -> str:
    try:
        return metadata.version("creatify-mock")
    except metadata.PackageNotFoundError:
        return "0+checkout"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def run(
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


def finite(ctx: click.Context, param: click.Parameter, value: float) -> float:
    # FloatRange lets "inf" and "nan" through; a phase must end for its record to.
    if not math.isfinite(value):
        raise click.BadParameter(f"expected a finite number of seconds; got {value!r}")
    return value
