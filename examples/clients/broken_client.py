"""A client with one deliberate defect, chosen by its first argument: each is a mistake
public clients of this API make, for the harness's own tests."""

from __future__ import annotations

import os
import sys
import time

import httpx

DEFECTS = (
    "wrong-route",
    "bad-enum",
    "no-auth-header",
    "unknown-status",
    "polls-after-failure",
    "crashes-on-empty",
    "double-post",
    "tight-loop",
)


def main(defect: str) -> int:
    if defect not in DEFECTS:
        print(f"defect: expected one of {', '.join(DEFECTS)}; got {defect!r}", file=sys.stderr)
        return 64
    headers = {
        "X-API-ID": os.environ["CREATIFY_API_ID"],
        "X-API-KEY": os.environ["CREATIFY_API_KEY"],
    }
    if defect == "no-auth-header":
        headers.pop("X-API-KEY")
    body = {"product_url": os.environ["CREATIFY_PRODUCT_URL"], "aspect_ratio": "9x16"}
    if defect == "bad-enum":
        body["aspect_ratio"] = "9:16"
    route = "/api/product_to_videos/gen_image" + ("" if defect == "wrong-route" else "/")
    done = "completed" if defect == "unknown-status" else "video_generated"
    pause = 0.0 if defect == "tight-loop" else 0.5
    with httpx.Client(base_url=os.environ["CREATIFY_API_BASE_URL"], headers=headers) as http:
        created = http.post(route, json=body)
        if defect == "double-post":
            created = http.post(route, json=body)  # "in case the first one was lost"
        if created.status_code >= 400:
            return 1
        record_id = created.json()["id"]
        asked_video = False
        while True:
            record = http.get(f"/api/product_to_videos/{record_id}/").json()
            if defect == "crashes-on-empty":
                record["generated_video_url"].strip()  # null until the video exists
            if record["status"] == "failed":
                if defect == "polls-after-failure":
                    for _ in range(3):
                        http.get(f"/api/product_to_videos/{record_id}/")
                        time.sleep(0.2)
                return 1
            if record["status"] == "image_generated" and not asked_video:
                http.post(f"/api/product_to_videos/{record_id}/gen_video/", json={})
                asked_video = True
            if record["status"] == done:
                print(record["generated_video_url"])
                return 0
            time.sleep(pause)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ""))
