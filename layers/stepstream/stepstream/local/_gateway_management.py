"""The ``@connections`` management API of the local gateway, as boto3's
``apigatewaymanagementapi`` client calls it.

boto3 builds ``{endpoint_url}/@connections/{id}``; on AWS ``endpoint_url`` ends in the stage
(``https://{api}.execute-api.{region}.amazonaws.com/{stage}``), so both ``/@connections/{id}`` and
``/{stage}/@connections/{id}`` are served. Errors carry the ``x-amzn-ErrorType`` header and the
``{"message": ...}`` body API Gateway sends, which is what botocore parses into
``GoneException`` and friends.

Every call waits ``gateway.post_latency`` seconds before it is served
(``STEPSTREAM_GATEWAY_POST_LATENCY_MS``): on AWS a ``@connections`` call is an HTTPS round trip of
tens of milliseconds, during which boto3's call blocks its caller. The wait is per request (an
``asyncio.sleep`` on the server's loop), so concurrent posts to different connections overlap as
they do on AWS; only a caller that posts one message after another pays it once per message.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ._gateway_events import http_date

if TYPE_CHECKING:
    from ._gateway import Gateway


POST_LATENCY_ENV = "STEPSTREAM_GATEWAY_POST_LATENCY_MS"


def post_latency_ms(explicit: float | None) -> float:
    """The emulated ``@connections`` round trip: ``explicit``, else the environment's, else 0."""
    if explicit is None:
        raw = os.environ.get(POST_LATENCY_ENV, "").strip()
        try:
            explicit = float(raw) if raw else 0.0
        except ValueError:
            message = f"{POST_LATENCY_ENV}={raw!r} is not a number of milliseconds"
            raise ValueError(message) from None
    if not 0 <= explicit <= 60_000:
        raise ValueError(f"post latency must be 0-60000 ms, got {explicit}")
    return explicit


def aws_error(status: int, error_type: str, message: str) -> Response:
    return JSONResponse(
        {"message": message}, status_code=status, headers={"x-amzn-ErrorType": error_type}
    )


def _iso(epoch_ms: int) -> str:
    return (
        datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"
    )


_Answer = tuple[int, list[tuple[bytes, bytes]], bytes]
_JSON = (b"content-type", b"application/json")


def _json(content: object) -> bytes:
    """As Starlette's ``JSONResponse`` renders it."""
    return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()


def _error(status: int, error_type: str, message: str) -> _Answer:
    body = _json({"message": message})
    return status, [_JSON, (b"x-amzn-errortype", error_type.encode())], body


async def _answer(
    gateway: Gateway,
    method: str,
    connection_id: str,
    authorization: str,
    body: Callable[[], Awaitable[bytes]],
) -> _Answer:
    """One ``@connections`` call: status, headers and body, as API Gateway answers it."""
    # AWS rejects unsigned calls before looking at the connection; so does the emulator,
    # so a publisher that forgot credentials fails here as it would there.
    if not authorization.startswith("AWS4-HMAC-SHA256"):
        return _error(403, "ForbiddenException", "Missing Authentication Token")
    if gateway.post_latency > 0:
        await asyncio.sleep(gateway.post_latency)
    conn = gateway.connection(connection_id)
    if conn is None:
        return _error(410, "GoneException", f"Connection {connection_id} is gone")
    if method in ("GET", "HEAD"):
        identity = {"sourceIp": conn.info.source_ip}
        if conn.info.user_agent is not None:
            identity["userAgent"] = conn.info.user_agent
        info = {
            "connectedAt": _iso(conn.info.connected_at_ms),
            "identity": identity,
            "lastActiveAt": _iso(conn.last_active_ms),
        }
        return 200, [_JSON], _json(info)
    if method == "DELETE":
        await conn.close(1000, "Connection closed by the management API")
        return 204, [], b""
    data = await body()
    if len(data) > gateway.limits.max_message_bytes:
        return _error(
            413,
            "PayloadTooLargeException",
            f"Message of {len(data)} bytes exceeds the "
            f"{gateway.limits.max_message_bytes}-byte message limit",
        )
    if not await conn.send(data):
        return _error(410, "GoneException", f"Connection {connection_id} is gone")
    return 200, [(b"date", http_date(conn.last_active_ms).encode())], b""


def management_routes(gateway: Gateway) -> list[Route]:
    """The ``@connections`` routes, for an app that mounts :attr:`Gateway.routes` itself; the
    gateway's own servers answer these paths before routing (:class:`ConnectionsFirst`)."""

    async def connection(request: Request) -> Response:
        status, headers, body = await _answer(
            gateway,
            request.method,
            request.path_params["connection_id"],
            request.headers.get("authorization", ""),
            request.body,
        )
        response = Response(body, status_code=status)
        for name, value in headers:
            response.headers[name.decode()] = value.decode()
        return response

    methods = ["GET", "POST", "DELETE"]
    return [
        Route("/@connections/{connection_id}", connection, methods=methods),
        Route("/{stage}/@connections/{connection_id}", connection, methods=methods),
    ]


class ConnectionsFirst:
    """Answers ``[/{stage}]/@connections/{id}`` before ``app``'s router sees the request.

    Every post of a fan-out is one such call, and Starlette's routing, ``Request`` and
    ``Response`` cost more CPU than the call's own work; here it is plain ASGI. Everything else
    (other paths, other methods: Starlette's 405) goes to ``app``."""

    def __init__(self, app: ASGIApp, gateway: Gateway) -> None:
        self.app = app
        self.gateway = gateway

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        connection_id = _connection_path(scope)
        if connection_id is None:
            await self.app(scope, receive, send)
            return
        authorization = ""
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value.decode("latin-1")
                break

        async def body() -> bytes:
            chunks = []
            more = True
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    break
                chunks.append(message.get("body", b""))
                more = message.get("more_body", False)
            return b"".join(chunks)

        status, headers, content = await _answer(
            self.gateway, scope["method"], connection_id, authorization, body
        )
        if status != 204:  # as Starlette's Response: no length on a 204
            headers = [*headers, (b"content-length", str(len(content)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})


def _connection_path(scope: Scope) -> str | None:
    """The connection id of a ``@connections`` call this path answers, else None."""
    if scope["type"] != "http" or scope["method"] not in _METHODS:
        return None
    parts = scope["path"].split("/")
    # ["", "@connections", id] or ["", stage, "@connections", id], as the routes match them
    if len(parts) == 3 and parts[1] == "@connections" and parts[2]:
        return str(parts[2])
    if len(parts) == 4 and parts[2] == "@connections" and parts[1] and parts[3]:
        return str(parts[3])
    return None


_METHODS = frozenset({"GET", "HEAD", "POST", "DELETE"})
