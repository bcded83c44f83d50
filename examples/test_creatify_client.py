"""Testing the example client against the contract, the way a client's own suite would."""

from __future__ import annotations

import pytest
from creatify_client import CreatifyClient, GenerationFailed, Record
from hypothesis import given, settings

from contract_tests import CREATIFY_URL, CreatifyMock, records

PRODUCT = "https://example.com/products/shoe.jpg"


def client_for(mock: CreatifyMock) -> CreatifyClient:
    # The mock's clock stands still; the client's sleep moves it, so nothing really waits.
    return CreatifyClient(mock.base_url, mock.api_id, mock.api_key, sleep=mock.advance)


@pytest.mark.slow
def test_the_whole_flow_over_a_socket(creatify_mock: CreatifyMock) -> None:
    with client_for(creatify_mock) as client:
        url = client.make_video(PRODUCT, aspect_ratio="9x16")
    assert url.startswith("https://cdn.creatify.ai/product_to_videos/")
    assert url.endswith(".mp4")


def test_the_whole_flow_in_process(creatify_respx: CreatifyMock) -> None:
    # The client is built for https://api.creatify.ai and cannot be pointed elsewhere.
    mock = creatify_respx
    with CreatifyClient(CREATIFY_URL, mock.api_id, mock.api_key, sleep=mock.advance) as client:
        assert client.make_video(PRODUCT).endswith(".mp4")
    assert creatify_respx.router.calls.call_count >= 4


@pytest.mark.slow
def test_a_failed_image_stops_the_polling(creatify_mock: CreatifyMock) -> None:
    creatify_mock.fail_next("image")
    with client_for(creatify_mock) as client, pytest.raises(GenerationFailed, match="Image"):
        client.make_video(PRODUCT)
    polls = [e for e in creatify_mock.journal() if e["method"] == "GET"]
    assert polls[-1]["status"] == 200  # the last poll was the one that saw `failed`


@pytest.mark.slow
def test_a_failed_video_is_reported(creatify_mock: CreatifyMock) -> None:
    creatify_mock.fail_next("video")
    with client_for(creatify_mock) as client, pytest.raises(GenerationFailed, match="Video"):
        client.make_video(PRODUCT)


@pytest.mark.slow
@pytest.mark.creatify_mock(
    variants={"empty_values": "empty-string", "post_status": 201, "timestamps": "utc"}
)
def test_the_other_variants(creatify_mock: CreatifyMock) -> None:
    with client_for(creatify_mock) as client:
        assert client.make_video(PRODUCT).endswith(".mp4")


@settings(max_examples=50)
@given(records())
def test_any_record_the_contract_allows_parses(data: dict[str, object]) -> None:
    record = Record.parse(data)
    assert record.status == data["status"]
    if record.status == "video_generated":
        assert record.video_url
    else:
        assert record.video_url is None
