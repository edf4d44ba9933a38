"""GIVEN an authorizer answer, THEN the gateway reads its IAM policy as API Gateway does: only an
Allow of ``execute-api:Invoke`` on this route's ARN opens the socket; an explicit Deny wins; a
malformed answer is a 500; the Allow's context reaches ``$connect``."""

from __future__ import annotations

from typing import Any

import pytest
import websockets
from websockets.exceptions import InvalidStatus

from stepstream.local import WebSocketHandlers

from .conftest import GatewayFactory


def statement(effect: str, resource: str, action: str = "execute-api:Invoke") -> dict[str, Any]:
    return {"Effect": effect, "Action": action, "Resource": resource}


def policy(*statements: dict[str, Any]) -> dict[str, Any]:
    return {
        "principalId": "someone",
        "policyDocument": {"Version": "2012-10-17", "Statement": list(statements)},
        "context": {"who": "someone"},
    }


ARN = "arn:aws:execute-api:us-east-1:000000000000:local/local/$connect"
CASES: list[tuple[str, dict[str, Any], int | None]] = [
    ("allow this route", policy(statement("Allow", ARN)), None),
    ("allow by wildcard", policy(statement("Allow", "arn:aws:execute-api:*:*:local/*")), None),
    ("allow another route", policy(statement("Allow", ARN.replace("$connect", "$default"))), 403),
    ("allow another action", policy(statement("Allow", ARN, "execute-api:ManageConnections")), 403),
    ("deny wins", policy(statement("Allow", "*"), statement("Deny", ARN)), 403),
    ("no statements", policy(), 403),
    ("no policy document", {"principalId": "x"}, 500),
]


@pytest.mark.parametrize(("case", "answer", "status"), CASES, ids=[c[0] for c in CASES])
async def test_policy_decides(
    gateway_factory: GatewayFactory, case: str, answer: dict[str, Any], status: int | None
) -> None:
    connected: list[dict[str, Any]] = []

    def connect(event: dict[str, Any], context: Any) -> dict[str, Any]:
        connected.append(event["requestContext"]["authorizer"])
        return {"statusCode": 200}

    handlers = WebSocketHandlers(
        authorizer=lambda event, context: answer,
        connect=connect,
        disconnect=lambda event, context: None,
        default=lambda event, context: None,
    )
    gateway = gateway_factory(handlers=handlers)
    if status is None:
        async with websockets.connect(gateway.ws_url):
            pass
        assert connected == [{"who": "someone", "principalId": "someone"}]
    else:
        with pytest.raises(InvalidStatus) as refused:
            async with websockets.connect(gateway.ws_url):
                pass
        assert refused.value.response.status_code == status
        assert connected == []


async def test_connect_handler_can_refuse_with_its_status(gateway_factory: GatewayFactory) -> None:
    handlers = WebSocketHandlers(
        authorizer=lambda event, context: policy(statement("Allow", "*")),
        connect=lambda event, context: {"statusCode": 429, "body": "slow down"},
        disconnect=lambda event, context: None,
        default=lambda event, context: None,
    )
    gateway = gateway_factory(handlers=handlers)
    with pytest.raises(InvalidStatus) as refused:
        async with websockets.connect(gateway.ws_url):
            pass
    assert refused.value.response.status_code == 429
    assert gateway.gateway.connection_ids() == []
