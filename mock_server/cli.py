"""The `creatify-mock` command: its group, and the commands of `cli_serve` and `cli_record`
(`contract_tests.cli` adds `verify-client`)."""

from __future__ import annotations

import click

from .cli_common import version
from .cli_record import fixtures, record
from .cli_serve import serve

__all__ = ["main"]


@click.group(invoke_without_command=True)
@click.version_option(version(), prog_name="creatify-mock")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Offline twin and contract checker of Creatify's Product-to-Video API.

    \b
    Environment:
      CREATIFY_MOCK_API_ID, CREATIFY_MOCK_API_KEY   serve --api-id / --api-key
      CREATIFY_MOCK_ADMIN_TOKEN                     serve --admin-token
      XDG_CACHE_HOME   where the spec's parse is kept (default ~/.cache; safe to delete)
    """
    if ctx.invoked_subcommand is None:  # the bare command: what it can do, and exit 0
        click.echo(ctx.get_help())


main.add_command(serve)
main.add_command(record)
main.add_command(fixtures)
