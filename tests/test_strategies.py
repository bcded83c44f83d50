"""The strategies keep their promises: valid data validates, each invalid body fails its rule."""

from __future__ import annotations

import pytest
from conftest import BASE, Api
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import InvalidArgument

from contract_tests import InvalidBody, invalid_request_bodies, records, request_bodies
from mock_server import Contract
from mock_server.contract.validator import Validator

BODY_OPERATIONS = (
    "product_to_videos_gen_image",
    "product_to_videos_gen_video",
    "product_to_videos_regen_image",
    "product_to_videos_regen_video",
)
# No deadline: the first example pays openapi-core's import, which is no slowness of the test.
FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator(Contract.load())


@FAST
@given(records())
def test_every_record_validates_against_the_spec(validator: Validator, record: dict) -> None:
    assert validator.schema_violations("ProductToVideo", record) == []


@FAST
@given(records())
def test_records_are_consistent_with_their_status(record: dict) -> None:
    status = record["status"]
    assert bool(record["generated_video_url"]) == (status == "video_generated")
    assert bool(record["failed_reason"]) == (status == "failed")
    if status in ("image_generated", "video_generating", "video_generated"):
        assert record["generated_photo_url"]
    if status in ("initializing", "image_generating"):
        assert not record["generated_photo_url"]
    assert bool(record["regen_type"]) == bool(record["regen_source_id"])
    assert record["updated_at"] >= record["created_at"] or record["created_at"][-1] != "Z"


@pytest.mark.parametrize("empty", ["null", "empty-string"])
def test_records_cover_both_empty_forms(empty: str) -> None:
    seen: list[dict] = []

    @settings(max_examples=10, database=None)
    @given(records("initializing", empty=empty))
    def collect(record: dict) -> None:
        seen.append(record)

    collect()
    expected = None if empty == "null" else ""
    assert all(r["generated_video_url"] == expected for r in seen)


def test_records_cover_timestamp_forms_and_extra_keys() -> None:
    endings: set[str] = set()
    extra: set[str] = set()
    known = set(Contract.load().schema("ProductToVideo")["properties"])

    @settings(max_examples=120, database=None)
    @given(records())
    def collect(record: dict) -> None:
        stamp = record["created_at"]
        endings.add("Z" if stamp.endswith("Z") else "offset")
        endings.add("fraction" if "." in stamp else "whole")
        extra.update(set(record) - known)

    collect()
    assert endings == {"Z", "offset", "fraction", "whole"}
    assert extra


@pytest.mark.parametrize("operation_id", BODY_OPERATIONS)
def test_valid_bodies_validate(validator: Validator, operation_id: str) -> None:
    name = Contract.load().request_schema_name(operation_id)
    assert name is not None

    @settings(max_examples=25, database=None)
    @given(request_bodies(operation_id))
    def check(body: dict) -> None:
        assert validator.schema_violations(name, body) == []

    check()


@pytest.mark.parametrize("operation_id", BODY_OPERATIONS)
def test_each_invalid_body_breaks_its_named_rule(validator: Validator, operation_id: str) -> None:
    name = Contract.load().request_schema_name(operation_id)
    assert name is not None
    rules: set[str] = set()

    @settings(max_examples=30, database=None, derandomize=True)  # the same rules every run
    @given(invalid_request_bodies(operation_id))
    def check(case: InvalidBody) -> None:
        rules.add(case.rule)
        fields = {v.field for v in validator.schema_violations(name, case.body)}
        assert case.field in fields, (case, fields)

    check()
    assert len(rules) >= 3


@pytest.mark.parametrize(
    "rule",
    [
        "wrong enum",
        "too long",
        "missing required",
        "wrong type",
        "bad uuid",
        "not a URL",
        "unknown field",
    ],
)
def test_every_rule_is_drawn_for_gen_image(validator: Validator, rule: str) -> None:
    @settings(max_examples=8, database=None)
    @given(invalid_request_bodies("product_to_videos_gen_image", rules=(rule,)))
    def check(case: InvalidBody) -> None:
        assert case.rule == rule
        fields = {v.field for v in validator.schema_violations("GenImageRequest", case.body)}
        assert case.field in fields, (case, fields)

    check()


@FAST
@given(invalid_request_bodies("product_to_videos_gen_image"))
def test_the_mock_refuses_each_invalid_body_naming_the_field(api: Api, case: InvalidBody) -> None:
    response = api.client.post(BASE + "gen_image/", json=case.body, headers=api.headers)
    assert response.status_code == 400
    assert case.field in response.get_json()


def test_an_unknown_operation_lists_the_valid_ones() -> None:
    with pytest.raises(InvalidArgument, match="product_to_videos_gen_image"):
        request_bodies("gen_image")
    with pytest.raises(InvalidArgument, match="takes no request body"):
        invalid_request_bodies("product_to_videos_list")
    with pytest.raises(InvalidArgument, match="status='done'"):
        records("done")
