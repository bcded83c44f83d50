"""A user's mistake on the command line is one line naming the thing and the fix, never a
traceback: bad HAR files and folders for `fixtures check`, bad specs for `serve --spec`,
the bare command; every option has help, and every environment variable read is shown."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import click
import httpx
import pytest
from live import COMMAND

from contract_tests.cli import main
from mock_server import MockConfig, MockServer, SystemClock, close_app, create_app
from mock_server.recordings.recorder import create_recorder

ROOT = Path(__file__).resolve().parent.parent
BASE = "/api/product_to_videos/"
pytestmark = pytest.mark.slow  # each test runs the command


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(COMMAND), *args], capture_output=True, text=True, timeout=60)


BAD_FILES = [
    ("truncated.har", '{"log": {"entries": [', "not JSON"),
    (
        "records.har",
        '{"records": []}',
        "expected a HAR file with log.entries; got keys ['records']",
    ),
    ("list.har", "[1, 2]", "expected a HAR file with log.entries; got list"),
    ("latin1.har", '{"log": "caf\xe9"}', "not UTF-8 text"),
    (
        "entry.har",
        '{"log": {"entries": [{"request": {"method": "GET"}}]}}',
        "#1: expected a HAR entry with request.method, request.url and response.status",
    ),
]


@pytest.mark.parametrize(("name", "content", "said"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_fixtures_check_names_a_bad_file_in_one_line(
    tmp_path: Path, name: str, content: str, said: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content.encode("latin-1"))
    for target in (path, tmp_path):  # the file itself, or the folder that holds it
        result = _run("fixtures", "check", str(target))
        assert result.returncode == 1
        assert result.stderr.startswith(f"Error: {path}"), result.stderr
        assert said in result.stderr
        assert len(result.stderr.splitlines()) == 1


def test_fixtures_check_on_nothing_to_check_exits_2(tmp_path: Path) -> None:
    result = _run("fixtures", "check", str(tmp_path))
    assert (result.returncode, result.stderr) == (2, f"Error: no HAR exchanges under {tmp_path}\n")
    empty = tmp_path / "empty.har"
    empty.write_text(json.dumps({"log": {"version": "1.2", "entries": []}}))
    result = _run("fixtures", "check", str(empty))
    assert (result.returncode, result.stderr) == (2, f"Error: no HAR exchanges under {empty}\n")


def test_fixtures_check_counts_exchanges_only() -> None:
    result = _run("fixtures", "check", str(ROOT / "fixtures"))
    assert result.returncode == 0, result.stdout
    summary = result.stdout.splitlines()[-1]
    total, rest = summary.split(" exchanges checked: ")
    counts = [int(part.strip().split()[0]) for part in rest.split(",")]
    assert sum(counts) == int(total), summary  # every exchange in exactly one of them
    assert rest.endswith("0 client errors, 0 drifting")


def _recording_with_client_errors(folder: Path) -> None:
    """Through the recording proxy, a client's mistakes that the API refused as the spec
    says: no X-API-KEY header (401), "9:16" (400), a path without its slash (404)."""
    app = create_app(MockConfig(), clock=SystemClock())
    try:
        with MockServer(app) as api, MockServer(create_recorder(api.url, folder)) as proxy:
            auth = {"X-API-ID": "rec-id", "X-API-KEY": "rec-key"}
            with httpx.Client(base_url=proxy.url, headers={"X-API-ID": "rec-id"}) as keyless:
                keyless.get(BASE)
            with httpx.Client(base_url=proxy.url, headers=auth) as client:
                client.post(
                    BASE + "gen_image/",
                    json={"product_url": "https://a.io/b.png", "aspect_ratio": "9:16"},
                )
                client.post(BASE + "gen_image", json={"product_url": "https://a.io/b.png"})
                client.get(BASE)
    finally:
        close_app(app)


def test_client_errors_are_listed_apart_and_fail_only_when_strict(tmp_path: Path) -> None:
    _recording_with_client_errors(tmp_path)
    result = _run("fixtures", "check", str(tmp_path))
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    assert lines[0].startswith("client errors (the request broke the spec and the API refused")
    assert any("request aspect_ratio [enum]" in line for line in lines[1:])
    assert any("request X-API-ID/X-API-KEY [security]" in line for line in lines[1:])
    assert any("request path [path]" in line for line in lines[1:])
    assert lines[-1] == (
        "4 exchanges checked: 1 as the spec says, 0 with drift their fixtures explain, "
        "3 client errors, 0 drifting"
    )
    strict = _run("fixtures", "check", "--strict", str(tmp_path))
    assert strict.returncode == 1


BAD_SPECS = [
    ("broken.yaml", "not: [valid", "did not find expected ',' or ']'"),
    ("list.yaml", "- a\n- b\n", "list"),
    ("empty.yaml", "{}\n", "it has no 'paths'"),
    (
        "wrong-type.yaml",
        (
            'openapi: 3.1.0\ninfo: {title: x, version: "1"}\npaths:\n  /a/:\n    get:\n'
            "      operationId: a\n      responses: {'200': {description: ok, content: "
            "{application/json: {schema: {type: nope}}}}}\n"
        ),
        "'nope' is not valid under any of the given schemas",
    ),
    (
        "no-operations.yaml",
        'openapi: 3.1.0\ninfo: {title: x, version: "1"}\npaths: {}\n',
        "no operation",
    ),
]


@pytest.mark.parametrize(("name", "content", "said"), BAD_SPECS, ids=[b[0] for b in BAD_SPECS])
def test_serve_and_fixtures_check_refuse_a_bad_spec_in_one_line(
    tmp_path: Path, name: str, content: str, said: str
) -> None:
    spec = tmp_path / name
    spec.write_text(content)
    for args in (["serve", "--port", "0"], ["fixtures", "check", str(ROOT / "fixtures")]):
        result = _run(*args, "--spec", str(spec))
        assert result.returncode == 1, result.stderr
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"Error: --spec {spec} is not a usable OpenAPI 3.1 document: ")
        assert said in line
        assert line.endswith("fix it, or leave --spec out to serve the bundled spec")


def test_the_bare_command_prints_its_help_and_exits_0() -> None:
    result = _run()
    assert result.returncode == 0
    assert result.stdout.startswith("Usage: creatify-mock")
    for command in ("serve", "record", "fixtures", "verify-client"):
        assert command in result.stdout


def _commands(group: click.Group, ctx: click.Context) -> list[tuple[str, click.Command]]:
    found: list[tuple[str, click.Command]] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        found.append((name, command))
        if isinstance(command, click.Group):
            found += [(f"{name} {sub}", c) for sub, c in _commands(command, ctx)]
    return found


def test_every_option_has_help_and_every_environment_variable_is_shown() -> None:
    ctx = click.Context(main)
    top_help = main.get_help(ctx)
    for name, command in _commands(main, ctx):
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                assert param.help, f"{name} {param.opts[0]} has no help text"
            envvar = getattr(param, "envvar", None)
            if envvar:
                assert isinstance(param, click.Option) and param.show_envvar, envvar
                assert envvar in top_help, envvar
    assert "XDG_CACHE_HOME" in top_help
    serve = " ".join(_run("serve", "--help").stdout.split())
    assert "[env var: CREATIFY_MOCK_API_ID]" in serve
