"""CreatifyMock outside pytest: a context manager and a decorator; and live == respx."""

from __future__ import annotations

import uuid
from typing import Any, Literal

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contract_tests import (
    CREATIFY_URL,
    ContractFailure,
    CreatifyMock,
    MockServerError,
    request_bodies,
)
from mock_server import Contract, Credentials, ManualClock, MockConfig, close_app, create_app

BASE = "/api/product_to_videos/"


@pytest.mark.slow
def test_a_context_manager_checks_on_the_way_out() -> None:
    with pytest.raises(ContractFailure, match=r"aspect_ratio \[enum\]"):
        with CreatifyMock() as mock, mock.client() as client:
            client.post(
                BASE + "gen_image/",
                json={"product_url": "https://a.io/b.png", "aspect_ratio": "wide"},
            )


@pytest.mark.slow
def test_a_context_manager_does_not_mask_the_block_s_error() -> None:
    with pytest.raises(KeyError) as raised:
        with CreatifyMock() as mock, mock.client() as client:
            client.get(BASE, headers={"X-API-KEY": ""})
            raise KeyError("the block's own")
    # ...but the error carries what the mock saw, as a note under its traceback.
    (note,) = raised.value.__notes__
    assert "header X-API-KEY [security]: expected a non-empty header; got empty." in note


def test_outside_pytest_the_hint_is_no_pytest_mark() -> None:
    with pytest.raises(ContractFailure) as raised:
        with CreatifyMock(transport="respx") as mock, mock.client() as client:
            client.get(BASE, params={"ids": "abc"})
    text = str(raised.value)
    assert text.startswith("creatify-mock: the client sent 1 request that breaks the contract")
    assert "pytest" not in text
    assert "CreatifyMock(expect_violations=True)" in text
    assert "query ids.0 [format]" in text


def test_a_decorator_injects_the_mock() -> None:
    seen: list[str] = []

    @CreatifyMock(transport="respx", variants={"post_status": 201})
    def flow(creatify_mock: CreatifyMock) -> None:
        with httpx.Client(base_url=CREATIFY_URL, headers=creatify_mock.headers) as client:
            response = client.post(BASE + "gen_image/", json={"product_url": "https://a.io/b.png"})
        seen.append(f"{response.status_code} {creatify_mock.base_url}")

    flow()  # type: ignore[call-arg]  # the decorator passes creatify_mock
    assert seen == [f"201 {CREATIFY_URL}"]


@pytest.mark.slow
def test_controls_drive_a_record() -> None:
    with CreatifyMock() as mock, mock.client() as client:
        first = client.post(BASE + "gen_image/", json={"product_url": "https://a.io/b.png"}).json()
        mock.fail_next("image")
        second = client.post(BASE + "gen_image/", json={"product_url": "https://a.io/c.png"}).json()
        assert mock.complete(first["id"])["status"] == "image_generated"
        mock.advance(10)
        assert mock.record(second["id"])["status"] == "failed"  # type: ignore[index]
        assert [e["status"] for e in mock.journal()] == [200, 200]


@pytest.mark.slow
def test_errors_inside_the_mock_are_raised() -> None:
    mock = CreatifyMock()

    def explode() -> str:
        raise RuntimeError("boom inside the mock")

    mock.app.add_url_rule("/__mock__/explode", view_func=explode)
    with pytest.raises(MockServerError, match="boom inside the mock"):
        with mock, mock.client() as client:
            assert client.get("/__mock__/explode").status_code == 500


# -- the same calls, live and through respx, give the same answers ---------------------

ID, KEY, START = "diff-id", "diff-key", 1_748_603_465.0
CONTRACT = Contract.load()


def _mock(transport: Literal["live", "respx"]) -> CreatifyMock:
    config = MockConfig(seed=11, credentials=(Credentials(ID, KEY),))
    app = create_app(config, clock=ManualClock(start=START), contract=CONTRACT)
    # Random plans call follow-ups in every state; those refusals are part of what is compared.
    return CreatifyMock(
        transport=transport,
        app=app,
        api_id=ID,
        api_key=KEY,
        expect_violations=True,
    )


def _local(body: dict[str, Any]) -> dict[str, Any]:
    """Generated webhook URLs point anywhere; these tests talk to loopback only."""
    return {**body, "webhook_url": None} if "webhook_url" in body else body


FOLLOW_UPS = ("gen_video", "regen_image", "regen_video")
steps = st.lists(
    st.one_of(
        st.tuples(st.just("gen_image"), request_bodies("product_to_videos_gen_image").map(_local)),
        st.tuples(st.just("get"), st.integers(0, 4)),
        st.tuples(
            st.sampled_from(FOLLOW_UPS),
            st.integers(0, 4),
            request_bodies("product_to_videos_gen_video").map(_local),
        ),
        st.tuples(st.just("advance"), st.sampled_from([0.5, 1.5, 3.0])),
        st.tuples(st.just("list")),
    ),
    min_size=1,
    max_size=12,
)


def _play(
    transport: Literal["live", "respx"], plan: list[tuple[Any, ...]]
) -> list[tuple[int, Any]]:
    answers: list[tuple[int, Any]] = []
    ids: list[str] = []
    mock = _mock(transport)
    try:
        _send(mock, plan, answers, ids)
    finally:
        close_app(mock.app)
    return answers


def _send(
    mock: CreatifyMock, plan: list[tuple[Any, ...]], answers: list[tuple[int, Any]], ids: list[str]
) -> None:
    with mock, httpx.Client(base_url=mock.base_url, headers=mock.headers) as client:
        for action, *args in plan:
            target = str(uuid.UUID(int=0))
            if ids and action not in ("gen_image", "advance", "list"):
                target = ids[args[0] % len(ids)]
            if action == "advance":
                mock.advance(args[0])
                continue
            if action == "gen_image":
                response = client.post(BASE + "gen_image/", json=args[0])
            elif action == "get":
                response = client.get(f"{BASE}{target}/")
            elif action == "list":
                response = client.get(BASE)
            else:
                response = client.post(f"{BASE}{target}/{action}/", json=args[1])
            body = response.json()
            if response.status_code == 200 and isinstance(body, dict) and "id" in body:
                ids.append(body["id"])
            answers.append((response.status_code, body))


@pytest.mark.slow
@settings(max_examples=25, deadline=None)
@given(plan=steps)
def test_live_and_respx_answer_alike(plan: list[tuple[Any, ...]]) -> None:
    assert _play("live", plan) == _play("respx", plan)
