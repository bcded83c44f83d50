"""Failures on demand: a Prefer header, a magic value, the admin queue, a seeded rate."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import Api, image_ready, new_record
from flask import Flask

from mock_server import ManualClock, MockConfig


def test_prefer_fails_the_image_phase_with_a_reason(api: Api, clock: ManualClock) -> None:
    response = api.gen_image(headers={"Prefer": 'outcome=image-failed, failed-reason="no product"'})
    record_id = response.get_json()["id"]
    clock.advance(1)
    assert api.status(record_id) == "image_generating"
    clock.advance(1)
    record = api.get(record_id).get_json()
    assert record["status"] == "failed"
    assert record["failed_reason"] == "no product"
    assert record["generated_photo_url"] is None


def test_prefer_on_gen_video_fails_the_video_phase(api: Api, clock: ManualClock) -> None:
    record_id = image_ready(api, clock)
    api.follow_up("gen_video", record_id, headers={"Prefer": "outcome=video-failed"})
    clock.advance(10)
    record = api.get(record_id).get_json()
    assert record["status"] == "failed"
    assert record["failed_reason"].startswith("Video generation failed")
    assert record["generated_video_url"] is None
    assert record["generated_photo_url"] is not None


def test_prefer_video_failed_at_creation_carries_to_the_video(api: Api, clock: ManualClock) -> None:
    response = api.gen_image(headers={"Prefer": "outcome=video-failed"})
    record_id = response.get_json()["id"]
    clock.advance(10)
    assert api.status(record_id) == "image_generated"
    api.follow_up("gen_video", record_id)
    clock.advance(10)
    assert api.status(record_id) == "failed"


def test_an_unknown_prefer_outcome_is_refused_by_name(api: Api) -> None:
    response = api.gen_image(headers={"Prefer": "outcome=explode"})
    assert response.status_code == 400
    assert "'explode'" in response.get_json()["detail"]
    assert api.list_records().get_json() == []


@pytest.mark.parametrize(
    ("where", "failing_status"),
    [
        ({"product_url": "https://example.com/mock-fail-image.png"}, "image"),
        ({"image_prompt": "please mock-fail-image"}, "image"),
        ({"product_url": "https://example.com/mock-fail-video.png"}, "video"),
    ],
)
def test_magic_values_fail_their_phase(
    api: Api, clock: ManualClock, where: dict[str, str], failing_status: str
) -> None:
    record_id = new_record(api, **where)
    clock.advance(10)
    if failing_status == "image":
        assert api.status(record_id) == "failed"
        return
    assert api.status(record_id) == "image_generated"
    api.follow_up("gen_video", record_id)
    clock.advance(10)
    assert api.status(record_id) == "failed"


def test_a_magic_video_prompt_fails_the_video(api: Api, clock: ManualClock) -> None:
    record_id = image_ready(api, clock)
    api.follow_up("gen_video", record_id, {"video_prompt": "mock-fail-video"})
    clock.advance(10)
    assert api.status(record_id) == "failed"


def test_prefer_success_beats_a_magic_value(api: Api, clock: ManualClock) -> None:
    response = api.gen_image(
        product_url="https://example.com/mock-fail-image.png", headers={"Prefer": "outcome=success"}
    )
    clock.advance(10)
    assert api.status(response.get_json()["id"]) == "image_generated"


def test_the_admin_queue_fails_the_next_jobs_only(api: Api, clock: ManualClock) -> None:
    queued = api.client.post("/__mock__/outcomes", json={"outcome": "image-failed", "count": 2})
    assert queued.get_json()["queued"]["image"] == ["image-failed", "image-failed"]
    ids = [new_record(api) for _ in range(3)]
    clock.advance(10)
    assert [api.status(i) for i in ids] == ["failed", "failed", "image_generated"]


def test_the_admin_queue_fails_the_next_video(api: Api, clock: ManualClock) -> None:
    record_id = image_ready(api, clock)
    api.client.post("/__mock__/outcomes", json={"outcome": "video-failed"})
    api.follow_up("gen_video", record_id)
    clock.advance(10)
    assert api.status(record_id) == "failed"


def test_a_bad_queue_request_is_refused(api: Api) -> None:
    response = api.client.post("/__mock__/outcomes", json={"outcome": "image-failed", "count": 0})
    assert response.status_code == 400
    assert "count" in response.get_json()["detail"]


def _statuses_with_seed(make_app: Callable[..., Flask], clock: ManualClock, seed: int) -> list[str]:
    api = Api(make_app(MockConfig(failure_rate=0.5, seed=seed)).test_client())
    ids = [new_record(api) for _ in range(20)]
    clock.advance(10)
    return [api.status(i) for i in ids]


def test_a_seeded_failure_rate_repeats(make_app: Callable[..., Flask], clock: ManualClock) -> None:
    first = _statuses_with_seed(make_app, clock, seed=7)
    assert _statuses_with_seed(make_app, clock, seed=7) == first
    assert set(first) == {"failed", "image_generated"}
    assert _statuses_with_seed(make_app, clock, seed=8) != first


def test_admin_finish_ends_the_running_phase_now(api: Api, clock: ManualClock) -> None:
    ok_id, bad_id = new_record(api), new_record(api)
    finished = api.client.post(f"/__mock__/records/{ok_id}/finish", json={"outcome": "success"})
    assert finished.get_json()["record"]["status"] == "image_generated"
    failed = api.client.post(
        f"/__mock__/records/{bad_id}/finish", json={"outcome": "failed", "failed_reason": "forced"}
    )
    view = failed.get_json()
    assert view["record"]["status"] == "failed"
    assert view["failure"] == {"reason": "forced", "source": "admin"}
    assert api.get(bad_id).get_json()["failed_reason"] == "forced"
    clock.advance(10)
    assert (api.status(ok_id), api.status(bad_id)) == ("image_generated", "failed")


def test_admin_inspect_shows_the_plan(api: Api) -> None:
    record_id = new_record(api, headers={"Prefer": "outcome=image-failed"})
    view = api.client.get(f"/__mock__/records/{record_id}").get_json()
    assert [s["status"] for s in view["plan"]] == ["image_generating", "failed"]
    assert view["failure"]["source"] == "Prefer header"
    assert view["account"] == "account-a"
