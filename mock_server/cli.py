"""The `creatify-mock` command: its group, and the commands of `cli_serve` and `cli_record`
(`contract_tests.cli` adds `verify-client`)."""

from __future__ import annotations

import click

from .cli_common import version
from .cli_record import fixtures, record
from .cli_serve import serve

__all__ = ["main"]


@click.group()
@click.version_option(version(), prog_name="creatify-mock")
def main() -> None:
    """Offline twin and contract checker of Creatify's Product-to-Video API."""


main.add_command(serve)
main.add_command(record)
main.add_command(fixtures)
