"""The pytest plugin from the outside, through pytester, as a client's suite would use it."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.slow

CLIENT = """
import httpx

def make_client(mock, transport_base=None):
    return httpx.Client(base_url=transport_base or mock.base_url, headers=mock.headers)

def create(client, **body):
    body.setdefault("product_url", "https://example.com/shoe.jpg")
    return client.post("/api/product_to_videos/gen_image/", json=body)
"""


def run(pytester: pytest.Pytester, source: str) -> pytest.RunResult:
    pytester.makepyfile(client=CLIENT)
    pytester.makepyfile(test_client=source)
    return pytester.runpytest("-p", "no:cacheprovider", "-p", "no:randomly")


def test_a_correct_client_passes_live_and_in_process(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
from client import make_client, create

def test_live(creatify_mock):
    with make_client(creatify_mock) as client:
        record = create(client, aspect_ratio="9x16").json()
        creatify_mock.advance(5)
        assert client.get(f"/api/product_to_videos/{record['id']}/").json()["status"] == "image_generated"
        assert client.post(f"/api/product_to_videos/{record['id']}/gen_video/", json={}).status_code == 200
        creatify_mock.advance(5)
        assert client.get(f"/api/product_to_videos/{record['id']}/").json()["status"] == "video_generated"

def test_respx(creatify_respx):
    with make_client(creatify_respx, "https://api.creatify.ai") as client:
        assert create(client).status_code == 200
        assert len(client.get("/api/product_to_videos/").json()) == 1
""",
    )
    result.assert_outcomes(passed=2)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            'client.headers.pop("X-API-KEY"); create(client)',
            ["header X-API-KEY [security]", "missing", "reproduce with: curl"],
        ),
        (
            'create(client, aspect_ratio="9:16")',
            ["body aspect_ratio [enum]", 'got "9:16"'],
        ),
        (
            'client.post("/api/product_to_videos/gen_image", json={"product_url": "https://a.io/b.png"})',
            ["path path [path]", "did you mean /api/product_to_videos/gen_image/?"],
        ),
        (
            'rid = create(client).json()["id"]; client.post(f"/api/product_to_videos/{rid}/gen_video/", json={})',
            ["status [state]", "expected image_generated; got initializing"],
        ),
    ],
    ids=["missing header", "bad enum", "no trailing slash", "gen_video too early"],
)
@pytest.mark.parametrize("fixture", ["creatify_mock", "creatify_respx"])
def test_a_broken_client_fails_naming_the_rule(
    pytester: pytest.Pytester, fixture: str, body: str, expected: list[str]
) -> None:
    base = '"https://api.creatify.ai"' if fixture == "creatify_respx" else "None"
    result = run(
        pytester,
        f"""
from client import make_client, create

def test_it({fixture}):
    with make_client({fixture}, {base}) as client:
        {body}
""",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the client sent 1 request that break the contract*"])
    for text in expected:
        assert text in result.stdout.str(), text


def test_violations_can_be_expected(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
import pytest
from client import make_client, create

@pytest.mark.creatify_mock(expect_violations=True)
def test_it(creatify_mock):
    with make_client(creatify_mock) as client:
        assert create(client, aspect_ratio="9:16").status_code == 400
    (violation,) = creatify_mock.violations()
    assert violation.rules == ["enum"]
""",
    )
    result.assert_outcomes(passed=1)


def test_the_test_s_own_failure_is_not_masked(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
from client import make_client, create

def test_it(creatify_mock):
    with make_client(creatify_mock) as client:
        create(client, aspect_ratio="9:16")
    assert 1 == 2, "the client's own bug"
""",
    )
    result.assert_outcomes(failed=1)
    assert "the client's own bug" in result.stdout.str()
    assert "break the contract" not in result.stdout.str()


def test_variants_come_from_the_marker(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
import pytest
from client import make_client, create

@pytest.mark.creatify_mock(variants={"post_status": 201, "empty_values": "empty-string"})
def test_it(creatify_mock):
    with make_client(creatify_mock) as client:
        response = create(client)
    assert response.status_code == 201
    assert response.json()["generated_video_url"] == ""

def test_next_test_gets_the_defaults_back(creatify_mock):
    with make_client(creatify_mock) as client:
        assert create(client).status_code == 200
""",
    )
    result.assert_outcomes(passed=2)


def test_a_bad_marker_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
import pytest

@pytest.mark.creatify_mock(varients={})
def test_it(creatify_mock):
    pass
""",
    )
    result.assert_outcomes(errors=1)
    assert "unknown option varients" in result.stdout.str()


@pytest.mark.parametrize(
    ("parser", "crash"),
    [
        ('return record["failed_reason"].strip()', "AttributeError"),
        (
            'return datetime.strptime(record["created_at"], "%Y-%m-%dT%H:%M:%SZ")',
            "ValueError",
        ),
    ],
    ids=["crashes on null", "crashes on an offset timestamp"],
)
def test_strategies_catch_a_fragile_parser(
    pytester: pytest.Pytester, parser: str, crash: str
) -> None:
    result = run(
        pytester,
        f"""
from datetime import datetime
from hypothesis import given, settings
from contract_tests import records

def parse(record):
    {parser}

@settings(max_examples=200, database=None)
@given(records())
def test_parse(record):
    parse(record)
""",
    )
    result.assert_outcomes(failed=1)
    assert crash in result.stdout.str()
    out = result.stdout.str()
    assert "Falsifying example" in out or "Failing test case" in out
