"""The hot path's view of request headers reads the environ as werkzeug's own view does."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import EnvironHeaders as WerkzeugHeaders

from mock_server.headers import EnvironHeaders

ENVIRON = {
    "REQUEST_METHOD": "POST",
    "PATH_INFO": "/api/product_to_videos/gen_image/",
    "CONTENT_TYPE": "application/json; charset=utf-8",
    "CONTENT_LENGTH": "42",
    "HTTP_X_API_ID": "id-1",
    "HTTP_X_API_KEY": "",
    "HTTP_PREFER": "outcome=image-failed",
    "wsgi.url_scheme": "http",
}


@pytest.mark.parametrize(
    "name",
    ["Content-Type", "content-type", "Content-Length", "X-API-ID", "x-api-key", "X-Api-Key",
     "Prefer", "Authorization", "Request-Method", "Path-Info"],
)  # fmt: skip
def test_lookups_agree_with_werkzeug(name: str) -> None:
    ours, theirs = EnvironHeaders(ENVIRON), WerkzeugHeaders(ENVIRON)
    assert (name in ours) == (name in theirs)
    assert ours.get(name) == theirs.get(name)


def test_the_names_listed_are_werkzeugs() -> None:
    ours, theirs = EnvironHeaders(ENVIRON), WerkzeugHeaders(ENVIRON)
    assert set(ours) == {name for name, _ in theirs}
    assert len(ours) == len(theirs)
