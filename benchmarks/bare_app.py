"""The baseline: a bare Flask app answering the same record JSON, no auth, no validation."""

from __future__ import annotations

import json

from flask import Flask, Response

RECORD = json.dumps(
    {
        "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "type": "product_anyshot",
        "product_url": "https://example.com/shoe.jpg",
        "aspect_ratio": "16x9",
        "override_avatar": None,
        "motion_style": None,
        "product_showcase_url": None,
        "image_prompt": None,
        "video_prompt": None,
        "status": "initializing",
        "generated_video_url": None,
        "generated_photo_url": None,
        "created_at": "2025-05-30T04:11:05.449603-07:00",
        "updated_at": "2025-05-30T04:11:05.449603-07:00",
        "webhook_url": None,
        "failed_reason": None,
        "regen_type": None,
        "regen_source_id": None,
    }
)

app = Flask("bare")


@app.get("/api/product_to_videos/<record_id>/")
def retrieve(record_id: str) -> Response:
    return Response(RECORD, mimetype="application/json")


@app.post("/api/product_to_videos/gen_image/")
def gen_image() -> Response:
    return Response(RECORD, mimetype="application/json")
