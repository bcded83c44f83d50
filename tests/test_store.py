"""The record store: SQLite behind a bounded in-memory copy that must never go stale."""

from __future__ import annotations

import json
from dataclasses import MISSING, fields
from pathlib import Path

from mock_server.lifecycle.records import Record, Step
from mock_server.lifecycle.store import Store


def _record(n: int, account: str = "acct") -> Record:
    return Record(
        id=f"00000000-0000-4000-8000-{n:012d}",
        account=account,
        type="product_anyshot",
        product_url="https://example.com/a.png",
        aspect_ratio="16x9",
        created_at=1_000.0 + n,
        updated_at=1_000.0 + n,
        steps=[Step(2_000.0 + n, "image_generating")],
    )


def test_a_change_is_what_the_next_read_sees_cached_or_not(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db", cache_size=2)
    records = [store.insert(_record(n)) for n in range(5)]  # the first three fall out
    first = store.get(records[0].id)
    assert first is not None and first.seq == records[0].seq == 1
    first.status, first.steps = "failed", []
    store.save(first)
    for record_id in (records[0].id, records[4].id, records[1].id):
        again = store.get(record_id)
        assert again is not None and again.id == record_id
    assert store.get(records[0].id).status == "failed"  # type: ignore[union-attr]
    assert [r.seq for r in store.of_account("acct")] == [5, 4, 3, 2, 1]
    store.close()

    reopened = Store(tmp_path / "state.db")
    again = reopened.get(records[0].id)
    assert again is not None and (again.status, again.seq, again.steps) == ("failed", 1, [])
    reopened.close()


def test_a_read_hands_out_a_copy_that_the_caller_may_change() -> None:
    store = Store()
    record = store.insert(_record(1))
    record.status = "changed but not saved"
    read = store.get(record.id)
    assert read is not None and read.status == "initializing"
    read.steps.append(Step(9.0, "failed"))
    assert store.get(record.id).steps == [Step(2_001.0, "image_generating")]  # type: ignore[union-attr]


def test_clear_forgets_the_cached_copies_too() -> None:
    store = Store()
    record = store.insert(_record(1))
    assert store.get(record.id) is not None
    store.clear()
    assert store.get(record.id) is None
    assert store.count() == 0


def test_text_orjson_cannot_write_or_read_is_kept_by_json(tmp_path: Path) -> None:
    # Found in review: a lone surrogate (valid JSON "\ud800" from a client) made orjson
    # refuse the record, and a file an older mock wrote with Infinity could not be read.
    store = Store(tmp_path / "state.db", cache_size=1)
    odd = _record(1)
    odd.image_prompt = "\ud800"
    store.insert(odd)
    store.insert(_record(2))  # pushes the first out of the cache: read back from SQLite
    read = store.get(odd.id)
    assert read is not None and read.image_prompt == "\ud800"
    written_by_json = json.dumps(
        {
            "id": odd.id,
            "account": "acct",
            "type": "product_anyshot",
            "product_url": "u",
            "aspect_ratio": "16x9",
            "created_at": 1.0,
            "updated_at": 1.0,
            "steps": [{"at": float("inf"), "status": "image_generating"}],
        }
    )
    assert "Infinity" in written_by_json
    store._db.execute("UPDATE records SET data = ? WHERE id = ?", (written_by_json, odd.id))
    store.insert(_record(3))
    old = store.get(odd.id)
    assert old is not None and old.steps[0].at == float("inf")


def test_records_come_back_whole_with_fields_at_their_defaults_or_not(tmp_path: Path) -> None:
    # Fields at their default are not written: reading must restore exactly what was kept,
    # from SQLite as from the cache. A changed default fails here.
    assert {f.name: f.default for f in fields(Record) if f.default is not MISSING} == {
        "status": "initializing",
        "override_avatar": None,
        "motion_style": None,
        "product_showcase_url": None,
        "image_prompt": None,
        "video_prompt": None,
        "webhook_url": None,
        "generated_photo_url": None,
        "generated_video_url": None,
        "failed_reason": None,
        "regen_type": None,
        "regen_source_id": None,
        "seq": 0,
        "submitted_url": "",
        "task": "image",
        "failure_reason": None,
        "failure_source": None,
        "video_failure": None,
    }
    plain = _record(1)
    plain.steps = []
    full = _record(2)
    for f in fields(Record):
        if f.default is None:
            setattr(full, f.name, f"{f.name}-value")
    full.video_failure = ("a reason", "rate")
    full.status, full.task, full.submitted_url = "video_generating", "video", "https://x/y"
    store = Store(tmp_path / "state.db", cache_size=1)
    for record in (plain, full):
        store.insert(record)
    for record in (plain, full):
        cached_or_not = store.get(record.id)
        assert cached_or_not == record
    store.close()  # one store at a time holds a state file
    assert Store(tmp_path / "state.db").get(plain.id) == plain  # from the file alone


def test_a_save_after_clear_does_not_bring_the_record_back(tmp_path: Path) -> None:
    store = Store(tmp_path / "state.db")
    record = store.insert(_record(1))
    store.clear()
    store.save(record)
    assert store.get(record.id) is None
