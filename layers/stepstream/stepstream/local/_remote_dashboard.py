"""``stepstream dashboard --url https://<api>``: the dev dashboard for a deployed stack, served
on this machine and calling the deployed API.

The signing key never reaches the browser. The page is given a random per-process session
token in its place; this server forwards ``/v1``, ``/e`` and ``/health`` to the deployed API,
swapping the token for the real key (or event key). It binds to loopback, refuses requests from
other hosts, and refuses a ``Host`` header that is not its own (DNS rebinding), so neither a
stranger on the network nor another web page in the same browser can use the key: other
origins cannot read the page, so they never learn the token.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ._cli_http import Target
from ._dashboard import DashboardConfig, dashboard_routes, is_loopback

FORWARDED = ("/v1/", "/e/", "/health")
_HOP_HEADERS = {"host", "authorization", "content-length", "connection", "accept-encoding"}


@dataclass
class RemoteDashboard:
    target: Target
    token: str = field(default_factory=lambda: "session-" + secrets.token_urlsafe(24))
    """What the page presents instead of the keys."""

    def asgi(self) -> ASGIApp:
        """The dashboard and the forwarding routes, behind the loopback and ``Host`` checks."""

        def page_config(_request: Request) -> dict[str, Any]:
            return {"signingKey": self.token, "eventKey": self.token, "demos": []}

        app = Starlette(
            routes=[
                Route("/v1/{rest:path}", self._forward, methods=["GET", "POST", "DELETE"]),
                Route("/e/{rest:path}", self._forward, methods=["POST"]),
                Route("/health", self._forward, methods=["GET"]),
                *dashboard_routes(DashboardConfig(web_dir=None, loopback_only=True), page_config),
            ]
        )

        async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == "http":
                refusal = self._guard(Request(scope))
                if refusal is not None:
                    await refusal(scope, receive, send)
                    return
            await app(scope, receive, send)

        return guarded

    def _guard(self, request: Request) -> Response | None:
        client = request.client.host if request.client else None
        if not is_loopback(client):
            return _refuse(403, "this dashboard answers only on this machine")
        host = (request.headers.get("host") or "").rsplit(":", 1)[0].strip("[]")
        if not is_loopback(host):
            return _refuse(403, f"unexpected Host {host!r}; open the dashboard at 127.0.0.1")
        return None

    async def _forward(self, request: Request) -> Response:
        path = request.url.path
        if path.startswith("/e/"):
            if path.removeprefix("/e/") != self.token:
                return _refuse(401, "unknown session; reload the dashboard")
            path = f"/e/{self.target.event_key}"
            headers: dict[str, str] = {}
        elif path == "/health":
            headers = {}
        else:
            if request.headers.get("authorization") != f"Bearer {self.token}":
                return _refuse(401, "unknown session; reload the dashboard")
            headers = {"Authorization": f"Bearer {self.target.signing_key}"}
        headers.update({k: v for k, v in request.headers.items() if k.lower() not in _HOP_HEADERS})
        async with httpx.AsyncClient(timeout=30) as client:
            try:
                answer = await client.request(
                    request.method,
                    self.target.url + path,
                    params=request.query_params,
                    content=await request.body(),
                    headers=headers,
                )
            except httpx.HTTPError as exc:
                return _refuse(502, f"cannot reach {self.target.url}: {exc}")
        return Response(
            answer.content,
            status_code=answer.status_code,
            media_type=answer.headers.get("content-type"),
        )


def _refuse(status: int, message: str) -> Response:
    return JSONResponse({"error": message, "status": status}, status_code=status)


def serve_remote_dashboard(target: Target, port: int) -> int:
    """Serve until Ctrl-C; prints where."""
    import uvicorn

    dashboard = RemoteDashboard(target)
    print(f"dashboard for {target.url} at http://127.0.0.1:{port}/ (Ctrl-C stops)", flush=True)
    uvicorn.run(dashboard.asgi(), host="127.0.0.1", port=port, log_level="warning")
    return 0
