"""Refuse request bodies over a size limit while they stream in, before anything parses them.

``Content-Length`` is checked first so an honest oversized request is refused without reading a
byte, but the header is only a claim: the body is also counted as it arrives, so a chunked body
or one that lies about its length is cut off at the limit too.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ._errors import ApiError, error_response

MAX_BODY_BYTES = 512 * 1024
"""The largest request body any route accepts (the Inngest event API's limit)."""


def _too_large_message(limit: int) -> str:
    return (
        f"request body is larger than the {limit // 1024} KB limit; "
        "send fewer or smaller events per request"
    )


class BodyTooLarge(ApiError):
    """Raised from ``receive`` once the streamed body passes the limit.

    It is an ``HTTPException`` so FastAPI's own body reading lets it through as a 413 instead of
    turning it into a generic 400.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(413, _too_large_message(limit))


class BodyLimitMiddleware:
    """ASGI middleware enforcing ``limit`` bytes on every HTTP request body."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.limit:
            await error_response(413, _too_large_message(self.limit))(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counting_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # a garbled header is left to the server; the count still applies
    return None
