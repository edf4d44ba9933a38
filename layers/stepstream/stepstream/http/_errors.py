"""One error shape for every response the HTTP API refuses: ``{"error": "...", "status": N}``.

The ``error`` key is also what the official Inngest SDKs read from a failed ``send()``, so their
exceptions carry our message unchanged.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._errors import EventValidationError, PayloadTooLargeError

_log = logging.getLogger("stepstream.http")


class ErrorBody(BaseModel):
    """What every 4xx/5xx response of this API carries."""

    error: str
    """What was wrong and what to do about it."""
    status: int
    """The HTTP status code, repeated for clients that only see the body."""


class ApiError(HTTPException):
    """A refusal with a message meant for the caller."""

    def __init__(self, status_code: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(status_code=status_code, detail=message, headers=headers)


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    body = ErrorBody(error=message, status=status)
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


# Responses every route can produce, for the OpenAPI schema.
def error_responses(*statuses: int) -> dict[int | str, dict[str, object]]:
    descriptions = {
        400: "The request is malformed; `error` names the field and what is wrong.",
        401: "The key is missing or wrong; `error` says which key to send and how.",
        404: "Nothing with that id exists.",
        409: "The request conflicts with the current state (e.g. the run has finished).",
        413: "The body is larger than the limit.",
        415: "The body is not JSON.",
        422: "The request is well formed but cannot be done; `error` says why.",
    }
    return {s: {"model": ErrorBody, "description": descriptions[s]} for s in statuses}


def allowed_methods(request: Request) -> list[str]:
    """Every method some route of the app serves at the request's path."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, BaseRoute):
            match, _ = route.matches(request.scope)
            if match == Match.PARTIAL:  # the path matched, the method did not
                methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def _describe_validation(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        location = ".".join(str(p) for p in err.get("loc", ()) if p not in ("query", "path"))
        parts.append(f"{location}: {err.get('msg', 'invalid')}")
    return "invalid request: " + "; ".join(parts)


def install_error_handlers(api: FastAPI) -> None:
    """Make every refusal, including FastAPI's own, use :class:`ErrorBody`."""

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, HTTPException)
        headers = dict(exc.headers or {})
        if exc.status_code == 404 and exc.detail == "Not Found":
            message = "no such route; see /docs for the routes this API serves"
        elif exc.status_code == 405:
            message = "method not allowed on this route; see /docs for the methods it accepts"
            # Starlette names only the first route matching the path; several share some.
            headers["Allow"] = ", ".join(allowed_methods(request))
        else:
            message = str(exc.detail)
        return error_response(exc.status_code, message, headers or None)

    async def on_validation_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return error_response(400, _describe_validation(exc))

    async def on_event_error(_request: Request, exc: Exception) -> JSONResponse:
        return error_response(400, str(exc))

    async def on_too_large(_request: Request, exc: Exception) -> JSONResponse:
        return error_response(413, str(exc))

    api.add_exception_handler(HTTPException, on_http_error)
    api.add_exception_handler(RequestValidationError, on_validation_error)
    api.add_exception_handler(EventValidationError, on_event_error)
    api.add_exception_handler(PayloadTooLargeError, on_too_large)


class CatchAllMiddleware:
    """Turn an unexpected exception into a JSON 500 without internals.

    Starlette's own ``Exception`` handler re-raises after answering, which Mangum and uvicorn
    then report as a crash; catching here ends the request cleanly and logs the traceback once.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            _log.exception("unhandled error in the HTTP API")
            if started:
                raise
            response = error_response(500, "internal error; the server log has details, retry")
            await response(scope, receive, send)
