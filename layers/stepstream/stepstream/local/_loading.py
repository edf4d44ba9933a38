"""The handlers a local stack runs, found the way Lambda finds them (template.yaml's ``CodeUri``
+ ``Handler``), wired to their local triggers: the gateway, SQS pollers and the minute ticker."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._stack_error import LocalStackError

if TYPE_CHECKING:
    from ._emulation import Emulation
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
    """The HTTP API (each route to its function's app), or None when the stack serves none."""
    gateway: Gateway | None = None
    pollers: list[SqsPoller] = field(default_factory=list)
    ticker: MinuteTicker | None = None
    wiring: Wiring | None = None
    """The template's triggers the handlers were loaded for (a reload loads them again)."""


def load_handlers(
    stack: LocalStack, provisioned: Provisioned, emulation: Emulation
) -> LoadedHandlers:
    from ._wiring import WiringError, read_wiring

    options = stack.options
    loaded = LoadedHandlers()
    stack.progress.step("loading the handlers named in template.yaml...")
    try:
        wiring = read_wiring(stack.template)
        loaded.wiring = wiring
        if options.serve:
            loaded.gateway = _gateway(wiring, stack, emulation)
        if options.pollers:
            loaded.pollers = _pollers(wiring, provisioned.queues, emulation)
        if options.schedules:
            from ._ticker import MinuteTicker

            loaded.ticker = MinuteTicker(
                [(ref.logical_id, emulation.handler(ref)) for ref in wiring.schedules]
            )
        if options.serve and options.http_api:
            loaded.api = http_api(wiring, emulation)
    except WiringError as exc:
        raise LocalStackError(str(exc)) from exc
    except ImportError as exc:
        raise LocalStackError(
            f"importing the handlers or the app failed: {exc}. Fix the import, or run "
            "`make dev` once so .venv has every dependency."
        ) from exc
    except TypeError as exc:  # api_handler() refusing a STEPSTREAM_ROUTES entry at import
        raise LocalStackError(str(exc)) from exc
    return loaded


def _gateway(wiring: Wiring, stack: LocalStack, emulation: Emulation) -> Gateway:
    from ._gateway import Gateway, WebSocketHandlers
    from ._gateway_management import post_latency_ms
    from ._wiring import WiringError

    authorizer = wiring.websocket_authorizer
    if authorizer is None:
        raise WiringError("template.yaml declares no WebSocket authorizer")
    handlers = WebSocketHandlers(
        authorizer=emulation.handler(authorizer),
        connect=emulation.handler(wiring.route("$connect")),
        disconnect=emulation.handler(wiring.route("$disconnect")),
        default=emulation.handler(wiring.route("$default")),
    )
    options = stack.options
    return Gateway(
        handlers,
        limits=options.gateway_limits,
        max_workers=options.gateway_workers,
        post_latency=post_latency_ms(options.post_latency_ms) / 1000,
    )


def _pollers(wiring: Wiring, queue_urls: dict[str, str], emulation: Emulation) -> list[SqsPoller]:
    from ._poller import SqsPoller

    pollers = []
    for trigger in wiring.queues:
        ref = trigger.handler
        function = emulation.lambda_config.function(ref.logical_id)
        mapping = emulation.lambda_config.mapping(trigger.queue, ref.logical_id)
        pollers.append(
            SqsPoller(
                emulation.handler(ref),
                queue_urls[trigger.queue],
                batch_size=trigger.batch_size,
                wait_seconds=1,
                timeout_ms=ref.timeout_seconds * 1000,
                region=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
                max_concurrency=emulation.concurrency(function, mapping),
                batching_window_seconds=mapping.batching_window_seconds,
                environments=lambda n, ref=ref: emulation.handler(ref, n),
                allow_recursion=not emulation.recursion or function.recursive_loop == "Allow",
                function_name=ref.logical_id,
            )
        )
    return pollers


def http_api(wiring: Wiring, emulation: Emulation) -> Any:
    """The HTTP API of the current deployment: each route to its function's ASGI app."""
    from ._http_router import HttpApiRouter, RouteTarget, asgi_app_of
    from ._wiring import WiringError

    apps: dict[str, Any] = {}
    targets = []
    for route in wiring.http_routes:
        function = route.handler.logical_id
        if function not in apps:
            app = asgi_app_of(emulation.load(route.handler))
            if app is None:
                raise WiringError(
                    f"{function}: the dev stack serves an HttpApi function through its ASGI app; "
                    f"its handler {route.handler.handler} is not Mangum(app)"
                )
            apps[function] = emulation.asgi(function, app)
        targets.append(RouteTarget(route.method, route.path, function, apps[function]))
    return HttpApiRouter(targets) if targets else None
