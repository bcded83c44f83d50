"""The contract where people look for it: `/` and `/__mock__/` list the mock's pages, the spec
is served as YAML and JSON, and /docs is Swagger UI from the installed wheel, its "try it"
aimed at the mock. None of these pages is the API: they are not journaled."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import yaml
from flask import Flask
from flask.testing import FlaskClient
from live import LiveMock

from mock_server import Contract, MockConfig
from mock_server.api.state import state_of

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec" / "openapi.yaml"


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.mark.parametrize("path", ["/", "/__mock__/"])
def test_the_index_lists_the_docs_the_spec_and_the_dashboard(
    client: FlaskClient, path: str
) -> None:
    answer = client.get(path)
    assert answer.status_code == 200 and answer.mimetype == "application/json"
    hrefs = [link["href"] for link in answer.get_json()["links"]]
    assert {"/docs/", "/openapi.yaml", "/openapi.json", "/__mock__/ui", "/__mock__/health"} <= set(
        hrefs
    )
    for href in hrefs:  # every link it gives answers
        assert client.get(href, headers={"X-API-ID": "a", "X-API-KEY": "k"}).status_code == 200


def test_a_browser_gets_the_index_as_a_page_of_links(client: FlaskClient) -> None:
    page = client.get("/", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.mimetype == "text/html"
    assert '<a href="/docs/">' in page.text and '<a href="/__mock__/ui">' in page.text
    assert page.headers["X-Frame-Options"] == "DENY"


def test_the_admin_index_keeps_the_admin_apis_guard(client: FlaskClient) -> None:
    refused = client.get("/__mock__/", headers={"Host": "evil.example"})
    assert refused.status_code == 403 and "Host" in refused.get_json()["detail"]


def test_the_spec_is_served_as_the_file_and_as_json(client: FlaskClient, app: Flask) -> None:
    as_yaml = client.get("/openapi.yaml")
    assert as_yaml.mimetype == "application/yaml" and as_yaml.data == SPEC.read_bytes()
    as_json = client.get("/openapi.json")
    assert as_json.get_json() == state_of(app).contract.document == yaml.safe_load(as_yaml.data)


def test_a_spec_changed_on_disk_is_served_as_the_mock_runs_it(
    make_app: Callable[..., Flask], tmp_path: Path
) -> None:
    copy = tmp_path / "openapi.yaml"
    shutil.copy(SPEC, copy)
    app = make_app(contract=Contract.load(copy))
    copy.write_text(copy.read_text().replace("title:", "title: edited", 1))
    served = yaml.safe_load(app.test_client().get("/openapi.yaml").data)
    assert served == state_of(app).contract.document
    copy.unlink()
    assert yaml.safe_load(app.test_client().get("/openapi.yaml").data) == served


def test_docs_are_swagger_ui_from_the_wheel_with_every_file_it_asks_for(
    client: FlaskClient,
) -> None:
    assert client.get("/docs").status_code == 308  # to /docs/
    page = client.get("/docs/")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assets = re.findall(r'(?:src|href)="(/docs/[^"]+)"', page.text)
    assert "/docs/swagger-ui-bundle.js" in assets and "/docs/swagger-ui.css" in assets
    for asset in assets:
        with client.get(asset) as served:
            assert served.status_code == 200 and len(served.data) > 100, asset
    assert "https://" not in page.text  # nothing from a CDN
    script = client.get("/docs/docs.js").text
    assert '"/docs/openapi.json"' in script and "validatorUrl: null" in script


def test_try_it_calls_the_mock_at_the_address_the_browser_used(client: FlaskClient) -> None:
    spec = client.get("/docs/openapi.json", headers={"Host": "127.0.0.1:8123"}).get_json()
    assert spec["servers"][0]["url"] == "http://127.0.0.1:8123"
    assert all("{" not in s["url"] for s in spec["servers"])
    assert spec["paths"] == client.get("/openapi.json").get_json()["paths"]


def test_the_pages_are_not_journaled_and_other_paths_still_are(
    client: FlaskClient, app: Flask
) -> None:
    for path in ("/", "/docs", "/docs/", "/openapi.yaml", "/openapi.json", "/__mock__/"):
        client.get(path)
    assert state_of(app).journal.entries() == []
    for path in ("/nothing", "/docsy", "/openapi.yml"):
        assert client.get(path).status_code == 404
    journaled = state_of(app).journal.entries()
    assert [(e.path, e.status) for e in journaled] == [
        ("/nothing", 404),
        ("/docsy", 404),
        ("/openapi.yml", 404),
    ]


def test_with_an_admin_token_the_index_needs_it_like_the_rest(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(MockConfig(admin_token="s3cret")).test_client()
    assert client.get("/__mock__/").status_code == 401
    assert client.get("/__mock__/", headers={"X-Mock-Admin-Token": "s3cret"}).status_code == 200
    assert client.get("/").status_code == 200  # the public index: links only


@pytest.mark.slow
def test_serve_prints_the_dashboard_and_docs_and_serves_them() -> None:
    with LiveMock("--quiet") as mock, httpx.Client(trust_env=False, timeout=10) as client:
        shown = {line.split()[0]: line.split()[1] for line in mock.banner[1:] if line.strip()}
        assert shown["dashboard"] == f"{mock.url}/__mock__/ui"
        assert shown["docs"] == f"{mock.url}/docs/"
        for url in (shown["dashboard"], shown["docs"], mock.url + "/"):
            page = client.get(url, headers={"Accept": "text/html"})
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert client.get(mock.url + "/openapi.yaml").content == SPEC.read_bytes()


@pytest.mark.slow
def test_a_replay_serves_every_page_it_lists() -> None:
    # A replay is the mock answering from recordings: its pages are the mock's own.
    with (
        LiveMock("--quiet", "--replay", str(ROOT / "fixtures" / "documented")) as mock,
        httpx.Client(trust_env=False, timeout=10) as client,
    ):
        shown = {line.split()[0]: line.split()[1] for line in mock.banner[1:] if line.strip()}
        assert {"admin", "dashboard", "docs"} <= set(shown)
        for name in ("admin", "dashboard", "docs"):
            page = client.get(shown[name], headers={"Accept": "text/html"})
            assert page.status_code == 200, name
