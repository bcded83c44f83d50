"""A driver for `creatify-mock verify-client`: the example client, run from the environment."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from creatify_client import CreatifyClient, GenerationFailed  # noqa: E402


def main() -> int:
    poll = float(os.environ.get("POLL_SECONDS", "1.0"))
    with CreatifyClient(
        os.environ["CREATIFY_API_BASE_URL"],
        os.environ["CREATIFY_API_ID"],
        os.environ["CREATIFY_API_KEY"],
        poll_every=poll,
        timeout=120,
        request_timeout=float(os.environ.get("REQUEST_TIMEOUT_SECONDS", "10")),
    ) as client:
        try:
            print(client.make_video(os.environ["CREATIFY_PRODUCT_URL"]))
        except GenerationFailed as exc:
            print(f"generation failed: {exc}", file=sys.stderr)
            return 1
        except httpx.HTTPStatusError as exc:
            print(f"refused: {exc.response.status_code} {exc.response.text}", file=sys.stderr)
            return 2
        except httpx.TransportError as exc:
            # The answer to a paid POST was lost: it may have been made, so it is not sent
            # again blindly.
            print(
                f"no answer from {exc.request.method} {exc.request.url.path} ({exc!r}); not "
                "sent again, as the record may have been made: look for it in "
                "GET /api/product_to_videos/",
                file=sys.stderr,
            )
            return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
