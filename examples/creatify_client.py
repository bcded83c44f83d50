"""A small httpx client for Creatify's Product-to-Video flow: the kind of code the
contract toolkit is for. `test_creatify_client.py` beside it tests it with the fixtures."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

DONE = {"image": "image_generated", "video": "video_generated"}
# Answers that come before anything was processed: the API's throttle and outage (429, 503),
# and a gateway's when the app behind it is down (502, 504; often HTML, or empty).
RETRIED = (429, 502, 503, 504)


@dataclass
class GenerationFailed(Exception):
    record_id: str
    reason: str

    def __str__(self) -> str:
        return f"record {self.record_id} failed: {self.reason or 'no reason given'}"


@dataclass(frozen=True)
class Record:
    """The fields this client relies on, parsed leniently: empty may be null or ""."""

    id: str
    status: str
    video_url: str | None
    photo_url: str | None
    failed_reason: str | None
    updated_at: datetime

    @classmethod
    def parse(cls, data: dict[str, Any]) -> Record:
        return cls(
            id=data["id"],
            status=data["status"],
            video_url=data.get("generated_video_url") or None,
            photo_url=data.get("generated_photo_url") or None,
            failed_reason=data.get("failed_reason") or None,
            updated_at=datetime.fromisoformat(data["updated_at"].replace("Z", "+00:00")),
        )


class CreatifyClient:
    def __init__(
        self,
        base_url: str,
        api_id: str,
        api_key: str,
        *,
        poll_every: float = 1.0,
        timeout: float = 600.0,
        request_timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.http = httpx.Client(
            base_url=base_url,
            headers={"X-API-ID": api_id, "X-API-KEY": api_key},
            transport=transport,
            timeout=request_timeout,  # a stalled answer must not hang the client
        )
        self.poll_every, self.timeout, self.sleep = poll_every, timeout, sleep

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> CreatifyClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, path: str, **options: Any) -> httpx.Response:
        """A status that says nothing was processed: wait as told, then try again. The status
        is read before the body, which a gateway sends as HTML or not at all. A GET that
        times out or is cut off is sent again; a POST is not, since its answer may be lost
        after the record was made (and paid for)."""
        for _ in range(5):
            try:
                response = self.http.request(method, path, **options)
            except httpx.TransportError:
                if method != "GET":
                    raise
                self.sleep(1.0)
                continue
            if response.status_code not in RETRIED:
                break
            self.sleep(float(response.headers.get("Retry-After", "1")))
        else:
            response = self.http.request(method, path, **options)
        response.raise_for_status()
        return response

    def _post(self, path: str, body: dict[str, Any]) -> Record:
        return Record.parse(self._send("POST", path, json=body).json())

    def gen_image(self, product_url: str, **options: Any) -> Record:
        return self._post(
            "/api/product_to_videos/gen_image/", {"product_url": product_url, **options}
        )

    def gen_video(self, record_id: str, **options: Any) -> Record:
        return self._post(f"/api/product_to_videos/{record_id}/gen_video/", options)

    def get(self, record_id: str) -> Record:
        return Record.parse(self._send("GET", f"/api/product_to_videos/{record_id}/").json())

    def wait(self, record_id: str, phase: str) -> Record:
        """Poll until the phase is done; raise GenerationFailed on `failed`, never poll after."""
        waited = 0.0
        while True:
            record = self.get(record_id)
            if record.status == DONE[phase]:
                return record
            if record.status == "failed":
                raise GenerationFailed(record.id, record.failed_reason or "")
            if waited >= self.timeout:
                raise TimeoutError(f"record {record_id} still {record.status} after {waited:g}s")
            self.sleep(self.poll_every)
            waited += self.poll_every

    def make_video(self, product_url: str, **options: Any) -> str:
        """The whole flow: image, wait, video, wait; returns the video URL."""
        record = self.gen_image(product_url, **options)
        self.wait(record.id, "image")
        self.gen_video(record.id)
        done = self.wait(record.id, "video")
        assert done.video_url is not None
        return done.video_url
