"""The pytest plugin from the outside, through pytester, as a client's suite would use it."""

from __future__ import annotations

import re
from pathlib import Path

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


@pytest.fixture(autouse=True, scope="module")
def _openapi_loaded_outside() -> None:
    # pytester's in-process runs unload the modules first imported inside them, and
    # jsonschema_path's YAML loader breaks when imported a second time: load openapi-core's
    # view of the spec here, so that this file also runs alone.
    from mock_server import Contract

    assert Contract.load().openapi is not None


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
            ["header X-API-KEY [security]", "missing", "curl -X POST"],
        ),
        (
            'create(client, aspect_ratio="9:16")',
            ["body aspect_ratio [enum]", 'got "9:16"'],
        ),
        (
            'client.post("/api/product_to_videos/gen_image", json={"product_url": "https://a.io/b.png"})',
            ["path [path]", "did you mean /api/product_to_videos/gen_image/?"],
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
    result.stdout.fnmatch_lines(["*the client sent 1 request that breaks the contract*"])
    out = result.stdout.str()
    for text in expected:
        assert text in out, text
    # The failure is the mock's text alone: no frame of the plugin or of CreatifyMock.
    assert "contract_tests/plugin.py" not in out
    assert "contract_tests/mock.py" not in out
    if fixture == "creatify_respx":  # not the real API with made-up keys
        assert "reproduce with `creatify-mock serve` running" in out
        assert "curl -X POST http://127.0.0.1:8000/" in out or "curl -X GET" in out
        assert "curl -X POST https://api.creatify.ai" not in out


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


def test_the_test_s_own_failure_is_kept_and_the_violations_shown_beside_it(
    pytester: pytest.Pytester,
) -> None:
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
    out = result.stdout.str()
    assert "the client's own bug" in out
    assert "requests that break the contract" not in out  # no ContractFailure on top of it
    assert out.index("the client's own bug") < out.index("creatify-mock: what the mock saw")
    assert 'body aspect_ratio [enum]: expected one of "9x16", "16x9", "1x1"; got "9:16".' in out


RAISING_CLIENT = """
import httpx

class CreatifyClient:
    # As most clients are written: every answer goes through raise_for_status().
    def __init__(self, base_url, api_id, api_key, transport=None):
        self.http = httpx.Client(base_url=base_url, headers={"X-API-ID": api_id, "X-API-KEY": api_key})

    def create(self, product_url, aspect_ratio="9x16", path="/api/product_to_videos/gen_image/"):
        answer = self.http.post(path, json={"product_url": product_url, "aspect_ratio": aspect_ratio})
        answer.raise_for_status()
        return answer.json()
"""


@pytest.mark.parametrize("fixture", ["creatify_mock", "creatify_respx"])
def test_a_client_that_raises_still_gets_the_diagnosis(
    pytester: pytest.Pytester, fixture: str
) -> None:
    pytester.makepyfile(raising_client=RAISING_CLIENT)
    result = run(
        pytester,
        f"""
from raising_client import CreatifyClient

def test_bad_enum({fixture}):
    client = CreatifyClient({fixture}.base_url, {fixture}.api_id, {fixture}.api_key)
    client.create("https://example.com/shoe.jpg", aspect_ratio="9:16")

def test_missing_slash({fixture}):
    client = CreatifyClient({fixture}.base_url, {fixture}.api_id, {fixture}.api_key)
    client.create("https://example.com/shoe.jpg", path="/api/product_to_videos/gen_image")
""",
    )
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    # The test's own error stays, and the report says what was wrong with the request.
    assert "HTTPStatusError: Client error '400 Bad Request'" in out
    assert "HTTPStatusError: Client error '404 Not Found'" in out
    assert out.count("creatify-mock: what the mock saw") == 2
    assert (
        "POST /api/product_to_videos/gen_image/ (product_to_videos_gen_image) broke the "
        "contract; the mock answered 400:" in out
    )
    line = 'body aspect_ratio [enum]: expected one of "9x16", "16x9", "1x1"; got "9:16".'
    assert line in out
    assert out.count('got "9:16"') == 1  # said once, not twice
    assert "did you mean /api/product_to_videos/gen_image/?" in out
    assert out.count("curl -X POST") == 2


def test_a_passing_test_gets_no_section(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
import pytest
from client import make_client, create

@pytest.mark.creatify_mock(expect_violations=True)
def test_refusal_is_the_point(creatify_mock):
    with make_client(creatify_mock) as client:
        assert create(client, aspect_ratio="9:16").status_code == 400
""",
    )
    result.assert_outcomes(passed=1)
    assert "what the mock saw" not in result.stdout.str()


def test_wrong_credentials_say_which_pair_the_mock_expects(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(raising_client=RAISING_CLIENT)
    result = run(
        pytester,
        """
import pytest
from raising_client import CreatifyClient

def test_made_up_pair(creatify_mock):
    CreatifyClient(creatify_mock.base_url, "my-id", "my-key").create("https://a.io/b.png")

def test_swapped_pair_swallowed(creatify_mock):
    client = CreatifyClient(creatify_mock.base_url, creatify_mock.api_key, creatify_mock.api_id)
    try:
        client.create("https://a.io/b.png")
    except Exception:
        pass  # a client that swallows the 401: the swap is still caught

@pytest.mark.creatify_mock(any_credentials=True)
def test_any_pair_when_asked(creatify_mock):
    assert CreatifyClient(creatify_mock.base_url, "my-id", "my-key").create("https://a.io/b.png")["id"]

def test_the_next_test_is_strict_again(creatify_mock):
    with pytest.raises(Exception, match="401"):
        CreatifyClient(creatify_mock.base_url, "my-id", "my-key").create("https://a.io/b.png")
""",
    )
    result.assert_outcomes(passed=2, failed=2)
    out = result.stdout.str()
    assert "HTTPStatusError: Client error '401 Unauthorized'" in out
    assert (
        "POST /api/product_to_videos/gen_image/ was refused 401: X-API-ID 'my-id' with that "
        "X-API-KEY is not this mock's pair. It accepts X-API-ID 'creatify-mock-id' with "
        "X-API-KEY 'creatify-mock-key': read them from creatify_mock.api_id and "
        "creatify_mock.api_key" in out
    )
    assert "any_credentials=True" in out
    assert "header X-API-ID [credentials]" in out
    assert "X-API-ID and X-API-KEY are swapped" in out
    # The curl line carries the pair as it was sent, so that it shows the swap when run.
    assert "-H 'X-API-ID: creatify-mock-key' -H 'X-API-KEY: creatify-mock-id'" in out


def test_respx_answers_creatify_and_lets_other_hosts_through(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

class Storage(BaseHTTPRequestHandler):  # a stand-in for S3, on loopback
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "7")
        self.end_headers()
        self.wfile.write(b"bucket!")

    def log_message(self, *args):
        pass

@pytest.fixture
def storage():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Storage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()

def test_both_hosts(creatify_respx, storage):
    with httpx.Client(headers=creatify_respx.headers) as client:
        assert client.get("https://api.creatify.ai/api/product_to_videos/").json() == []
        assert client.get(storage + "/shoe.jpg").text == "bucket!"

@pytest.mark.creatify_mock(other_hosts="refuse")
def test_strict(creatify_respx, storage):
    with httpx.Client(headers=creatify_respx.headers) as client:
        assert client.get("https://api.creatify.ai/api/product_to_videos/").json() == []
        client.get(storage + "/shoe.jpg")
""",
    )
    result.assert_outcomes(passed=1, failed=1)
    out = result.stdout.str()
    assert "/shoe.jpg was refused: this mock answers only https://api.creatify.ai" in out
    assert "other_hosts='refuse'" in out


def test_without_respx_the_fixture_names_the_extra(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
import sys
sys.modules["respx"] = None  # as if the [testing] extra were not installed
"""
    )
    result = run(
        pytester,
        """
def test_it(creatify_respx):
    pass

def test_cassette(creatify_cassette):
    pass
""",
    )
    result.assert_outcomes(errors=2)
    assert result.stdout.str().count("pip install 'creatify-mock[testing]'") >= 2


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


README = Path(__file__).resolve().parent.parent / "README.md"
README_CLIENT = """
import httpx


def make_video(base_url, api_id, api_key):
    headers = {"X-API-ID": api_id, "X-API-KEY": api_key}
    with httpx.Client(base_url=base_url, headers=headers) as http:
        answer = http.post(
            "/api/product_to_videos/gen_image/",
            json={"product_url": "https://example.com/shoe.jpg", "aspect_ratio": "9:16"},
        )
        answer.raise_for_status()
        return answer.json()["id"]


def test_make_video(creatify_mock):
    make_video(creatify_mock.base_url, creatify_mock.api_id, creatify_mock.api_key)
"""


def test_the_readme_shows_the_failure_as_the_plugin_prints_it(pytester: pytest.Pytester) -> None:
    text = README.read_text(encoding="utf-8").split("as `pytest` prints it:", 1)[1]
    match = re.search(r"```text\n(.*?)```", text, re.S)
    assert match
    shown = match.group(1).splitlines()
    pytester.makepyfile(test_video=README_CLIENT)
    result = pytester.runpytest("-p", "no:cacheprovider", "--tb=short")
    result.assert_outcomes(failed=1)
    port = re.search(r"http://127\.0\.0\.1:(\d+)/", result.stdout.str())
    assert port
    printed = result.stdout.str().replace(port.group(1), "44635").splitlines()
    start = shown.index(next(line for line in shown if "what the mock saw" in line))
    at = printed.index(shown[start])
    assert printed[at : at + len(shown) - start] == shown[start:]
    assert [line for line in printed if line.startswith("E   ")] == [
        line for line in shown if line.startswith("E   ")
    ]
