"""The admin API: health, reset, the clock, the journal, and its token beyond loopback."""

from __future__ import annotations

import copy
from collections.abc import Callable

import pytest
from conftest import BASE, Api, new_record
from flask import Flask

from mock_server import Contract, ManualClock, MockConfig, SystemClock


def test_health_reports_records_clock_and_spec(api: Api) -> None:
    new_record(api)
    health = api.client.get("/__mock__/health").get_json()
    assert health["status"] == "ok"
    assert health["records"] == 1
    assert health["clock"]["mode"] == "manual"
    assert health["spec"].endswith("openapi.yaml")


def test_reset_forgets_records_journal_and_queue(api: Api) -> None:
    new_record(api)
    api.client.post("/__mock__/outcomes", json={"outcome": "image-failed"})
    api.client.post("/__mock__/reset")
    assert api.client.get("/__mock__/health").get_json()["records"] == 0
    assert api.client.get("/__mock__/outcomes").get_json()["queued"]["image"] == []
    assert [e["path"] for e in api.journal()] == []


def test_the_clock_moves_only_when_told(api: Api, clock: ManualClock) -> None:
    record_id = new_record(api)
    before = api.client.get("/__mock__/clock").get_json()
    assert api.status(record_id) == "initializing"
    moved = api.client.post("/__mock__/clock/advance", json={"seconds": 2.5}).get_json()
    assert moved["epoch"] == pytest.approx(before["epoch"] + 2.5)
    assert api.status(record_id) == "image_generated"


@pytest.mark.parametrize("body", [{"seconds": -1}, {"seconds": "soon"}, {}])
def test_a_bad_advance_is_refused(api: Api, body: dict[str, object]) -> None:
    response = api.client.post("/__mock__/clock/advance", json=body)
    assert response.status_code == 400
    assert "seconds" in response.get_json()["detail"]


def test_the_system_clock_cannot_be_advanced(make_app: Callable[..., Flask]) -> None:
    client = make_app(clock=SystemClock()).test_client()
    response = client.post("/__mock__/clock/advance", json={"seconds": 1})
    assert response.status_code == 409
    assert "--manual-clock" in response.get_json()["detail"]


def test_the_journal_pages_by_sequence(api: Api) -> None:
    new_record(api)
    api.client.get(BASE, headers={"X-API-ID": "a"})
    page = api.client.get("/__mock__/journal").get_json()
    assert [e["status"] for e in page["entries"]] == [200, 401]
    assert page["entries"][1]["violations"][0]["field"] == "X-API-KEY"
    later = api.client.get(f"/__mock__/journal?since={page['entries'][0]['seq']}").get_json()
    assert [e["status"] for e in later["entries"]] == [401]
    assert api.client.get("/__mock__/journal?since=x").status_code == 400


def test_admin_needs_its_token_when_one_is_set(make_app: Callable[..., Flask]) -> None:
    client = make_app(MockConfig(admin_token="s3cret")).test_client()
    refused = client.get("/__mock__/health")
    assert refused.status_code == 401
    assert "X-Mock-Admin-Token" in refused.get_json()["detail"]
    allowed = client.get("/__mock__/health", headers={"X-Mock-Admin-Token": "s3cret"})
    assert allowed.status_code == 200


def test_unknown_admin_records_are_404(api: Api) -> None:
    response = api.client.get("/__mock__/records/nope")
    assert response.status_code == 404
    assert "'nope'" in response.get_json()["detail"]


def _contract_with_extra_required_field(contract: Contract) -> Contract:
    document = copy.deepcopy(contract.document)
    schema = document["components"]["schemas"]["ProductToVideo"]
    schema["required"].append("credits_used")
    schema["properties"]["credits_used"] = {"type": "integer"}
    return Contract(path=contract.path, document=document)


def test_own_response_violations_are_journaled(
    make_app: Callable[..., Flask], contract: Contract
) -> None:
    api = Api(make_app(contract=_contract_with_extra_required_field(contract)).test_client())
    response = api.gen_image()
    assert response.status_code == 200  # logged, not fatal, unless --strict
    (entry,) = api.journal()
    assert entry["verdict"] == "valid"
    assert "credits_used" in entry["response_violations"][0]["field"]


def test_strict_mode_turns_them_into_500_naming_the_field(
    make_app: Callable[..., Flask], contract: Contract
) -> None:
    app = make_app(MockConfig(strict=True), contract=_contract_with_extra_required_field(contract))
    response = Api(app.test_client()).gen_image()
    assert response.status_code == 500
    assert "credits_used" in response.get_json()["detail"]


def test_queued_faults_answer_before_anything_is_processed(api: Api) -> None:
    added = api.client.post(
        "/__mock__/faults",
        json={"status": 429, "operation": "product_to_videos_gen_image", "retry_after": 2},
    )
    assert added.get_json()["pending"][0]["status"] == 429
    api.client.post("/__mock__/faults", json={"status": 503})
    throttled = api.gen_image()
    assert throttled.status_code == 429
    assert throttled.headers["Retry-After"] == "2"
    assert "throttled" in throttled.get_json()["detail"]
    unavailable = api.list_records()
    assert unavailable.status_code == 503
    assert api.list_records().get_json() == []  # the throttled gen_image created nothing
    assert all(e["response_violations"] == [] for e in api.journal())


def test_a_bad_fault_is_refused(api: Api) -> None:
    assert api.client.post("/__mock__/faults", json={"status": 500}).status_code == 400
    bad = api.client.post("/__mock__/faults", json={"operation": "gen_image"})
    assert "product_to_videos_gen_image" in bad.get_json()["detail"]
