"""A careful client with exactly one defect, chosen by its first argument (or none, "none"):
each is a fault real public clients of this API have, and each verify-client scenario that
exists for it catches it. Without a defect it passes every scenario.

    parse-before-status  reads the body as JSON before the status (a gateway's HTML crashes it)
    no-timeout           sends every request with no timeout (a stalled answer hangs it)
    abandon-on-503       gives up when a poll answers 503 (its paid record keeps running)
    reason-swallowed     says "failed" without the failed_reason or the refusal's detail
    blind-retry          sends gen_image again when its answer is lost (paying twice)
    regen-on-failure     answers a failed video with regen_video, and stops on its refusal
    early-regen          asks for a regen_video while the video is still being made: works
                         only where the undocumented state gates are lenient
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import httpx

DEFECTS = (
    "none",
    "parse-before-status",
    "no-timeout",
    "abandon-on-503",
    "reason-swallowed",
    "blind-retry",
    "regen-on-failure",
    "early-regen",
)
RETRIED = (429, 502, 503, 504)
BASE = "/api/product_to_videos/"


class Stop(Exception):
    """Why the client stops, for its user."""


class Client:
    def __init__(self, defect: str) -> None:
        self.defect = defect
        timeout = (
            None
            if defect == "no-timeout"
            else float(os.environ.get("REQUEST_TIMEOUT_SECONDS", "10"))
        )
        self.http = httpx.Client(
            base_url=os.environ["CREATIFY_API_BASE_URL"],
            headers={
                "X-API-ID": os.environ["CREATIFY_API_ID"],
                "X-API-KEY": os.environ["CREATIFY_API_KEY"],
            },
            timeout=timeout,
        )
        self.poll = float(os.environ.get("POLL_SECONDS", "1"))

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        for _ in range(6):
            try:
                response = self.http.request(method, path, json=body)
            except httpx.TransportError as exc:
                if method == "GET":
                    time.sleep(1)
                    continue
                if self.defect == "blind-retry":
                    continue  # "it probably did not go through"
                raise Stop(f"no answer to {method} {path} ({exc!r}); not sent again") from exc
            if self.defect == "parse-before-status":
                data = response.json()  # an HTML page is no JSON: this raises
            if response.status_code == 503 and method == "GET" and self.defect == "abandon-on-503":
                raise Stop("the service is unavailable")
            if response.status_code in RETRIED:
                time.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            data = response.json()
            if response.status_code >= 400:
                if self.defect == "reason-swallowed":
                    raise Stop(f"{method} {path} was refused")
                raise Stop(f"{method} {path} was refused: {response.status_code} {data}")
            return data
        raise Stop(f"{method} {path}: still failing after 6 tries")

    def wait(self, record_id: str, goal: str) -> dict[str, Any]:
        while True:
            record: dict[str, Any] = self.call("GET", f"{BASE}{record_id}/")
            if record["status"] == goal:
                return record
            if record["status"] == "failed":
                if self.defect == "regen-on-failure" and goal == "video_generated":
                    self.call("POST", f"{BASE}{record_id}/regen_video/", {})  # "try again"
                if self.defect == "reason-swallowed":
                    raise Stop("generation failed")
                raise Stop(f"generation failed: {record['failed_reason']}")
            time.sleep(self.poll)

    def make_video(self, product_url: str) -> str:
        record_id = self.call("POST", f"{BASE}gen_image/", {"product_url": product_url})["id"]
        self.wait(record_id, "image_generated")
        self.call("POST", f"{BASE}{record_id}/gen_video/", {})
        if self.defect == "early-regen":  # a second take, asked for too soon
            regen = self.call("POST", f"{BASE}{record_id}/regen_video/", {})
            self.wait(regen["id"], "video_generated")
        done = self.wait(record_id, "video_generated")
        return str(done["generated_video_url"])


def main(defect: str) -> int:
    if defect not in DEFECTS:
        print(f"defect: expected one of {', '.join(DEFECTS)}; got {defect!r}", file=sys.stderr)
        return 64
    client = Client(defect)
    try:
        print(client.make_video(os.environ["CREATIFY_PRODUCT_URL"]))
    except Stop as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "none"))
