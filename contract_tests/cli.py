"""The `creatify-mock` command: the mock's own commands plus `verify-client`.

It lives here because the harness belongs to contract_tests, which may import mock_server
but never the reverse.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import click

from mock_server import main

from .harness import ClientHarness, Options, ScenarioResult
from .scenarios import Scenario, listing, scenario_names, select

__all__ = ["main"]

DEFAULTS = Options()


def _names(ctx: click.Context, param: click.Parameter, value: tuple[str, ...]) -> list[str]:
    """--scenario a,b --scenario c: every name, in order."""
    return [name.strip() for chunk in value for name in chunk.split(",") if name.strip()]


@main.command("verify-client", context_settings={"ignore_unknown_options": True})
@click.option(
    "--scenario",
    "chosen",
    multiple=True,
    callback=_names,
    metavar="NAME[,NAME...]",
    help="Run only these scenarios (repeatable, or comma-separated): "
    + ", ".join(scenario_names())
    + ", or one drawn variant, variants-N. All by default; --list-scenarios says what each does.",
)
@click.option(
    "--list-scenarios", is_flag=True, help="Print every scenario, one line each, and exit."
)
@click.option(
    "--seed",
    default=DEFAULTS.seed,
    show_default=True,
    type=int,
    help="Seed of the variant draw and the mock's ids; the same seed replays the run.",
)
@click.option(
    "--variants",
    "variant_count",
    default=DEFAULTS.variants,
    show_default=True,
    type=click.IntRange(0, 50),
    help="How many response variants to draw (variants-1 to variants-N).",
)
@click.option(
    "--timeout",
    default=DEFAULTS.timeout,
    show_default=True,
    type=click.FloatRange(min=1),
    help="Seconds a client may take for one scenario; then its whole process group is ended.",
)
@click.option(
    "--max-polls-per-second",
    default=DEFAULTS.max_polls_per_second,
    show_default=True,
    type=click.FloatRange(min=0.1),
    help="Ceiling on GETs of one record in a second.",
)
@click.option(
    "--stall-seconds",
    default=DEFAULTS.stall_seconds,
    show_default=True,
    type=click.FloatRange(1, 120),
    help="How long stalled-response holds a poll before closing it (at most 3/4 of "
    "--timeout); a client that waits it out has no request timeout.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Make warnings errors: a failure reason or refusal detail the client does not show.",
)
@click.option(
    "--replay",
    "replay_dir",
    type=click.Path(exists=True, path_type=Path),
    help="Also run the client against these HAR recordings (scenario 'replay'; with "
    "--scenario, name replay among them).",
)
@click.option(
    "--jobs",
    default=1,
    show_default=True,
    type=click.IntRange(1, 16),
    help="Scenarios run at once, each with its own mock and client process (the table keeps "
    "their order); the client must not share state between runs, a file say.",
)
@click.option("--report", type=click.Path(dir_okay=False, path_type=Path), help="Write JSON here.")
@click.option(
    "--junit", type=click.Path(dir_okay=False, path_type=Path), help="Write JUnit XML here."
)
@click.argument("command", nargs=-1, type=click.UNPROCESSED)
def verify_client(
    chosen: list[str],
    list_scenarios: bool,
    seed: int,
    variant_count: int,
    timeout: float,
    max_polls_per_second: float,
    stall_seconds: float,
    strict: bool,
    replay_dir: Path | None,
    jobs: int,
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

    if list_scenarios:
        click.echo(listing(seed, variant_count))
        return
    if not command:
        raise click.UsageError(
            "COMMAND: expected the client's command line after the options, e.g. "
            "creatify-mock verify-client -- python my_client.py"
        )
    try:
        scenarios, run_replay = select(chosen, seed, variant_count, replay_dir is not None)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--scenario") from None
    options = Options(
        seed=seed,
        timeout=timeout,
        max_polls_per_second=max_polls_per_second,
        variants=variant_count,
        stall_seconds=stall_seconds,
        strict=strict,
        replay=replay_dir,
    )
    harness = ClientHarness(list(command), options=options)
    total = len(scenarios) + run_replay
    results = _run(harness, scenarios, total, jobs)
    if run_replay and replay_dir is not None:
        click.echo(f"[{total}/{total}] replay: answers recorded in {replay_dir} ...", err=True)
        results.append(harness.run_replay(replay_dir))
    click.echo(summary(results, list(command)))
    if report:
        write_json(report, list(command), seed, results)
    if junit:
        write_junit(junit, list(command), results)
    sys.exit(0 if results and all(r.passed for r in results) else 1)


def _run(
    harness: ClientHarness, scenarios: list[Scenario], total: int, jobs: int
) -> list[ScenarioResult]:
    """Each scenario, `jobs` at a time, its progress on stderr as it goes; in order."""

    def one(numbered: tuple[int, Scenario]) -> ScenarioResult:
        n, scenario = numbered
        click.echo(f"[{n}/{total}] {scenario.name}: {scenario.description} ...", err=True)
        result = harness.run(scenario)
        errors = len(result.errors)
        verdict = "passed" if result.passed else f"FAILED ({errors} finding{'s' * (errors != 1)})"
        click.echo(f"[{n}/{total}] {scenario.name}: {verdict} in {result.seconds:.1f} s", err=True)
        return result

    numbered = list(enumerate(scenarios, 1))
    if jobs == 1:
        return [one(item) for item in numbered]
    pool = ThreadPoolExecutor(jobs, thread_name_prefix="verify-client")
    try:
        return list(pool.map(one, numbered))
    except BaseException:  # Ctrl-C: the runs under way end their clients, then stop
        harness.stop.set()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
