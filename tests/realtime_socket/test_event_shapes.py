"""GIVEN the real handlers behind the gateway, WHEN a socket connects, talks and closes, THEN every
event they received has the shape AWS sends: Powertools' WebSocket parser models accept the
$connect/$default/$disconnect events and the authorizer event is a WebSocket REQUEST event."""

from __future__ import annotations

from typing import Any

import websockets
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
)
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketDisconnectEventModel,
    APIGatewayWebSocketMessageEventModel,
)

from stepstream.local import WebSocketHandlers

from ._support import recv_json, token
from .conftest import GatewayFactory, lambda_handlers


def recording(
    handlers: WebSocketHandlers, seen: list[tuple[str, dict[str, Any]]]
) -> WebSocketHandlers:
    def wrap(name: str, handler: Any) -> Any:
        def invoke(event: dict[str, Any], context: Any) -> Any:
            seen.append((name, event))
            return handler(event, context)

        return invoke

    return WebSocketHandlers(
        authorizer=wrap("authorizer", handlers.authorizer),
        connect=wrap("connect", handlers.connect),
        disconnect=wrap("disconnect", handlers.disconnect),
        default=wrap("default", handlers.default),
    )


async def test_events_validate_against_powertools_models(gateway_factory: GatewayFactory) -> None:
    seen: list[tuple[str, dict[str, Any]]] = []
    gateway = gateway_factory(handlers=recording(lambda_handlers(), seen))
    async with websockets.connect(
        f"{gateway.ws_url}?token={token('chan-a', ['t1', 't2'])}&since=0",
        user_agent_header="event-shape-test",
    ) as ws:
        await ws.send('{"kind":"ping"}')
        assert (await recv_json(ws))["kind"] == "pong"
        await ws.send(b"\x00binary")
        assert (await recv_json(ws))["kind"] == "error"
    gateway.stop()  # waits for $disconnect
    by_name: dict[str, list[dict[str, Any]]] = {}
    for name, event in seen:
        by_name.setdefault(name, []).append(event)

    authorizer = APIGatewayAuthorizerRequestEvent(by_name["authorizer"][0])
    assert authorizer.get_type == "REQUEST"
    assert authorizer.method_arn.endswith("/local/$connect")
    assert authorizer.query_string_parameters["since"] == "0"
    request_context = by_name["authorizer"][0]["requestContext"]
    assert (request_context["routeKey"], request_context["eventType"]) == ("$connect", "CONNECT")
    assert authorizer.request_context.request_id
    assert request_context["connectionId"]

    connect = APIGatewayWebSocketConnectEventModel.model_validate(by_name["connect"][0])
    context = by_name["connect"][0]["requestContext"]["authorizer"]
    assert context["channel"] == "chan-a"
    assert context["topics"] == "t1,t2"
    assert context["since"] == 0
    assert context["principalId"]
    assert connect.request_context.identity.user_agent == "event-shape-test"

    text, binary = (
        APIGatewayWebSocketMessageEventModel.model_validate(e) for e in by_name["default"]
    )
    assert text.body == '{"kind":"ping"}'
    assert not text.is_base64_encoded
    assert binary.is_base64_encoded
    assert text.request_context.connection_id == connect.request_context.connection_id
    assert by_name["default"][0]["requestContext"]["authorizer"]["channel"] == "chan-a"

    disconnect = APIGatewayWebSocketDisconnectEventModel.model_validate(by_name["disconnect"][0])
    assert disconnect.request_context.disconnect_status_code == 1000
    assert disconnect.request_context.connection_id == connect.request_context.connection_id
