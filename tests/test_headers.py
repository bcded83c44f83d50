"""The pipeline's view of request headers reads the environ as werkzeug's own view does."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import EnvironHeaders as WerkzeugHeaders

from mock_server.api.headers import EnvironHeaders

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
    [
        "Content-Type",
        "content-type",
        "Content-Length",
        "X-API-ID",
        "x-api-key",
        "X-Api-Key",
        "Prefer",
        "Authorization",
        "Request-Method",
        "Path-Info",
    ],
)
def test_lookups_agree_with_werkzeug(name: str) -> None:
    ours, theirs = EnvironHeaders(ENVIRON), WerkzeugHeaders(ENVIRON)
    assert (name in ours) == (name in theirs)
    assert ours.get(name) == theirs.get(name)


@pytest.mark.parametrize(
    "extra",
    [{}, {"CONTENT_TYPE": ""}, {"CONTENT_LENGTH": ""}, {"HTTP_CONTENT_TYPE": "text/plain"}],
)
def test_the_names_listed_are_werkzeugs(extra: dict[str, str]) -> None:
    environ = {**ENVIRON, **extra}
    ours, theirs = EnvironHeaders(environ), WerkzeugHeaders(environ)
    assert sorted(ours) == sorted(name for name, _ in theirs)
    assert len(ours) == len(theirs)


def test_a_name_that_is_not_text_is_simply_absent() -> None:
    assert EnvironHeaders(ENVIRON).get(5) is None  # type: ignore[call-overload]
    assert 5 not in EnvironHeaders(ENVIRON)
