"""GIVEN the dev server's ASGI app (whose @connections emulator checks no signature)
WHEN a non-loopback client calls @connections
THEN it is refused with 403 before reaching the gateway; loopback callers get through."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from stepstream.local._devserver import LoopbackManagementOnly


async def _inner(request: object) -> PlainTextResponse:
    return PlainTextResponse("reached")


@pytest.mark.parametrize(
    ("client", "path", "status"),
    [
        ("203.0.113.9", "/@connections/abc", 403),
        ("203.0.113.9", "/local/@connections/abc", 403),
        ("127.0.0.1", "/@connections/abc", 200),
        ("203.0.113.9", "/health", 200),
    ],
)
async def test_management_api_is_loopback_only(client: str, path: str, status: int) -> None:
    inner = Starlette(routes=[Route("/{rest:path}", _inner, methods=["GET", "POST", "DELETE"])])
    transport = httpx.ASGITransport(app=LoopbackManagementOnly(inner), client=(client, 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://dev") as http:
        answer = await http.delete(path)
    assert answer.status_code == status
    if status == 403:
        assert "loopback only" in answer.json()["message"]
