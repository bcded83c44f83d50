"""Every class of refusal: a clear 4xx naming the field, and nothing changed by it."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from conftest import BASE, Api, image_ready, new_record

from mock_server import ManualClock


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"aspect_ratio": "9:16"}, "aspect_ratio", ['"9x16", "16x9", "1x1"', '"9:16"']),
        ({"type": "anyshot"}, "type", ['"product_anyshot"', '"anyshot"']),
        ({"product_url": "https://x.io/" + "a" * 200}, "product_url", ["at most 200", "213"]),
        ({"product_url": None}, "product_url", ["string", "null"]),
        ({"product_url": "shoe.jpg"}, "product_url", ["http(s) URL", '"shoe.jpg"']),
        ({"product_url": "mailto:a@b.io"}, "product_url", ["http(s) URL"]),
        ({"override_avatar": "avatar-7"}, "override_avatar", ["UUID", '"avatar-7"']),
        ({"image_prompt": 5}, "image_prompt", ["a string or null", "integer 5"]),
        ({"webhook_url": "ftp://hooks.example"}, "webhook_url", ["http(s) URL"]),
        ({"aspectRatio": "9x16"}, "aspectRatio", ["Unknown field", "aspect_ratio"]),
    ],
)
def test_a_bad_gen_image_field_is_named_with_expected_and_actual(
    api: Api, body: dict[str, Any], field: str, words: list[str]
) -> None:
    response = api.gen_image(**body)
    assert response.status_code == 400
    errors = response.get_json()
    assert list(errors) == [field]
    message = " ".join(errors[field])
    for word in words:
        assert word in message


def test_missing_product_url_is_required(api: Api) -> None:
    response = api.client.post(BASE + "gen_image/", json={}, headers=api.headers)
    assert response.status_code == 400
    assert response.get_json() == {"product_url": ["This field is required."]}


def test_no_body_at_all_names_the_required_field(api: Api) -> None:
    response = api.client.post(BASE + "gen_image/", headers=api.headers)
    assert response.status_code == 400
    assert "product_url" in response.get_json()


def test_several_bad_fields_are_all_reported(api: Api) -> None:
    response = api.gen_image(aspect_ratio="4x3", type="x", product_url="nope")
    assert set(response.get_json()) == {"aspect_ratio", "type", "product_url"}


def test_a_body_that_is_not_an_object(api: Api) -> None:
    response = api.client.post(BASE + "gen_image/", json=["x"], headers=api.headers)
    assert response.status_code == 400
    assert response.get_json() == {
        "non_field_errors": ["Invalid data. Expected a dictionary, but got array."]
    }


def test_malformed_json_is_400_with_the_parse_error(api: Api) -> None:
    response = api.client.post(
        BASE + "gen_image/",
        data='{"product_url": ',
        content_type="application/json",
        headers=api.headers,
    )
    assert response.status_code == 400
    assert response.get_json()["detail"].startswith("JSON parse error - ")


def test_a_body_that_is_not_json_is_415(api: Api) -> None:
    response = api.client.post(
        BASE + "gen_image/",
        data="product_url=x",
        content_type="application/x-www-form-urlencoded",
        headers=api.headers,
    )
    assert response.status_code == 415
    assert "application/x-www-form-urlencoded" in response.get_json()["detail"]


def test_a_malformed_media_type_parameter_is_415_not_500(api: Api) -> None:
    # openapi-core raises ValueError on a parameter without "=".
    response = api.client.post(
        BASE + "gen_image/",
        data='{"product_url": "https://example.com/a.png"}',
        content_type="application/json; utf-8",
        headers=api.headers,
    )
    assert response.status_code == 415
    assert "'utf-8'" in response.get_json()["detail"]


def test_json_with_a_charset_is_accepted(api: Api) -> None:
    response = api.client.post(
        BASE + "gen_image/",
        data='{"product_url": "https://example.com/a.png"}',
        content_type="application/json; charset=utf-8",
        headers=api.headers,
    )
    assert response.status_code == 200


def test_a_body_over_the_limit_is_413_naming_the_limit(api: Api) -> None:
    response = api.gen_image(image_prompt="x" * 70_000)
    assert response.status_code == 413
    detail = response.get_json()["detail"]
    assert "65536" in detail
    assert api.list_records().get_json() == []


def test_a_prompt_over_its_max_length_is_400(api: Api) -> None:
    response = api.gen_image(image_prompt="x" * 2001)
    assert response.status_code == 400
    assert "at most 2000 characters" in response.get_json()["image_prompt"][0]


def test_more_than_a_hundred_ids_is_400(api: Api) -> None:
    response = api.list_records([str(uuid.uuid4()) for _ in range(101)])
    assert response.status_code == 400
    assert response.get_json() == {"ids": ["Expected at most 100 entries; got 101 entries."]}


def test_an_id_in_the_list_that_is_not_a_uuid_is_400(api: Api) -> None:
    response = api.list_records([str(uuid.uuid4()), "shoe"])
    assert response.status_code == 400
    assert '"shoe"' in response.get_json()["ids"][0]


@pytest.mark.parametrize("suffix", ["", "gen_video/", "regen_image/", "regen_video/"])
def test_a_malformed_id_is_404(api: Api, suffix: str) -> None:
    method = api.client.get if not suffix else api.client.post
    response = method(f"{BASE}not-a-uuid/{suffix}", headers=api.headers)
    assert response.status_code == 404
    assert '"not-a-uuid" is not a record id' in response.get_json()["detail"]


@pytest.mark.parametrize("suffix", ["", "gen_video/", "regen_image/", "regen_video/"])
def test_an_unknown_id_is_404(api: Api, suffix: str) -> None:
    method = api.client.get if not suffix else api.client.post
    response = method(f"{BASE}{uuid.uuid4()}/{suffix}", headers=api.headers)
    assert response.status_code == 404
    assert response.get_json() == {"detail": "Not found."}


def test_a_missing_trailing_slash_is_404_naming_the_fix(api: Api) -> None:
    response = api.client.post(BASE + "gen_image", json={}, headers=api.headers)
    assert response.status_code == 404
    assert "did you mean /api/product_to_videos/gen_image/?" in response.get_json()["detail"]


def test_an_unknown_path_names_the_closest_one(api: Api) -> None:
    response = api.client.get("/api/product_to_video/", headers=api.headers)
    assert response.status_code == 404
    assert "/api/product_to_videos/" in response.get_json()["detail"]


def test_an_undocumented_method_is_405_with_allow(api: Api) -> None:
    record_id = new_record(api)
    response = api.client.delete(f"{BASE}{record_id}/", headers=api.headers)
    assert response.status_code == 405
    assert response.get_json() == {"detail": 'Method "DELETE" not allowed.'}
    assert "GET" in response.headers["Allow"]
    assert api.status(record_id) == "initializing"


@pytest.mark.parametrize(
    ("action", "elapsed", "current"),
    [
        ("gen_video", 0.0, "initializing"),
        ("gen_video", 1.0, "image_generating"),
        ("regen_image", 1.0, "image_generating"),
        ("regen_video", 0.0, "initializing"),
    ],
)
def test_a_follow_up_in_the_wrong_state_names_both_states(
    api: Api, clock: ManualClock, action: str, elapsed: float, current: str
) -> None:
    record_id = new_record(api)
    clock.advance(elapsed)
    before = api.list_records().get_json()
    response = api.follow_up(action, record_id)
    assert response.status_code == 400
    detail = response.get_json()["detail"]
    assert f"got '{current}'" in detail
    assert "expected status" in detail
    assert api.list_records().get_json() == before


def test_gen_video_twice_is_refused(api: Api, clock: ManualClock) -> None:
    record_id = image_ready(api, clock)
    assert api.follow_up("gen_video", record_id).status_code == 200
    again = api.follow_up("gen_video", record_id)
    assert again.status_code == 400
    assert "'video_generating'" in again.get_json()["detail"]


def test_regen_video_needs_a_finished_video(api: Api, clock: ManualClock) -> None:
    record_id = image_ready(api, clock)
    response = api.follow_up("regen_video", record_id)
    assert response.status_code == 400
    assert "expected status 'video_generated'" in response.get_json()["detail"]


def test_a_failed_record_cannot_go_on(api: Api, clock: ManualClock) -> None:
    record_id = new_record(api, product_url="https://example.com/mock-fail-image.jpg")
    clock.advance(10)
    assert api.status(record_id) == "failed"
    for action in ("gen_video", "regen_image", "regen_video"):
        response = api.follow_up(action, record_id)
        assert response.status_code == 400
        assert "start again with gen_image" in response.get_json()["detail"]


def test_a_refused_follow_up_body_changes_nothing(api: Api, clock: ManualClock) -> None:
    record_id = image_ready(api, clock)
    before = api.get(record_id).get_json()
    response = api.follow_up("gen_video", record_id, {"motion_style": "dancing"})
    assert response.status_code == 400
    assert '"talking", "display"' in response.get_json()["motion_style"][0]
    assert api.get(record_id).get_json() == before


def test_refusals_are_journaled_with_their_violations(api: Api, clock: ManualClock) -> None:
    api.gen_image(aspect_ratio="9:16")
    record_id = new_record(api)
    api.follow_up("gen_video", record_id)
    entries = api.journal()
    assert entries[0]["verdict"] == "invalid"
    assert entries[0]["violations"][0]["field"] == "aspect_ratio"
    assert entries[0]["violations"][0]["actual"] == '"9:16"'
    state = entries[2]["violations"][0]
    assert (state["rule"], state["actual"], state["expected"]) == (
        "state",
        "initializing",
        "image_generated",
    )
    assert all(e["response_violations"] == [] for e in entries)


def test_get_on_an_action_path_is_405_not_a_lookup(api: Api) -> None:
    response = api.client.get(BASE + "gen_image/", headers=api.headers)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST, OPTIONS"


def test_options_lists_the_documented_methods(api: Api) -> None:
    response = api.client.options(f"{BASE}{uuid.uuid4()}/")
    assert response.status_code == 200
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


def test_head_is_served_like_get(api: Api) -> None:
    record_id = new_record(api)
    response = api.client.head(f"{BASE}{record_id}/", headers=api.headers)
    assert response.status_code == 200
    assert response.data == b""
    assert api.client.head(f"{BASE}{uuid.uuid4()}/", headers=api.headers).status_code == 404
