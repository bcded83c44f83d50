"""What the `creatify-mock` commands share: the version, the loopback test, serving until
interrupted, the check of a number of seconds, and a --spec file loaded or refused in one
line."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable
from importlib import metadata
from typing import Any, TypeVar

import click
from flask import Flask

from .contract.spec import Contract
from .server import serve_forever

__all__ = ["finite", "is_loopback", "listen_options", "load_contract", "run", "version"]

_Command = TypeVar("_Command", bound=Callable[..., Any])


def listen_options(default_port: int) -> Callable[[_Command], _Command]:
    """--host and --port, as every serving command takes them."""

    def decorate(command: _Command) -> _Command:
        command = click.option(
            "--port",
            default=default_port,
            show_default=True,
            type=click.IntRange(0, 65535),
            help="Port to listen on; 0 picks a free one.",
        )(command)
        return click.option(
            "--host", default="127.0.0.1", show_default=True, help="Address to listen on."
        )(command)

    return decorate


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


def load_contract(spec_path: str | None) -> Contract:
    """The bundled spec, or the user's --spec file checked whole now (openapi-core's check,
    which the bundled spec is spared at start): a file that is no usable OpenAPI document is
    one line naming it."""
    if spec_path is None:
        return Contract.load()
    try:
        contract = Contract.load(spec_path)
        if not contract.operations:
            raise ValueError("it documents no operation (expected paths with operationIds)")
        assert contract.openapi is not None
    except Exception as exc:  # any failure to read a user's spec is the file's, not a bug
        raise click.ClickException(
            f"--spec {spec_path} is not a usable OpenAPI 3.1 document: {_reason(exc)}; "
            "fix it, or leave --spec out to serve the bundled spec"
        ) from None
    return contract


def _reason(exc: BaseException) -> str:
    where = getattr(exc, "json_path", None)  # openapi-spec-validator's: where it broke
    message = getattr(exc, "message", None) if where else None
    if where and message:
        return f"{message} at {where}"
    if isinstance(exc, KeyError):
        return f"it has no {exc.args[0]!r}"
    text = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
    text = text or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."
