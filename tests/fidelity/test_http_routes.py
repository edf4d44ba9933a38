"""GIVEN the template's HttpApi events WHEN a request arrives THEN it reaches the function API
Gateway would pick: a method over ANY, a literal path over a {variable} over a {greedy+}, then
$default; the token POST to TokenFunction, its CORS preflight and the rest to ApiFunction."""

from __future__ import annotations

from typing import Any

from stepstream.local._http_router import HttpApiRouter, RouteTarget
from stepstream.local._wiring import read_wiring
from tests.support.aws import TEMPLATE


async def _app(scope: Any, receive: Any, send: Any) -> None:  # never called here
    raise AssertionError


def _router(*routes: tuple[str, str, str]) -> HttpApiRouter:
    return HttpApiRouter([RouteTarget(method, path, fn, _app) for method, path, fn in routes])


def test_the_templates_routes() -> None:
    wiring = read_wiring(TEMPLATE)
    router = _router(*((r.method, r.path, r.handler.logical_id) for r in wiring.http_routes))

    def target(method: str, path: str) -> str | None:
        found = router.target(method, path)
        return found.function if found else None

    assert target("POST", "/v1/realtime/token") == "TokenFunction"
    assert target("OPTIONS", "/v1/realtime/token") == "ApiFunction"
    assert target("GET", "/v1/realtime/token") == "ApiFunction"
    assert target("POST", "/e/key") == "ApiFunction"


def test_api_gateways_order() -> None:
    router = _router(
        ("ANY", "/items/{id}", "AnyItem"),
        ("GET", "/items/{id}", "GetItem"),
        ("GET", "/items/special", "Special"),
        ("ANY", "/files/{path+}", "Files"),
    )

    def target(method: str, path: str) -> str | None:
        found = router.target(method, path)
        return found.function if found else None

    assert target("GET", "/items/special") == "Special"
    assert target("GET", "/items/7") == "GetItem"
    assert target("DELETE", "/items/7") == "AnyItem"
    assert target("GET", "/files/a/b/c") == "Files"
    assert target("GET", "/items/7/more") is None  # no $default: API Gateway answers 404
