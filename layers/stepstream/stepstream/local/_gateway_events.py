"""The Lambda events API Gateway WebSocket APIs send, built from an ASGI connection.

Shapes follow what AWS sends for a WebSocket API with a Lambda REQUEST authorizer and Lambda
proxy integrations on ``$connect``, ``$disconnect`` and ``$default``. They validate against
Powertools' ``APIGatewayWebSocket*EventModel`` parser models (a test checks this), so a handler
that works here sees the same fields on AWS.
"""

from __future__ import annotations

import base64
import secrets
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import parse_qsl

Event = dict[str, Any]


def new_connection_id() -> str:
    """An id shaped like API Gateway's (16 characters of URL-safe base64, ending ``=``), so callers
    exercise the URL-encoding of ``=`` in ``/@connections/{id}`` exactly as on AWS."""
    return base64.urlsafe_b64encode(secrets.token_bytes(11)).decode()


def _request_time(epoch_ms: int) -> str:
    # API Gateway's CLF-style time: 22/Nov/2026:03:40:00 +0000
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")


def http_date(epoch_ms: int) -> str:
    return format_datetime(datetime.fromtimestamp(epoch_ms / 1000, UTC), usegmt=True)


@dataclass
class ConnectionInfo:
    """What API Gateway knows about one socket; the base of every event for it."""

    connection_id: str
    api_id: str
    stage: str
    domain_name: str
    source_ip: str
    user_agent: str | None
    headers: list[tuple[str, str]]
    query: list[tuple[str, str]]
    connected_at_ms: int = field(default_factory=lambda: int(time.time() * 1000))

    @classmethod
    def from_scope(cls, scope: Mapping[str, Any], *, api_id: str, stage: str) -> ConnectionInfo:
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope.get("headers", [])]
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        client = scope.get("client") or ("127.0.0.1", 0)
        lower = {k.lower(): v for k, v in headers}
        return cls(
            connection_id=new_connection_id(),
            api_id=api_id,
            stage=stage,
            domain_name=lower.get("host", "localhost").split(":")[0],
            source_ip=str(client[0]),
            user_agent=lower.get("user-agent"),
            headers=headers,
            query=query,
        )

    def _request_context(self, route_key: str, event_type: str) -> Event:
        now_ms = int(time.time() * 1000)
        identity: Event = {"sourceIp": self.source_ip}
        if self.user_agent is not None:
            identity["userAgent"] = self.user_agent
        return {
            "routeKey": route_key,
            "eventType": event_type,
            "extendedRequestId": uuid.uuid4().hex[:16] + "=",
            "requestTime": _request_time(now_ms),
            "messageDirection": "IN",
            "stage": self.stage,
            "connectedAt": self.connected_at_ms,
            "requestTimeEpoch": now_ms,
            "identity": identity,
            "requestId": uuid.uuid4().hex[:16] + "=",
            "domainName": self.domain_name,
            "connectionId": self.connection_id,
            "apiId": self.api_id,
        }

    def _header_maps(self) -> Event:
        single: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for name, value in self.headers:
            single[name] = value
            multi.setdefault(name, []).append(value)
        return {"headers": single, "multiValueHeaders": multi}

    def _query_maps(self) -> Event:
        if not self.query:
            return {}
        single: dict[str, str] = {}
        multi: dict[str, list[str]] = {}
        for name, value in self.query:
            single[name] = value
            multi.setdefault(name, []).append(value)
        return {"queryStringParameters": single, "multiValueQueryStringParameters": multi}

    def method_arn(self, route_key: str = "$connect") -> str:
        return f"arn:aws:execute-api:us-east-1:000000000000:{self.api_id}/{self.stage}/{route_key}"

    def authorizer_event(self) -> Event:
        """The REQUEST authorizer event of a WebSocket ``$connect``."""
        return {
            "type": "REQUEST",
            "methodArn": self.method_arn(),
            **self._header_maps(),
            **self._query_maps(),
            "stageVariables": {},
            "requestContext": self._request_context("$connect", "CONNECT"),
        }

    def connect_event(self, authorizer: Mapping[str, Any]) -> Event:
        context = self._request_context("$connect", "CONNECT")
        context["authorizer"] = dict(authorizer)
        return {
            **self._header_maps(),
            **self._query_maps(),
            "requestContext": context,
            "isBase64Encoded": False,
        }

    def message_event(self, body: str | bytes, authorizer: Mapping[str, Any]) -> Event:
        context = self._request_context("$default", "MESSAGE")
        context["messageId"] = uuid.uuid4().hex[:16] + "="
        context["authorizer"] = dict(authorizer)
        if isinstance(body, bytes):
            return {
                "requestContext": context,
                "body": base64.b64encode(body).decode(),
                "isBase64Encoded": True,
            }
        return {"requestContext": context, "body": body, "isBase64Encoded": False}

    def disconnect_event(self, status_code: int, reason: str) -> Event:
        context = self._request_context("$disconnect", "DISCONNECT")
        context["disconnectStatusCode"] = status_code
        context["disconnectReason"] = reason
        # On $disconnect AWS sends only a few gateway-added headers, not the client's.
        headers = {"Host": self.domain_name, "x-api-key": "", "X-Forwarded-For": self.source_ip}
        return {
            "headers": headers,
            "multiValueHeaders": {k: [v] for k, v in headers.items()},
            "requestContext": context,
            "isBase64Encoded": False,
        }


@dataclass
class LambdaContext:
    """The parts of the Lambda context object handlers commonly read."""

    function_name: str
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = ""
    timeout_ms: int = 29_000
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.timeout_ms - int((time.monotonic() - self._started) * 1000))


def _as_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, str) else list(value or [])


def policy_effect(policy: Mapping[str, Any], method_arn: str) -> str:
    """``Allow`` only if a statement allows ``execute-api:Invoke`` on ``method_arn`` (IAM
    wildcards) and none denies it: an explicit Deny wins, as in IAM."""
    document = policy.get("policyDocument")
    if not isinstance(document, Mapping):
        raise ValueError("authorizer response has no policyDocument")
    statements = document.get("Statement")
    if not isinstance(statements, Iterable) or isinstance(statements, str | bytes):
        raise ValueError("authorizer policyDocument has no Statement list")
    allowed = False
    for statement in statements:
        if not isinstance(statement, Mapping):
            raise ValueError("authorizer policy statement is not an object")
        actions = _as_list(statement.get("Action"))
        resources = _as_list(statement.get("Resource"))
        applies = any(fnmatchcase("execute-api:Invoke", str(action)) for action in actions) and any(
            fnmatchcase(method_arn, str(resource)) for resource in resources
        )
        if not applies:
            continue
        if statement.get("Effect") == "Deny":
            return "Deny"
        if statement.get("Effect") == "Allow":
            allowed = True
    return "Allow" if allowed else "Deny"
