"""The dev stack's one ASGI app and the uvicorn server that runs it on one port.

Only requests naming this machine are answered (:mod:`._host_check`, against DNS rebinding).
Routes, first match wins: the WebSocket gateway (``/v1/realtime/connect`` and ``@connections``),
the dashboard and static pages (``/``, ``/dashboard/``, ``/web/``), then everything else to the
HTTP API, each route to its function's app as template.yaml routes it (``_http_router``).
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Callable, Generator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from ..http._factory import cors_origins_from_env
from ._dashboard import DashboardConfig, dashboard_routes, is_loopback
from ._gateway import _DenialLogFilter
from ._gateway_management import ConnectionsFirst
from ._head_guard import HEAD_TIMEOUT, guarded_http
from ._host_check import OwnHostsOnly

if TYPE_CHECKING:
    from ._gateway import Gateway


def build_asgi(
    api: ASGIApp | None,
    gateway: Gateway,
    dashboard: DashboardConfig | None,
    extra_routes: Sequence[BaseRoute] = (),
) -> ASGIApp:
    """``extra_routes`` first (a test's hand on the server), then the gateway, the dashboard
    (None: none) and the API (None: none)."""
    routes = [*extra_routes, *gateway.routes]
    if dashboard is not None:
        routes += dashboard_routes(dashboard)
    if api is not None:
        routes.append(Mount("", app=api))
    app = ConnectionsFirst(Starlette(routes=routes), gateway)  # before routing: posts are hot
    return OwnHostsOnly(LoopbackManagementOnly(app), cors_origins_from_env())


class LoopbackManagementOnly:
    """On AWS, ``@connections`` is reachable only with IAM credentials for this API; the
    emulator checks no signature, so a dev stack listening beyond loopback (``--host 0.0.0.0``)
    would let anyone on the network post to or close every socket. Only loopback callers (the
    stack itself, local tools) may use it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "/@connections" in scope.get("path", ""):
            client = scope.get("client")
            if not is_loopback(client[0] if client else None):
                response = JSONResponse(
                    {"message": "the @connections API of the dev stack answers loopback only"},
                    status_code=403,
                    headers={"x-amzn-ErrorType": "ForbiddenException"},
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class PortInUseError(Exception):
    pass


def bind(host: str, port: int) -> socket.socket:
    """Bind before starting anything slow, so a busy port fails at once with a clear message."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise PortInUseError(
            f"cannot listen on {host}:{port} ({exc.strerror}); is another `make dev` running? "
            "Stop it, or choose another port with --port N or PORT=N"
        ) from exc
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class DevServer(uvicorn.Server):
    """uvicorn, with Ctrl-C meaning "stop cleanly": the signal is not re-raised after the
    graceful shutdown (uvicorn does that by default, which would end in a KeyboardInterrupt
    traceback), and a second Ctrl-C forces the exit. Served from another thread (tests), it
    leaves signals alone: only the main thread may handle them."""

    def __init__(
        self, config: uvicorn.Config, on_started: Callable[[], None] | None = None
    ) -> None:
        super().__init__(config)
        self.on_started = on_started
        self.stop_signal: int | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.on_started is not None:
            self.on_started()

    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def stop(sig: int, frame: FrameType | None) -> None:
            if self.should_exit:
                self.force_exit = True
            self.should_exit = True
            self.stop_signal = sig

        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


_DENIAL_FILTER = _DenialLogFilter()


def server_config(
    app: ASGIApp, *, max_message_bytes: int, head_timeout: float = HEAD_TIMEOUT
) -> uvicorn.Config:
    logging.getLogger("uvicorn.error").addFilter(_DENIAL_FILTER)  # one instance: added once
    return uvicorn.Config(
        app,
        http=guarded_http(head_timeout),  # every request head answered, whatever its size
        ws="websockets-sansio",
        ws_max_size=max_message_bytes,
        ws_ping_interval=None,  # API Gateway sends no ping frames; the gateway counts idleness
        ws_per_message_deflate=True,  # as API Gateway (local/_gateway.py's docstring says why)
        lifespan="off",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=3,
    )
