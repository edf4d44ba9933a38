"""The user's own routes ride in the same API: same limits, CORS and error shape; they cannot
shadow a built-in route; STEPSTREAM_ROUTES names them for functions/api.py."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from stepstream import Stepstream
from stepstream.http import MAX_BODY_BYTES, create_api, routers_from_env
from tests.support.serve import serve

from ._http_support import USER_ROUTER


@pytest.fixture
def user_client(shared_app: Stepstream) -> Iterator[httpx.Client]:
    with (
        serve(create_api(shared_app, routers=[USER_ROUTER])) as url,
        httpx.Client(base_url=url) as http,
    ):
        yield http


def test_a_user_route_is_served(user_client: httpx.Client) -> None:
    assert user_client.post("/api/echo", content=b"hello").json() == {"bytes": 5}


def test_a_user_route_gets_the_error_shape_and_the_body_limit(user_client: httpx.Client) -> None:
    refused = user_client.post("/api/echo")
    assert refused.json() == {"error": "send something to echo", "status": 422}
    too_big = user_client.post("/api/echo", content=b"x" * (MAX_BODY_BYTES + 1))
    assert too_big.status_code == 413


def test_a_user_route_cannot_shadow_a_built_in_one(user_client: httpx.Client) -> None:
    assert user_client.get("/health").json() == {"status": "ok"}


def test_routes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEPSTREAM_ROUTES", " tests.http._http_support:USER_ROUTER , ")
    assert routers_from_env() == [USER_ROUTER]
    monkeypatch.delenv("STEPSTREAM_ROUTES")
    assert routers_from_env() == []


@pytest.mark.parametrize(
    "ref",
    [
        "tests.http._http_support",
        "tests.http._http_support:make_app",
        "tests.http._http_support:nope",
    ],
)
def test_a_wrong_routes_reference_says_what_it_must_be(
    monkeypatch: pytest.MonkeyPatch, ref: str
) -> None:
    monkeypatch.setenv("STEPSTREAM_ROUTES", ref)
    with pytest.raises(TypeError, match=r"STEPSTREAM_ROUTES entry .* FastAPI APIRouter"):
        routers_from_env()
