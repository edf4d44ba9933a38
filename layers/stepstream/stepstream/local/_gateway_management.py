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
import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

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


def management_routes(gateway: Gateway) -> list[Route]:
    async def connection(request: Request) -> Response:
        # AWS rejects unsigned calls before looking at the connection; so does the emulator,
        # so a publisher that forgot credentials fails here as it would there.
        if not request.headers.get("authorization", "").startswith("AWS4-HMAC-SHA256"):
            return aws_error(403, "ForbiddenException", "Missing Authentication Token")
        if gateway.post_latency > 0:
            await asyncio.sleep(gateway.post_latency)
        connection_id = request.path_params["connection_id"]
        conn = gateway.connection(connection_id)
        if conn is None:
            return aws_error(410, "GoneException", f"Connection {connection_id} is gone")
        if request.method == "GET":
            identity = {"sourceIp": conn.info.source_ip}
            if conn.info.user_agent is not None:
                identity["userAgent"] = conn.info.user_agent
            return JSONResponse(
                {
                    "connectedAt": _iso(conn.info.connected_at_ms),
                    "identity": identity,
                    "lastActiveAt": _iso(conn.last_active_ms),
                }
            )
        if request.method == "DELETE":
            await conn.close(1000, "Connection closed by the management API")
            return Response(status_code=204)
        body = await request.body()
        if len(body) > gateway.limits.max_message_bytes:
            return aws_error(
                413,
                "PayloadTooLargeException",
                f"Message of {len(body)} bytes exceeds the "
                f"{gateway.limits.max_message_bytes}-byte message limit",
            )
        if not await conn.send(body):
            return aws_error(410, "GoneException", f"Connection {connection_id} is gone")
        return Response(status_code=200, headers={"date": http_date(conn.last_active_ms)})

    methods = ["GET", "POST", "DELETE"]
    return [
        Route("/@connections/{connection_id}", connection, methods=methods),
        Route("/{stage}/@connections/{connection_id}", connection, methods=methods),
    ]
