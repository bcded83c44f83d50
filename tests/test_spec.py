"""The contract itself: valid OpenAPI 3.1, the documented surface, every guess marked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from mock_server import Contract
from mock_server.config import Phases
from mock_server.contract.spec import default_spec_path
from mock_server.lifecycle.records import ALLOWED_SOURCES, Record, plan_image_task, plan_video_task

PACKAGE = Path(__file__).resolve().parent.parent / "mock_server"


def test_the_spec_is_valid_openapi_3_1(contract: Contract) -> None:
    assert contract.document["openapi"].startswith("3.1")
    validate(contract.document)


def test_the_six_documented_operations_with_trailing_slashes(contract: Contract) -> None:
    assert contract.operations == {
        "product_to_videos_list": ("GET", "/api/product_to_videos/"),
        "product_to_videos_retrieve": ("GET", "/api/product_to_videos/{id}/"),
        "product_to_videos_gen_image": ("POST", "/api/product_to_videos/gen_image/"),
        "product_to_videos_gen_video": ("POST", "/api/product_to_videos/{id}/gen_video/"),
        "product_to_videos_regen_image": ("POST", "/api/product_to_videos/{id}/regen_image/"),
        "product_to_videos_regen_video": ("POST", "/api/product_to_videos/{id}/regen_video/"),
    }


def test_both_api_key_headers_are_required_together(contract: Contract) -> None:
    assert contract.document["security"] == [{"X-API-ID": [], "X-API-KEY": []}]
    schemes = contract.document["components"]["securitySchemes"]
    assert {(s["in"], s["name"]) for s in schemes.values()} == {
        ("header", "X-API-ID"),
        ("header", "X-API-KEY"),
    }


def test_every_key_of_a_record_is_required(contract: Contract) -> None:
    schema = contract.schema("ProductToVideo")
    assert set(schema["required"]) == set(schema["properties"])


def test_only_product_url_is_required_on_gen_image(contract: Contract) -> None:
    assert contract.required_fields("product_to_videos_gen_image") == ["product_url"]


def test_every_error_response_says_it_is_inferred(contract: Contract) -> None:
    responses = contract.document["components"]["responses"]
    for name in ("NotAuthenticated", "RecordCreated"):
        assert "x-inferred" in responses[name], name
    for name in ("Detail", "FieldErrors"):
        assert "x-inferred" in contract.schema(name), name


def test_every_post_describes_its_webhook(contract: Contract) -> None:
    for method, template in contract.operations.values():
        operation = contract.document["paths"][template][method.lower()]
        if method == "POST":
            assert "taskFinished" in operation["callbacks"], template


def _walk(node: Any) -> list[dict[str, Any]]:
    found = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found.extend(_walk(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_walk(value))
    return found


def test_the_simulated_statuses_are_the_spec_s(contract: Contract) -> None:
    documented = set(contract.schema("ProductToVideo")["properties"]["status"]["enum"])
    used = {s for allowed in ALLOWED_SOURCES.values() for s in allowed}
    record = Record(
        id="x",
        account="a",
        type="t",
        product_url="u",
        aspect_ratio="r",
        created_at=0.0,
        updated_at=0.0,
    )
    plan_image_task(record, 0.0, Phases(), None)
    used |= {record.status, *(s.status for s in record.steps)}
    plan_video_task(record, 0.0, Phases(), ("reason", "test"))
    used |= {record.status, *(s.status for s in record.steps)}
    assert used == documented


def test_no_schema_enum_is_copied_into_python(contract: Contract) -> None:
    enums = {
        value
        for node in _walk(contract.document["components"]["schemas"])
        for value in node.get("enum", [])
        if isinstance(value, str)
        and not value.endswith(("generated", "generating", "failed"))
        and value not in ("initializing", "regen_image", "regen_video")
    }
    assert enums >= {"product_anyshot", "9x16", "talking"}
    source = "\n".join(p.read_text() for p in PACKAGE.glob("*.py"))
    for value in enums:
        assert not re.search(rf"[\"']{re.escape(value)}[\"']", source), value


def test_a_parsed_spec_is_kept_by_content_and_read_back_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    spec = tmp_path / "openapi.yaml"
    spec.write_text(default_spec_path().read_text(encoding="utf-8"), encoding="utf-8")
    parsed = yaml.safe_load(spec.read_text(encoding="utf-8"))
    assert Contract.load(spec).document == parsed
    (kept,) = (tmp_path / "cache" / "creatify-mock").iterdir()
    assert Contract.load(spec).document == parsed  # from the cache this time

    kept.write_bytes(b"{not json")  # a torn or corrupt file is parsed anew, not trusted
    assert Contract.load(spec).document == parsed

    spec.write_text(spec.read_text(encoding="utf-8").replace("Product", "Goods"), "utf-8")
    changed = Contract.load(spec).document  # new content, new key: never the old parse
    assert changed == yaml.safe_load(spec.read_text(encoding="utf-8")) != parsed
    assert len(list((tmp_path / "cache" / "creatify-mock").iterdir())) == 2


def test_a_spec_json_cannot_hold_is_parsed_each_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    spec = tmp_path / "openapi.yaml"
    spec.write_text("openapi: 3.1.0\npaths: {}\nresponses:\n  200: {description: ok}\n")
    assert Contract.load(spec).document["responses"] == {200: {"description": "ok"}}
    assert not (tmp_path / "cache" / "creatify-mock").exists()
    assert Contract.load(spec).document["responses"] == {200: {"description": "ok"}}


def test_a_spec_loads_without_a_home_to_cache_in(monkeypatch: pytest.MonkeyPatch) -> None:
    # An arbitrary-uid container: no HOME, no passwd entry, so Path.home() raises.
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)

    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(no_home))
    assert Contract.load().operations  # parsed, just not kept


def test_a_kept_parse_that_is_not_a_document_is_not_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    Contract.load()
    (kept,) = (tmp_path / "creatify-mock").iterdir()
    kept.write_bytes(b"[1, 2]")
    assert Contract.load().operations
