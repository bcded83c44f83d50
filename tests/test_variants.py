"""Where the docs leave a choice open, each form is served and each validates."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from conftest import Api, image_ready
from flask import Flask
from live import LiveMock

from mock_server import ManualClock, MockConfig, Variants

EMPTY_ABLE = (
    "generated_video_url",
    "failed_reason",
    "regen_type",
    "regen_source_id",
    "override_avatar",
    "webhook_url",
    "motion_style",
)


def _api(make_app: Callable[..., Flask], **variants: object) -> Api:
    return Api(make_app(MockConfig(variants=Variants(**variants))).test_client())  # type: ignore[arg-type]


def test_empty_values_as_empty_strings(make_app: Callable[..., Flask], clock: ManualClock) -> None:
    api = _api(make_app, empty_values="empty-string")
    record = api.get(image_ready(api, clock)).get_json()
    for name in EMPTY_ABLE:
        assert record[name] == "", name
    assert all(e["response_violations"] == [] for e in api.journal())


def test_posts_can_answer_201(make_app: Callable[..., Flask], clock: ManualClock) -> None:
    api = _api(make_app, post_status=201)
    created = api.gen_image()
    assert created.status_code == 201
    clock.advance(10)
    assert api.follow_up("gen_video", created.get_json()["id"]).status_code == 201
    assert all(e["response_violations"] == [] for e in api.journal())


def test_utc_timestamps(make_app: Callable[..., Flask]) -> None:
    api = _api(make_app, timestamps="utc")
    record = api.gen_image().get_json()
    assert record["created_at"] == "2025-05-30T11:11:05Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", record["updated_at"])


def test_variants_switch_at_run_time_through_the_admin_api(api: Api) -> None:
    changed = api.client.patch("/__mock__/variants", json={"post_status": 201})
    assert changed.get_json()["post_status"] == 201
    assert api.gen_image().status_code == 201
    api.client.post("/__mock__/reset")
    assert api.gen_image().status_code == 200


def test_a_bad_variant_is_refused_with_the_valid_values(api: Api) -> None:
    response = api.client.patch("/__mock__/variants", json={"empty_values": "none"})
    assert response.status_code == 400
    assert "'null', 'empty-string'" in response.get_json()["detail"]
    unknown = api.client.patch("/__mock__/variants", json={"colour": "red"})
    assert "unknown variant colour" in unknown.get_json()["detail"]


def test_extra_keys_are_added_and_still_valid(make_app: Callable[..., Flask]) -> None:
    api = _api(make_app, extra_keys=True)
    record = api.gen_image().get_json()
    assert {"credits_used", "progress", "is_hidden"} <= set(record)
    assert all(e["response_violations"] == [] for e in api.journal())


@pytest.mark.slow
def test_serve_takes_the_state_gates() -> None:
    with LiveMock("--quiet", "--state-gates", "lenient") as mock, mock.client() as client:
        assert client.get("/__mock__/variants").json()["state_gates"] == "lenient"


@pytest.mark.slow
def test_the_marker_takes_the_state_gates(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
import pytest

@pytest.mark.creatify_mock(variants={"state_gates": "lenient"})
def test_lenient(creatify_mock):
    assert creatify_mock.controls.variants()["state_gates"] == "lenient"

def test_strict_by_default(creatify_mock):
    assert creatify_mock.controls.variants()["state_gates"] == "strict"
"""
    )
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=2)
