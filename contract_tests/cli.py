"""The `creatify-mock` command: the mock's own commands plus `verify-client`.

It lives here because the harness belongs to contract_tests, which may import mock_server
but never the reverse.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from mock_server import main

from .harness import BASE_SCENARIOS, ClientHarness, Scenario, draw_variants

__all__ = ["main"]

SCENARIO_NAMES = [s.name for s in BASE_SCENARIOS] + ["variants"]


@main.command("verify-client", context_settings={"ignore_unknown_options": True})
@click.option(
    "--scenario",
    "chosen",
    multiple=True,
    type=click.Choice(SCENARIO_NAMES),
    help="Run only these scenarios (repeatable); all by default.",
)
@click.option(
    "--seed",
    default=0,
    show_default=True,
    type=int,
    help="Seed of the variant draw and the mock's ids; the same seed replays the run.",
)
@click.option(
    "--variants",
    "variant_count",
    default=3,
    show_default=True,
    type=click.IntRange(0, 50),
    help="How many response variants to draw.",
)
@click.option(
    "--timeout",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Seconds a client may take for one scenario.",
)
@click.option(
    "--max-polls-per-second",
    default=3.0,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Ceiling on GETs of one record in a second.",
)
@click.option(
    "--replay",
    "replay_dir",
    type=click.Path(exists=True, path_type=Path),
    help="Also run the client against these HAR recordings (scenario 'replay').",
)
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="Write JSON here.")
@click.option(
    "--junit", type=click.Path(dir_okay=False, path_type=Path), help="Write JUnit XML here."
)
@click.argument("command", nargs=-1, required=True, type=click.UNPROCESSED)
def verify_client(
    chosen: tuple[str, ...],
    seed: int,
    variant_count: int,
    timeout: float,
    max_polls_per_second: float,
    replay_dir: Path | None,
    report: Path | None,
    junit: Path | None,
    command: tuple[str, ...],
) -> None:
    """Run COMMAND (any client, any language) through every scenario against the mock.

    The client gets CREATIFY_API_BASE_URL, CREATIFY_API_ID, CREATIFY_API_KEY and
    CREATIFY_PRODUCT_URL; it must print the video URL and exit 0 when the video was made,
    and exit non-zero when the API reports a failure or refuses it.
    """
    from .reports import summary, write_json, write_junit  # XML: not for `serve` to load

    scenarios: list[Scenario] = [s for s in BASE_SCENARIOS if not chosen or s.name in chosen]
    if not chosen or "variants" in chosen:
        scenarios += draw_variants(seed, variant_count)
    harness = ClientHarness(
        list(command), seed=seed, timeout=timeout, max_polls_per_second=max_polls_per_second
    )
    results = []
    for n, scenario in enumerate(scenarios, 1):
        click.echo(f"[{n}/{len(scenarios)}] {scenario.name}: {scenario.description} ...", err=True)
        result = harness.run(scenario)
        found = len(result.findings)
        verdict = (
            "passed" if result.passed else f"FAILED ({found} finding{'' if found == 1 else 's'})"
        )
        click.echo(
            f"[{n}/{len(scenarios)}] {scenario.name}: {verdict} in {result.seconds:.1f} s", err=True
        )
        results.append(result)
    if replay_dir is not None:
        click.echo(f"[replay] answers recorded in {replay_dir} ...", err=True)
        results.append(harness.run_replay(replay_dir))
    click.echo(summary(results, list(command)))
    if report:
        write_json(report, list(command), seed, results)
    if junit:
        write_junit(junit, list(command), results)
    sys.exit(0 if results and all(r.passed for r in results) else 1)
