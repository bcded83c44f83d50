"""The dashboard's page and the admin API it reads: tasks of every account with their
status timeline, the journal in batches, the variants' choices. The page calls only the
admin API (and the spec), with the admin API's guard in front of it."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from conftest import BASE, Api, image_ready, new_record
from flask import Flask
from werkzeug.routing import Map, Rule

from mock_server import Contract, ManualClock, MockConfig, close_app, create_app

STATIC = Path(__file__).resolve().parent.parent / "mock_server" / "api" / "static"
SCRIPTS = ("dashboard.js", "journal.js", "dom.js")


def test_the_page_and_every_file_it_loads_are_served_with_no_framing(api: Api) -> None:
    page = api.client.get("/__mock__/ui")
    assert page.status_code == 200 and page.content_type == "text/html; charset=utf-8"
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    files = re.findall(r'(?:src|href)="/__mock__/ui/([^"]+)"', page.text)
    assert sorted(files) == ["dashboard.css", "dashboard.js"]
    for script in SCRIPTS:  # the modules the page's script imports, and theirs
        files += re.findall(r'from "\./([^"]+)"', (STATIC / script).read_text())
    assert set(files) == {"dashboard.css", *SCRIPTS}
    for name in files:
        assert api.client.get(f"/__mock__/ui/{name}").data == (STATIC / name).read_bytes()
    assert api.client.get("/__mock__/ui/missing.js").status_code == 404


def test_the_page_calls_only_the_admin_api_that_exists(app: Flask) -> None:
    """Every admin call in the script (`call("METHOD", "/path…")` for a read,
    `act(what, "METHOD", "/path…")` for a control) names a route of the admin API, so that
    each control is something a script can do too."""
    script = "".join((STATIC / name).read_text() for name in SCRIPTS)
    calls = re.findall(r'"(GET|POST|PATCH|DELETE)", [`"](/[^`"?]*)', script)
    assert len(calls) >= 15
    admin_rules = Map(
        [
            Rule(rule.rule, methods=rule.methods)
            for rule in app.url_map.iter_rules()
            if rule.rule.startswith("/__mock__/") and rule.endpoint.startswith("mock_admin.")
        ]
    ).bind("localhost")
    for method, path in calls:
        concrete = path.replace("${id}", "some-id")
        admin_rules.match("/__mock__" + concrete, method=method)  # raises when there is none
    for control in [
        ("POST", "/clock/advance"),
        ("POST", "/records/${id}/finish"),
        ("POST", "/outcomes"),
        ("DELETE", "/outcomes"),
        ("POST", "/faults"),
        ("POST", "/reset"),
        ("PATCH", "/variants"),
    ]:
        assert control in calls


def test_a_trailing_slash_is_sent_to_the_page(api: Api) -> None:
    moved = api.client.get("/__mock__/ui/")
    assert moved.status_code == 308 and moved.headers["Location"] == "/__mock__/ui"


def test_a_foreign_host_gets_no_page(api: Api) -> None:
    assert api.client.get("/__mock__/ui", headers={"Host": "evil.example"}).status_code == 403


def test_with_an_admin_token_the_files_come_without_it_and_the_data_does_not(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(MockConfig(admin_token="s3cret")).test_client()
    for name in ("/__mock__/ui", "/__mock__/ui/dashboard.js", "/__mock__/ui/dashboard.css"):
        assert client.get(name).status_code == 200
    assert client.get("/__mock__/records").status_code == 401
    token = {"X-Mock-Admin-Token": "s3cret"}
    assert client.get("/__mock__/records", headers=token).status_code == 200


def test_tasks_of_every_account_newest_first_with_their_timeline(
    api: Api, clock: ManualClock
) -> None:
    first = image_ready(api, clock)
    other = new_record(api.as_account("account-b"))
    listed = api.client.get("/__mock__/records").get_json()
    assert listed["accounts"] == [
        {"account": "account-b", "records": 1},
        {"account": "account-a", "records": 1},
    ]
    assert listed["total"] == 2
    newest, older = listed["records"]
    assert (newest["record"]["id"], newest["account"]) == (other, "account-b")
    assert [s["status"] for s in newest["history"]] == ["initializing"]
    assert [s["status"] for s in newest["plan"]] == ["image_generating", "image_generated"]
    assert older["record"]["id"] == first
    assert [s["status"] for s in older["history"]] == [
        "initializing",
        "image_generating",
        "image_generated",
    ]
    assert older["plan"] == [] and older["record"]["generated_photo_url"].startswith("https://")
    only_b = api.client.get("/__mock__/records?account=account-b").get_json()
    assert [v["record"]["id"] for v in only_b["records"]] == [other] and only_b["total"] == 1


def test_a_task_failed_from_the_admin_api_shows_its_reason_in_its_timeline(api: Api) -> None:
    record_id = new_record(api)
    api.client.post(
        f"/__mock__/records/{record_id}/finish",
        json={"outcome": "failed", "failed_reason": "The product image is too dark."},
    )
    (view,) = api.client.get("/__mock__/records").get_json()["records"]
    assert view["history"][-1]["status"] == "failed"
    assert view["record"]["failed_reason"] == "The product image is too dark."
    assert view["failure"] == {"reason": "The product image is too dark.", "source": "admin"}


def test_tasks_come_in_pages(api: Api) -> None:
    made = [new_record(api) for _ in range(5)]
    page = api.client.get("/__mock__/records?limit=2&offset=2").get_json()
    assert [v["record"]["id"] for v in page["records"]] == made[::-1][2:4]
    assert (page["total"], page["offset"]) == (5, 2)


@pytest.mark.parametrize(
    ("query", "named"),
    [("limit=0", "limit"), ("limit=x", "limit"), ("offset=-1", "offset"), ("limit=501", "limit")],
)
def test_a_bad_page_is_refused_naming_it(api: Api, query: str, named: str) -> None:
    refused = api.client.get(f"/__mock__/records?{query}")
    assert refused.status_code == 400 and refused.get_json()["detail"].startswith(f"{named}:")


def test_the_journal_comes_in_batches_and_says_what_it_still_keeps(api: Api) -> None:
    for _ in range(5):
        api.client.get(BASE, headers=api.headers)
    batch = api.client.get("/__mock__/journal?since=0&limit=2").get_json()
    assert [e["seq"] for e in batch["entries"]] == [1, 2] and batch["last"] == 2
    assert batch["first"] == 1
    rest = api.client.get(f"/__mock__/journal?since={batch['last']}&limit=10").get_json()
    assert [e["seq"] for e in rest["entries"]] == [3, 4, 5]
    assert api.client.get("/__mock__/journal?limit=0").status_code == 400
    api.client.delete("/__mock__/journal")
    assert api.client.get("/__mock__/journal?since=5").get_json()["first"] is None


def test_the_variants_choices_are_listed(api: Api) -> None:
    choices = api.client.get("/__mock__/variants/choices").get_json()
    current = api.client.get("/__mock__/variants").get_json()
    assert set(choices) == set(current)
    assert all(current[name] in values for name, values in choices.items())


def test_a_timeline_survives_a_restart_with_a_state_file(
    make_app: Callable[..., Flask], clock: ManualClock, contract: Contract, tmp_path: Path
) -> None:
    config = MockConfig(state_path=str(tmp_path / "state.db"))
    first = create_app(config, clock=clock, contract=contract)
    record_id = image_ready(Api(first.test_client()), clock)
    close_app(first)
    again = make_app(config, clock=ManualClock(start=clock.now()))
    (view,) = again.test_client().get("/__mock__/records").get_json()["records"]
    assert view["record"]["id"] == record_id
    assert [s["status"] for s in view["history"]] == [
        "initializing",
        "image_generating",
        "image_generated",
    ]


def test_the_accounts_counts_follow_new_records_and_a_reset(api: Api) -> None:
    def counts() -> list[dict[str, object]]:
        return list(api.client.get("/__mock__/records").get_json()["accounts"])

    new_record(api)
    assert counts() == [{"account": "account-a", "records": 1}]
    new_record(api)
    assert counts() == [{"account": "account-a", "records": 2}]
    api.client.post("/__mock__/reset")
    assert counts() == []


def test_webhook_deliveries_come_in_pages_newest_first(
    make_app: Callable[..., Flask], clock: ManualClock
) -> None:
    answered = httpx.MockTransport(lambda request: httpx.Response(200))
    api = Api(make_app(webhook_transport=answered).test_client())
    made = [new_record(api, webhook_url=f"https://hooks.example/{n}") for n in range(3)]
    clock.advance(10)
    every = api.client.get("/__mock__/webhooks").get_json()  # as before: all, oldest first
    sent = [d["record_id"] for d in every["deliveries"]]
    assert sorted(sent) == sorted(made) and every["total"] == 3
    page = api.client.get("/__mock__/webhooks?newest=2").get_json()
    assert [d["record_id"] for d in page["deliveries"]] == sent[::-1][:2]
    rest = api.client.get("/__mock__/webhooks?newest=2&offset=2").get_json()
    assert [d["record_id"] for d in rest["deliveries"]] == sent[:1] and rest["total"] == 3
    assert api.client.get("/__mock__/webhooks?newest=0").status_code == 400
