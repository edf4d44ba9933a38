"""The handlers a local stack runs, found the way Lambda finds them (template.yaml's ``CodeUri``
+ ``Handler``), wired to their local triggers: the gateway, SQS pollers and the minute ticker."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._stack_error import LocalStackError

if TYPE_CHECKING:
    from ._gateway import Gateway
    from ._poller import SqsPoller
    from ._provision import Provisioned
    from ._stack import LocalStack
    from ._ticker import MinuteTicker
    from ._wiring import Wiring


@dataclass
class LoadedHandlers:
    """What :func:`load_handlers` made; nothing is started yet."""

    api: Any = None
    """The HTTP API (FastAPI), or None when the stack serves no API."""
    gateway: Gateway | None = None
    pollers: list[SqsPoller] = field(default_factory=list)
    ticker: MinuteTicker | None = None


def load_handlers(stack: LocalStack, provisioned: Provisioned) -> LoadedHandlers:
    from ._wiring import WiringError, read_wiring

    options = stack.options
    loaded = LoadedHandlers()
    stack.progress.step("loading the handlers named in template.yaml...")
    try:
        wiring = read_wiring(stack.template)
        if options.serve:
            loaded.gateway = _gateway(wiring, stack)
        if options.pollers:
            loaded.pollers = _pollers(wiring, provisioned.queues)
        if options.schedules:
            from ._ticker import MinuteTicker

            loaded.ticker = MinuteTicker([(ref.logical_id, ref.load()) for ref in wiring.schedules])
        if options.serve and options.http_api:
            loaded.api = _api()
    except WiringError as exc:
        raise LocalStackError(str(exc)) from exc
    except ImportError as exc:
        raise LocalStackError(
            f"importing the handlers or the app failed: {exc}. Fix the import, or run "
            "`make dev` once so .venv has every dependency."
        ) from exc
    return loaded


def _gateway(wiring: Wiring, stack: LocalStack) -> Gateway:
    from ._gateway import Gateway, WebSocketHandlers
    from ._gateway_management import post_latency_ms
    from ._wiring import WiringError

    authorizer = wiring.websocket_authorizer
    if authorizer is None:
        raise WiringError("template.yaml declares no WebSocket authorizer")
    handlers = WebSocketHandlers(
        authorizer=authorizer.load(),
        connect=wiring.route("$connect").load(),
        disconnect=wiring.route("$disconnect").load(),
        default=wiring.route("$default").load(),
    )
    options = stack.options
    return Gateway(
        handlers,
        limits=options.gateway_limits,
        max_workers=options.gateway_workers,
        post_latency=post_latency_ms(options.post_latency_ms) / 1000,
    )


def _pollers(wiring: Wiring, queue_urls: dict[str, str]) -> list[SqsPoller]:
    from ._poller import SqsPoller

    return [
        SqsPoller(
            trigger.handler.load(),
            queue_urls[trigger.queue],
            batch_size=trigger.batch_size,
            wait_seconds=1,
            timeout_ms=trigger.handler.timeout_seconds * 1000,
            region=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        )
        for trigger in wiring.queues
    ]


def _api() -> Any:
    from .. import load_app
    from ..http import create_api, routers_from_env

    app = load_app()
    try:
        # The user's own routers (STEPSTREAM_ROUTES), as the API Lambda mounts them.
        routers = routers_from_env()
    except (ImportError, TypeError) as exc:
        raise LocalStackError(f"STEPSTREAM_ROUTES: {exc}") from exc
    return create_api(app, routers=routers)
