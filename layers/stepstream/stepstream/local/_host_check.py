"""Which ``Host`` and ``Origin`` the dev stack answers: its own addresses, never a stranger's name.

A page on ``evil.example`` can make its own name resolve to 127.0.0.1 (DNS rebinding); the
browser then treats the dev stack as that page's origin and lets it read the dashboard's keys
and call every route. Such a request still says ``Host: evil.example``. A request is answered
only when its ``Host`` is an address (an IP literal), ``localhost`` or ``*.localhost``, or this
machine's own name, and when its ``Origin``, if it sends one, is one of those too or is allowed
by ``STEPSTREAM_CORS_ORIGINS``. A rebinding attacker controls a name, never an IP literal.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Collection
from functools import cache
from urllib.parse import urlsplit

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send


@cache
def _machine_names() -> frozenset[str]:
    names = {socket.gethostname(), socket.getfqdn()}
    return frozenset(name.lower() for name in names if name)


def _hostname(host: str) -> str:
    """``host`` of ``host[:port]`` or ``[v6]:port``, lowercased."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def own_name(host: str | None) -> bool:
    """Whether ``host`` (a ``Host`` header or a host name) names this machine."""
    if not host:
        return False
    name = _hostname(host).rstrip(".")
    if name == "localhost" or name.endswith(".localhost") or name in _machine_names():
        return True
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def origin_allowed(origin: str | None, cors_origins: Collection[str] = ()) -> bool:
    """No ``Origin`` (not a browser, or a same-origin GET) is allowed; otherwise it must name
    this machine, or be listed in ``cors_origins`` (``*``: any)."""
    if origin is None:
        return True
    if "*" in cors_origins or origin in cors_origins:
        return True
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and own_name(parts.netloc)


def request_allowed(headers: dict[str, str], cors_origins: Collection[str] = ()) -> bool:
    """``headers``: lowercased names. A request with no ``Host`` (HTTP/1.0) is not a browser's."""
    host = headers.get("host")
    return (host is None or own_name(host)) and origin_allowed(headers.get("origin"), cors_origins)


class OwnHostsOnly:
    """ASGI middleware refusing (403, or a WebSocket closed before it opens) any request whose
    ``Host`` or ``Origin`` is not this machine's, so no route answers a rebound name."""

    def __init__(self, app: ASGIApp, cors_origins: Collection[str] = ()) -> None:
        self.app = app
        self.cors_origins = frozenset(cors_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            headers = {
                k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]
            }
            if not request_allowed(headers, self.cors_origins):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008})
                    return
                response = JSONResponse(
                    {
                        "error": "this dev stack answers only its own addresses (localhost, an "
                        "IP address or this machine's name)"
                    },
                    status_code=403,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
