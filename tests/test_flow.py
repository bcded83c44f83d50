"""The whole documented flow on a manual clock: create, poll, video, regenerate, list."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from conftest import PRODUCT, Api, image_ready, new_record, video_ready

from mock_server import ManualClock

PHOTO = re.compile(r"^https://cdn\.creatify\.ai/user/\d{6}/\d{4}-\d{2}-\d{2}/[0-9a-f]{32}\.jpg$")
KEYS = {
    "id",
    "type",
    "product_url",
    "aspect_ratio",
    "override_avatar",
    "motion_style",
    "product_showcase_url",
    "image_prompt",
    "video_prompt",
    "status",
    "generated_video_url",
    "generated_photo_url",
    "created_at",
    "updated_at",
    "webhook_url",
    "failed_reason",
    "regen_type",
    "regen_source_id",
}


def test_gen_image_creates_an_initializing_record_with_every_key(api: Api) -> None:
    response = api.gen_image(image_prompt="on white", aspect_ratio="9x16")
    assert response.status_code == 200
    record = response.get_json()
    assert set(record) == KEYS
    assert uuid.UUID(record["id"])
    assert record["status"] == "initializing"
    assert record["product_url"] == PRODUCT
    assert record["type"] == "product_anyshot"  # the documented default
    assert record["aspect_ratio"] == "9x16"
    assert record["image_prompt"] == "on white"
    assert record["generated_photo_url"] is None
    assert record["generated_video_url"] is None
    assert record["regen_source_id"] is None
    assert record["created_at"] == record["updated_at"]


def test_defaults_come_from_the_spec(api: Api) -> None:
    record = api.gen_image().get_json()
    assert record["aspect_ratio"] == "16x9"
    assert record["type"] == "product_anyshot"


def test_timestamps_have_microseconds_and_the_pacific_offset(api: Api) -> None:
    created = api.gen_image().get_json()["created_at"]
    assert created == "2025-05-30T04:11:05.449603-07:00"
    assert datetime.fromisoformat(created).utcoffset() is not None


def test_image_phases_follow_the_clock(api: Api, clock: ManualClock) -> None:
    record_id = new_record(api)
    clock.advance(0.49)
    assert api.status(record_id) == "initializing"
    clock.advance(0.01)
    moving = api.get(record_id).get_json()
    assert moving["status"] == "image_generating"
    assert moving["product_url"].startswith("https://cdn.creatify.ai/images/")
    assert moving["updated_at"] > moving["created_at"]
    clock.advance(1.5)
    done = api.get(record_id).get_json()
    assert done["status"] == "image_generated"
    assert PHOTO.match(done["generated_photo_url"])
    assert api.get(record_id).get_json()["generated_photo_url"] == done["generated_photo_url"]


def test_gen_video_moves_the_same_record_to_video_generated(api: Api, clock: ManualClock) -> None:
    record_id = image_ready(api, clock)
    response = api.follow_up("gen_video", record_id, {"motion_style": "talking"})
    assert response.status_code == 200
    started = response.get_json()
    assert started["id"] == record_id
    assert started["status"] == "video_generating"
    assert started["motion_style"] == "talking"
    clock.advance(2.99)
    assert api.status(record_id) == "video_generating"
    clock.advance(0.01)
    done = api.get(record_id).get_json()
    assert done["status"] == "video_generated"
    assert re.match(
        rf"^https://cdn\.creatify\.ai/product_to_videos/\d{{6}}/{record_id}/\d{{8}}/[0-9a-f]{{32}}\.mp4$",
        done["generated_video_url"],
    )
    assert done["failed_reason"] is None


def test_regen_image_makes_a_new_record_and_leaves_the_source(api: Api, clock: ManualClock) -> None:
    avatar = str(uuid.uuid4())
    source_id = image_ready(
        api, clock, type="product_avatar", override_avatar=avatar, aspect_ratio="1x1"
    )
    source_before = api.get(source_id).get_json()
    response = api.follow_up("regen_image", source_id, {"image_prompt": "on a beach"})
    assert response.status_code == 200
    regen = response.get_json()
    assert regen["id"] != source_id
    assert regen["regen_source_id"] == source_id
    assert regen["regen_type"] == "regen_image"
    assert regen["status"] == "initializing"
    assert (regen["type"], regen["override_avatar"], regen["aspect_ratio"]) == (
        "product_avatar",
        avatar,
        "1x1",
    )
    assert regen["product_url"] == source_before["product_url"]
    assert regen["image_prompt"] == "on a beach"
    assert api.get(source_id).get_json() == source_before
    clock.advance(10)
    assert api.status(regen["id"]) == "image_generated"


def test_regen_image_is_allowed_after_the_video_too(api: Api, clock: ManualClock) -> None:
    source_id = video_ready(api, clock)
    assert api.follow_up("regen_image", source_id).status_code == 200


def test_regen_video_makes_a_new_record_from_the_same_preview(api: Api, clock: ManualClock) -> None:
    source_id = video_ready(api, clock)
    source = api.get(source_id).get_json()
    response = api.follow_up("regen_video", source_id, {"video_prompt": "slow pan"})
    assert response.status_code == 200
    regen = response.get_json()
    assert regen["id"] != source_id
    assert (regen["regen_type"], regen["regen_source_id"]) == ("regen_video", source_id)
    assert regen["status"] == "video_generating"
    assert regen["generated_photo_url"] == source["generated_photo_url"]
    assert regen["video_prompt"] == "slow pan"
    clock.advance(3)
    done = api.get(regen["id"]).get_json()
    assert done["status"] == "video_generated"
    assert done["generated_video_url"] != source["generated_video_url"]


def test_list_is_newest_first_and_filters_by_ids(api: Api) -> None:
    first, second, third = (new_record(api) for _ in range(3))
    everything = api.list_records().get_json()
    assert [r["id"] for r in everything] == [third, second, first]
    unknown = str(uuid.uuid4())
    some = api.list_records([first, unknown, third, first]).get_json()
    assert [r["id"] for r in some] == [third, first]


def test_a_hundred_ids_are_accepted(api: Api) -> None:
    record_id = new_record(api)
    ids = [record_id] + [str(uuid.uuid4()) for _ in range(99)]
    response = api.list_records(ids)
    assert response.status_code == 200
    assert [r["id"] for r in response.get_json()] == [record_id]


def test_every_exchange_of_the_flow_is_valid_both_ways(api: Api, clock: ManualClock) -> None:
    source_id = video_ready(api, clock)
    api.follow_up("regen_image", source_id)
    api.follow_up("regen_video", source_id)
    api.list_records([source_id])
    entries = api.journal()
    assert [e["operation"].removeprefix("product_to_videos_") for e in entries] == [
        "gen_image",
        "retrieve",
        "gen_video",
        "retrieve",
        "regen_image",
        "regen_video",
        "list",
    ]
    assert all(e["verdict"] == "valid" for e in entries), entries
    assert all(e["response_violations"] == [] for e in entries)
