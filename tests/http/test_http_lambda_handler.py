"""functions/api.py serves the same app on Lambda: API Gateway HTTP API (payload v2) events in,
Lambda proxy responses out, through Mangum."""

from __future__ import annotations

import asyncio
import base64
import importlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from stepstream.http import MAX_BODY_BYTES
from stepstream.local import Provisioned

from ._http_support import AUTH, EVENT_KEY, LAMBDA_APP

APP_REF = "tests.http._http_support:LAMBDA_APP"


@dataclass
class FakeLambdaContext:
    """The attributes Powertools reads from the real LambdaContext."""

    function_name: str = "stepstream-api"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:stepstream-api"
    aws_request_id: str = "c6af9ac6-7b61-11e6-9a41-93e812345678"


def http_api_event(
    method: str, path: str, *, body: bytes = b"", headers: dict[str, str] | None = None
) -> dict[str, Any]:
    """An API Gateway HTTP API payload-format-2.0 event, as the service sends it."""
    encoded = bool(body) and not body.isascii()
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "abc.execute-api.us-east-1.amazonaws.com", **(headers or {})},
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc",
            "domainName": "abc.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": "abc",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "pytest",
            },
            "requestId": "req-1",
            "routeKey": "$default",
            "stage": "$default",
            "time": "22/Nov/2026:03:30:00 +0000",
            "timeEpoch": 1795318200000,
        },
        "body": base64.b64encode(body).decode() if encoded else body.decode(),
        "isBase64Encoded": encoded,
    }


@pytest.fixture
def api_module(aws: Provisioned, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.setenv("STEPSTREAM_APP", APP_REF)
    monkeypatch.setenv("STEPSTREAM_ROUTES", "tests.http._http_support:USER_ROUTER")
    # Mangum runs each request on the thread's current event loop, creating one if there is
    # none and never closing it (right for a Lambda process); give it one we close afterwards.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    sys.modules.pop("api", None)
    try:
        yield importlib.import_module("api")
    finally:
        sys.modules.pop("api", None)
        asyncio.set_event_loop(None)
        loop.close()


def invoke(module: ModuleType, event: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    response = module.handler(event, FakeLambdaContext())
    return response["statusCode"], json.loads(response["body"])


def test_events_are_accepted_through_api_gateway(api_module: ModuleType) -> None:
    # GIVEN an HTTP API event carrying one event for the event API
    body = json.dumps({"name": "test/greet", "data": {"who": "λ"}}).encode()
    event = http_api_event(
        "POST", f"/e/{EVENT_KEY}", body=body, headers={"content-type": "application/json"}
    )
    # WHEN the Lambda handler receives it
    status, answer = invoke(api_module, event)
    # THEN the event is stored and its id returned
    assert status == 200
    [event_id] = answer["ids"]
    assert LAMBDA_APP.events.get(event_id) is not None


def test_refusals_keep_their_json_shape_through_api_gateway(api_module: ModuleType) -> None:
    status, answer = invoke(api_module, http_api_event("GET", "/v1/runs/nope", headers=AUTH))
    assert (status, answer["status"]) == (404, 404)
    status, answer = invoke(api_module, http_api_event("GET", "/v1/runs/nope"))
    assert (status, answer["status"]) == (401, 401)


def test_an_oversize_body_is_refused_through_api_gateway(api_module: ModuleType) -> None:
    # GIVEN a body over the limit (API Gateway itself would pass up to 10 MB)
    body = b'{"name": "test/big", "data": {"pad": "' + b"x" * MAX_BODY_BYTES + b'"}}'
    event = http_api_event("POST", f"/e/{EVENT_KEY}", body=body)
    # THEN the handler refuses it with 413
    status, answer = invoke(api_module, event)
    assert status == 413
    assert "512 KB" in answer["error"]


def test_the_repository_sample_events_are_served(
    api_module: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the sample events `sam local invoke -e` uses for this function, and the keys
    # `--env-vars events/env.json` gives it
    samples = Path(__file__).resolve().parents[2] / "events"
    for name, value in json.loads((samples / "env.json").read_text())["ApiFunction"].items():
        monkeypatch.setenv(name, value)
    health = json.loads((samples / "api.json").read_text())
    send = json.loads((samples / "api_send_event.json").read_text())
    # THEN the handler answers both
    assert invoke(api_module, health) == (200, {"status": "ok"})
    status, answer = invoke(api_module, send)
    assert status == 200
    assert answer["ids"] == [json.loads(send["body"])["id"]]


def test_the_users_routes_are_served_on_lambda(api_module: ModuleType) -> None:
    # GIVEN STEPSTREAM_ROUTES names the user's router
    event = http_api_event("POST", "/api/echo", body=b"four")
    # THEN functions/api.py serves it
    assert invoke(api_module, event) == (200, {"bytes": 4})
