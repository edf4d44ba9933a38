"""A local API Gateway WebSocket API: the same Lambda handlers, the same events, the same limits.

It accepts sockets at ``/v1/realtime/connect`` and runs, in this order and with the events AWS
sends: the REQUEST authorizer (an exception ``"Unauthorized"`` → HTTP 401, a Deny policy → 403,
both before the socket opens), ``$connect`` (a non-2xx ``statusCode`` refuses the socket with
that status), ``$default`` for every client message, and ``$disconnect`` once the socket is gone.
Handlers run on worker threads, as separate Lambda invocations would; a connection's messages
are handed to ``$default`` one at a time, in arrival order. Servers post to sockets through
``@connections`` (:mod:`._gateway_management`), exactly as on AWS. Nothing here keeps a socket
alive that API Gateway would close:

- a client message over 128 KB closes the socket with 1009 "Message too big" (AWS's behaviour,
  per its WebSocket quotas page); a ``@connections`` post over 128 KB answers 413;
- 10 minutes without a message in either direction closes it with 1001 "Going away";
- 2 hours after connecting it is closed with 1001 "Going away" whatever its activity;
- a connect whose request line or headers are too long is answered 414 or 431, and one whose
  head is not complete in 10 seconds 408 (:mod:`._head_guard`, in front of the handshake).

A socket's messages wait for ``$default`` in a bounded queue: a client that has more than
``max_queued_messages`` (or ``max_queued_bytes``) waiting is closed with 1008 "Too many queued
messages", so one flooding client cannot starve the others or grow the process. Messages still
queued when a client leaves are dropped, not handed to ``$default``.

The socket layer itself is API Gateway's too: no ping frames from the server (a socket's only
keepalive is a message, as ``realtime/_keepalive.py`` and the clients' own pings send), and
permessage-deflate negotiated when the client offers it. API Gateway accepts that extension:
python-websockets changed its client's default window after API Gateway mishandled the offer
``client_max_window_bits=12`` (https://github.com/python-websockets/websockets/issues/1065), so
turning compression off here would make the local sockets cheaper but less like AWS's.

All of these are :class:`GatewayLimits` fields so tests can shorten them. The 32 KB *frame* quota is
not emulated: ASGI delivers reassembled messages, so fragment sizes are invisible here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.types import ASGIApp
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from ._gateway_events import ConnectionInfo, Event, LambdaContext, policy_effect
from ._gateway_management import ConnectionsFirst, management_routes
from ._head_guard import HEAD_TIMEOUT, guarded_http

log = logging.getLogger("stepstream.gateway")

LambdaHandler = Callable[[Event, Any], Any]
CONNECT_PATH = "/v1/realtime/connect"
MESSAGE_TOO_BIG = 1009
GOING_AWAY = 1001
TOO_MANY_QUEUED = 1008
MAX_URL_LENGTH = 4096


@dataclass(frozen=True)
class GatewayLimits:
    """API Gateway's WebSocket quotas; shorten them in tests, never lengthen them."""

    max_message_bytes: int = 128 * 1024
    """Largest message either way; bigger client messages close the socket with 1009."""
    idle_timeout: float = 600.0
    """Seconds without a message in either direction before the socket is closed."""
    max_duration: float = 7200.0
    """Seconds after connecting when the socket is closed regardless of activity."""
    max_queued_messages: int = 256
    """Messages of one socket waiting for ``$default``; one more closes it with 1008."""
    max_queued_bytes: int = 4 * 1024 * 1024
    """Bytes of one socket's messages waiting for ``$default``; more closes it with 1008."""
    head_timeout: float = HEAD_TIMEOUT
    """Seconds a client has to send its request line and headers; then 408 and closed."""


@dataclass(frozen=True)
class WebSocketHandlers:
    """The four Lambda handlers of the WebSocket API, called as ``handler(event, context)``."""

    authorizer: LambdaHandler
    connect: LambdaHandler
    disconnect: LambdaHandler
    default: LambdaHandler


class Connection:
    """One open socket, as the management API sees it."""

    def __init__(self, info: ConnectionInfo, websocket: WebSocket, authorizer: Event) -> None:
        self.info = info
        self.authorizer = authorizer
        self.last_active_ms = info.connected_at_ms
        self._websocket = websocket
        self._send_lock = asyncio.Lock()
        self.closed = False
        self.queued_bytes = 0
        """Size of the messages received and not yet handed to ``$default``."""

    def touch(self) -> None:
        self.last_active_ms = int(time.time() * 1000)

    async def send(self, data: bytes) -> bool:
        """Send one message; False if the socket is already gone."""
        async with self._send_lock:
            if self.closed or self._websocket.application_state != WebSocketState.CONNECTED:
                return False
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = None
            try:
                if text is None:
                    await self._websocket.send_bytes(data)
                else:
                    await self._websocket.send_text(text)
            except (OSError, RuntimeError, WebSocketDisconnect):
                self.closed = True
                return False
            self.touch()
            return True

    async def close(self, code: int, reason: str) -> None:
        async with self._send_lock:
            if self.closed:
                return
            self.closed = True
            with contextlib.suppress(OSError, RuntimeError, WebSocketDisconnect):
                await self._websocket.close(code, reason)


class Gateway:
    """The emulated WebSocket API. Serve :attr:`app` alone, or add :attr:`routes` to another
    Starlette/FastAPI app so one port serves HTTP and WebSocket together."""

    def __init__(
        self,
        handlers: WebSocketHandlers,
        *,
        limits: GatewayLimits | None = None,
        api_id: str = "local",
        stage: str = "local",
        path: str = CONNECT_PATH,
        max_workers: int = 32,
        post_latency: float = 0.0,
    ) -> None:
        self.handlers = handlers
        self.post_latency = post_latency
        """Seconds every ``@connections`` call waits, as an HTTPS round trip to AWS would."""
        self.limits = limits or GatewayLimits()
        self.api_id = api_id
        self.stage = stage
        self.path = path
        self._connections: dict[str, Connection] = {}
        self._executor = ThreadPoolExecutor(max_workers, thread_name_prefix="ws-lambda")

    @cached_property
    def routes(self) -> list[BaseRoute]:
        return [WebSocketRoute(self.path, self._serve), *management_routes(self)]

    @cached_property
    def app(self) -> ASGIApp:
        return ConnectionsFirst(Starlette(routes=self.routes), self)

    def connection(self, connection_id: str) -> Connection | None:
        return self._connections.get(connection_id)

    def connection_ids(self) -> list[str]:
        return list(self._connections)

    def attach(self, connection_id: str, connection: Any) -> None:
        """Serve ``@connections`` calls for a connection without a socket: ``connection`` is
        anything with ``async send(data: bytes) -> bool`` and ``last_active_ms`` (benchmarks
        emulate more subscribers than one process can hold sockets for; everything up to the
        socket write is real)."""
        self._connections[connection_id] = connection

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _invoke(self, name: str, handler: LambdaHandler, event: Event) -> Any:
        loop = asyncio.get_running_loop()
        context = LambdaContext(function_name=f"{self.api_id}-{name}")
        return await loop.run_in_executor(self._executor, handler, event, context)

    async def _deny(self, websocket: WebSocket, status: int, body: Any) -> None:
        if "websocket.http.response" in websocket.scope.get("extensions", {}):
            await websocket.send_denial_response(JSONResponse(body, status_code=status))
        else:  # a server without the denial extension can only refuse with 403
            await websocket.close(1008)

    async def _authorize(self, websocket: WebSocket, info: ConnectionInfo) -> Event | None:
        try:
            policy = await self._invoke(
                "authorizer", self.handlers.authorizer, info.authorizer_event()
            )
        except Exception as exc:  # the authorizer's way to say 401 is to raise "Unauthorized"
            if str(exc) == "Unauthorized":
                await self._deny(websocket, 401, {"message": "Unauthorized"})
            else:
                log.exception("authorizer failed")
                await self._deny(websocket, 500, {"message": "Internal server error"})
            return None
        try:
            effect = policy_effect(policy, info.method_arn())
        except ValueError:
            log.exception("authorizer returned a malformed policy")
            await self._deny(websocket, 500, {"message": "Internal server error"})
            return None
        if effect != "Allow":
            await self._deny(websocket, 403, {"message": "Forbidden"})
            return None
        context = dict(policy.get("context") or {})
        context["principalId"] = policy.get("principalId", "")
        return context

    async def _serve(self, websocket: WebSocket) -> None:
        target = len(websocket.scope.get("raw_path") or b"") + len(
            websocket.scope.get("query_string") or b""
        )
        if target > MAX_URL_LENGTH:  # API Gateway's quota on a WebSocket URL's length
            await self._deny(websocket, 414, {"message": "Request-URI Too Long"})
            return
        info = ConnectionInfo.from_scope(websocket.scope, api_id=self.api_id, stage=self.stage)
        authorizer = await self._authorize(websocket, info)
        if authorizer is None:
            return
        try:
            answer = await self._invoke(
                "connect", self.handlers.connect, info.connect_event(authorizer)
            )
        except Exception:
            log.exception("$connect handler failed")
            await self._deny(websocket, 500, {"message": "Internal server error"})
            return
        status = answer.get("statusCode", 200) if isinstance(answer, dict) else 200
        if not 200 <= int(status) < 300:
            body = answer.get("body") if isinstance(answer, dict) else None
            await self._deny(websocket, int(status), {"message": body or "Forbidden"})
            return
        await websocket.accept()
        conn = Connection(info, websocket, authorizer)
        self._connections[info.connection_id] = conn
        code, reason = 1006, ""
        inbox: asyncio.Queue[str | bytes | None] = asyncio.Queue()
        dispatcher = asyncio.create_task(self._dispatch(conn, inbox))
        try:
            code, reason = await self._receive_loop(conn, websocket, inbox)
        finally:
            conn.closed = True
            self._connections.pop(info.connection_id, None)
            while not inbox.empty():  # the client left: what it queued is not processed
                inbox.get_nowait()
            inbox.put_nowait(None)
            await dispatcher
            try:
                await self._invoke(
                    "disconnect", self.handlers.disconnect, info.disconnect_event(code, reason)
                )
            except Exception:
                log.exception("$disconnect handler failed")

    async def _receive_loop(
        self, conn: Connection, websocket: WebSocket, inbox: asyncio.Queue[str | bytes | None]
    ) -> tuple[int, str]:
        limits = self.limits
        ends_at = conn.info.connected_at_ms / 1000 + limits.max_duration
        while True:
            now = time.time()
            deadline = min(conn.last_active_ms / 1000 + limits.idle_timeout, ends_at)
            if now >= deadline:
                await conn.close(GOING_AWAY, "Going away")
                return GOING_AWAY, "Going away"
            try:
                message = await asyncio.wait_for(websocket.receive(), deadline - now)
            except TimeoutError:
                continue  # re-check: a server post may have moved the idle deadline
            if message["type"] == "websocket.disconnect":
                return int(message.get("code", 1005)), str(message.get("reason") or "")
            body: str | bytes | None = message.get("text")
            if body is None:
                body = message.get("bytes") or b""
            size = len(body.encode("utf-8") if isinstance(body, str) else body)
            if size > limits.max_message_bytes:
                await conn.close(MESSAGE_TOO_BIG, "Message too big")
                return MESSAGE_TOO_BIG, "Message too big"
            conn.touch()
            if (
                inbox.qsize() >= limits.max_queued_messages
                or conn.queued_bytes + size > limits.max_queued_bytes
            ):
                await conn.close(TOO_MANY_QUEUED, "Too many queued messages")
                return TOO_MANY_QUEUED, "Too many queued messages"
            conn.queued_bytes += size
            inbox.put_nowait(body)

    async def _dispatch(self, conn: Connection, inbox: asyncio.Queue[str | bytes | None]) -> None:
        while (body := await inbox.get()) is not None:
            conn.queued_bytes -= len(body.encode("utf-8") if isinstance(body, str) else body)
            if conn.closed:
                continue  # drained by _serve; never hand a departed client's message on
            try:
                await self._invoke(
                    "default", self.handlers.default, conn.info.message_event(body, conn.authorizer)
                )
            except Exception:
                log.exception("$default handler failed")


@dataclass
class RunningGateway:
    """A gateway served by uvicorn on a loopback port, in a background thread."""

    gateway: Gateway
    server: uvicorn.Server
    thread: threading.Thread
    base_url: str

    @property
    def ws_url(self) -> str:
        return "ws" + self.base_url.removeprefix("http") + self.gateway.path

    @property
    def management_url(self) -> str:
        """What ``STEPSTREAM_WS_MANAGEMENT_URL`` should be (boto3 appends ``/@connections``)."""
        return self.base_url

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.gateway.shutdown()


class _DenialLogFilter(logging.Filter):
    """uvicorn's websockets-sansio protocol logs an error after a correct HTTP denial response
    (it never marks that handshake complete); a refused connection is not an error here."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing handshake" not in record.getMessage()


def serve_in_thread(
    gateway: Gateway, host: str = "127.0.0.1", port: int = 0, *, asgi: Any = None
) -> RunningGateway:
    """Serve ``gateway`` on ``host:port`` (0: a free port) until :meth:`RunningGateway.stop`;
    ``asgi``: serve this app instead, one that includes ``gateway.routes`` (with an HTTP API)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    config = uvicorn.Config(
        asgi if asgi is not None else gateway.app,
        http=guarded_http(gateway.limits.head_timeout),
        ws="websockets-sansio",
        ws_max_size=gateway.limits.max_message_bytes,
        ws_ping_interval=None,  # API Gateway sends no ping frames; idleness is counted honestly
        ws_per_message_deflate=True,  # as API Gateway (see the module's docstring)
        lifespan="off",
        log_level="warning",
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    logging.getLogger("uvicorn.error").addFilter(_DenialLogFilter())
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the local WebSocket gateway did not start")
        time.sleep(0.01)
    bound_host, bound_port = sock.getsockname()[:2]
    return RunningGateway(gateway, server, thread, f"http://{bound_host}:{bound_port}")
