"""The HTTP API's routing, as API Gateway does it for template.yaml's ``HttpApi`` events: each
request goes to the function whose route matches it best, so a difference between functions
(CORS headers, auth, body limits, IAM) shows locally as it will on AWS.

API Gateway's order: a route whose method is the request's wins over ``ANY``; a path without
variables over one with ``{name}`` variables, over a greedy ``{name+}``; ``$default`` takes what
no route matches (with no ``$default``, 404 ``{"message":"Not Found"}``). ``OPTIONS`` is an
ordinary method: with no CORS configured on the API itself (the template configures none), a
preflight goes to whichever route matches ``OPTIONS``, usually ``$default``.

Each function serves its ASGI app, found in its handler (``Mangum(app)``, under any decorators
that keep ``__wrapped__``): the request reaches the same app the function runs on AWS, not
through Mangum's event translation.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

_VARIABLE = re.compile(r"\\\{([A-Za-z0-9_]+)(\\\+)?\\\}")


@dataclass(frozen=True)
class RouteTarget:
    method: str
    path: str
    """``$default`` or a path as the template writes it."""
    function: str
    app: ASGIApp

    @property
    def rank(self) -> tuple[int, int, int]:
        """Lower is more specific."""
        greedy = "+}" in self.path
        variables = self.path.count("{")
        return (int(greedy), variables, int(self.method == "ANY"))

    def matches(self, method: str, path: str) -> bool:
        if self.path == "$default" or self.method not in ("ANY", method):
            return False
        pattern = _VARIABLE.sub(
            lambda m: ".+" if m.group(2) else "[^/]+", re.escape(self.path.rstrip("/") or "/")
        )
        return re.fullmatch(pattern, path.rstrip("/") or "/") is not None


def asgi_app_of(handler: Any) -> ASGIApp | None:
    """The ASGI app behind a Lambda handler built as ``Mangum(app)``, or None."""
    seen = 0
    node = handler
    while node is not None and seen < 10:
        app = getattr(node, "app", None)
        if type(node).__name__ == "Mangum" and callable(app):
            return app  # type: ignore[no-any-return]
        node, seen = getattr(node, "__wrapped__", None), seen + 1
    return None


class HttpApiRouter:
    """One ASGI app sending each request to its route's function."""

    def __init__(self, targets: Sequence[RouteTarget]) -> None:
        self.routes = sorted((t for t in targets if t.path != "$default"), key=lambda t: t.rank)
        self.default = next((t for t in targets if t.path == "$default"), None)

    def target(self, method: str, path: str) -> RouteTarget | None:
        for route in self.routes:
            if route.matches(method, path):
                return route
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        target = self.target(scope["method"].upper(), scope["path"])
        if target is None:
            body = json.dumps({"message": "Not Found"}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 404,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        await target.app(scope, receive, send)
