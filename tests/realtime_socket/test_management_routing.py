"""GIVEN the gateway's ``@connections`` calls answered before routing (``ConnectionsFirst``)
and the same calls through ``Gateway.routes`` mounted in another app WHEN each is called over
HTTP THEN both answer alike, as API Gateway does (GET and DELETE on real sockets:
``test_management_api``); other methods and paths are routed as before."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from starlette.applications import Starlette

from stepstream.local import Gateway, RunningGateway, WebSocketHandlers, serve_in_thread

SIGNED = {
    "authorization": "AWS4-HMAC-SHA256 Credential=x/20260101/us-east-1/execute-api/aws4_request"
}


class _Socketless:
    last_active_ms = 1_700_000_000_000

    def __init__(self) -> None:
        self.got: list[bytes] = []

    async def send(self, data: bytes) -> bool:
        self.got.append(data)
        return True


def _unused(event: object, context: object) -> object:
    raise AssertionError("no socket connects in this test")


@pytest.fixture(params=["direct", "mounted"])
def served(request: pytest.FixtureRequest) -> Iterator[tuple[RunningGateway, _Socketless]]:
    handlers = WebSocketHandlers(
        authorizer=_unused, connect=_unused, disconnect=_unused, default=_unused
    )
    gateway = Gateway(handlers)
    connection = _Socketless()
    gateway.attach("abc=", connection)
    asgi = Starlette(routes=gateway.routes) if request.param == "mounted" else None
    running = serve_in_thread(gateway, asgi=asgi)
    yield running, connection
    running.stop()


@pytest.mark.parametrize("stage", ["", "/local"])
def test_post_gone_and_unsigned_answer_alike(
    served: tuple[RunningGateway, _Socketless], stage: str
) -> None:
    running, connection = served
    base = f"{running.management_url}{stage}/@connections"
    with httpx.Client() as http:
        posted = http.post(f"{base}/abc%3D", content=b'{"a":1}', headers=SIGNED)
        gone = http.post(f"{base}/nobody%3D", content=b"x", headers=SIGNED)
        unsigned = http.post(f"{base}/abc%3D", content=b"x")
    assert posted.status_code == 200
    assert "Tue, 14 Nov 2023 22:13:20 GMT" in posted.headers.get_list("date")  # its last activity
    assert connection.got == [b'{"a":1}']
    assert gone.status_code == 410
    assert gone.headers["x-amzn-ErrorType"] == "GoneException"
    assert gone.json() == {"message": "Connection nobody= is gone"}
    assert unsigned.status_code == 403
    assert unsigned.json() == {"message": "Missing Authentication Token"}


def test_other_methods_and_paths_are_not_connections_calls(
    served: tuple[RunningGateway, _Socketless],
) -> None:
    running, connection = served
    with httpx.Client() as http:
        put = http.put(f"{running.management_url}/@connections/abc%3D", headers=SIGNED)
        deeper = http.post(f"{running.management_url}/a/b/@connections/abc%3D", headers=SIGNED)
        bare = http.post(f"{running.management_url}/@connections/", headers=SIGNED)
    assert put.status_code == 405
    assert deeper.status_code == 404
    assert bare.status_code == 404
    assert connection.got == []
