"""The local gateway, serving the real ``functions/ws_*.py`` handlers over real sockets."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import ws_authorizer
import ws_connect
import ws_default
import ws_disconnect
from starlette.applications import Starlette
from starlette.routing import Mount

from stepstream import Stepstream
from stepstream.http import token_api
from stepstream.local import (
    Gateway,
    GatewayLimits,
    Provisioned,
    RunningGateway,
    WebSocketHandlers,
    serve_in_thread,
)

GatewayFactory = Callable[..., RunningGateway]


def lambda_handlers() -> WebSocketHandlers:
    """The handlers the template deploys, exactly."""
    return WebSocketHandlers(
        authorizer=ws_authorizer.handler,
        connect=ws_connect.handler,
        disconnect=ws_disconnect.handler,
        default=ws_default.handler,
    )


@pytest.fixture
def gateway_factory(aws: Provisioned, monkeypatch: pytest.MonkeyPatch) -> Iterator[GatewayFactory]:
    """Start gateways (limits, handlers and the seconds every ``@connections`` call takes
    overridable; ``token_app_id``: also serve
    ``POST /v1/realtime/token`` for that app on the same port); each is stopped after the test
    and the last one started is where ``STEPSTREAM_WS_MANAGEMENT_URL`` points."""
    started: list[RunningGateway] = []

    def start(
        limits: GatewayLimits | None = None,
        handlers: WebSocketHandlers | None = None,
        token_app_id: str | None = None,
        post_latency: float = 0.0,
    ) -> RunningGateway:
        gateway = Gateway(handlers or lambda_handlers(), limits=limits, post_latency=post_latency)
        asgi = None
        if token_app_id is not None:  # one port for the token endpoint and the gateway
            asgi = Starlette(
                routes=[*gateway.routes, Mount("", app=token_api(Stepstream(token_app_id)))]
            )
        running = serve_in_thread(gateway, asgi=asgi)
        monkeypatch.setenv("STEPSTREAM_WS_MANAGEMENT_URL", running.management_url)
        started.append(running)
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def gateway(gateway_factory: GatewayFactory) -> RunningGateway:
    """A gateway with API Gateway's own limits; ``.ws_url``, ``.management_url``."""
    return gateway_factory()
