"""GIVEN the one way to build a local stack (``stepstream.local.LocalStack``) WHEN parts are
switched off or routes added THEN only what was asked for runs, the endpoints and the functions'
environment are exposed, and ``stop()`` puts back the process environment it changed."""

from __future__ import annotations

import os
import socket
import uuid

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from stepstream.aws import client
from stepstream.local import LocalStack, LocalStackError, StackOptions
from tests.support.aws import TEMPLATE, MotoEndpoint


def options(moto: MotoEndpoint, **overrides: object) -> StackOptions:
    defaults: dict[str, object] = {
        "template": TEMPLATE,
        "aws_endpoint": moto.url,
        "resource_prefix": f"ls{uuid.uuid4().hex[:8]}-",
        "pollers": False,
        "schedules": False,
    }
    return StackOptions(**{**defaults, **overrides})  # type: ignore[arg-type]


def test_without_a_server_it_provisions_and_then_restores_the_environment(
    moto_endpoint: MotoEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # the caller's own setting
    monkeypatch.delenv("STEPSTREAM_QUEUE_URL", raising=False)

    with LocalStack(options(moto_endpoint, serve=False)) as stack:
        assert (stack.url, stack.gateway, stack.pollers) == ("", None, [])
        assert os.environ["AWS_ENDPOINT_URL"] == moto_endpoint.url
        queue_url = stack.environment["STEPSTREAM_QUEUE_URL"]
        assert os.environ["STEPSTREAM_QUEUE_URL"] == queue_url
        assert client("sqs").get_queue_attributes(QueueUrl=queue_url)["ResponseMetadata"]

    assert os.environ["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9"
    assert "STEPSTREAM_QUEUE_URL" not in os.environ


def test_extra_routes_are_served_first_and_see_the_running_stack(
    moto_endpoint: MotoEndpoint,
) -> None:
    def routes(stack: LocalStack) -> list[BaseRoute]:
        async def connections(request: Request) -> JSONResponse:
            assert stack.gateway is not None
            return JSONResponse({"ids": stack.gateway.connection_ids(), "ws": stack.ws_url})

        return [Route("/connections", connections), Route("/", connections)]

    with LocalStack(options(moto_endpoint, http_api=False, routes=routes)) as stack:
        answer = httpx.get(stack.url + "/connections", timeout=10).json()
        shadowing = httpx.get(stack.url + "/", timeout=10)  # the dashboard's page otherwise
        api = httpx.get(stack.url + "/v1/functions", timeout=10)

    assert answer == {"ids": [], "ws": stack.ws_url}
    assert stack.ws_url.startswith("ws://127.0.0.1:")
    assert stack.ws_url.endswith("/v1/realtime/connect")
    assert shadowing.json()["ids"] == []  # matched before the dashboard's route
    assert api.status_code == 404  # http_api=False: no API mounted


def test_a_busy_port_fails_before_anything_starts(moto_endpoint: MotoEndpoint) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        stack = LocalStack(options(moto_endpoint, port=port))
        with pytest.raises(LocalStackError, match=f"cannot listen on 127.0.0.1:{port}"):
            stack.start()
    assert stack.provisioned is None
