"""``create_api``: the FastAPI app serving the event API, the runs API and the token endpoint."""

from __future__ import annotations

import importlib
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI

from ._cors import CORS_ENV, add_cors, cors_origins_from_env
from ._errors import CatchAllMiddleware, install_error_handlers
from ._event_routes import event_router
from ._limits import MAX_BODY_BYTES, BodyLimitMiddleware
from ._models import Health
from ._openapi import make_exact
from ._ops_routes import ops_router
from ._publish_routes import publish_router
from ._realtime_routes import realtime_router
from ._run_routes import run_router

if TYPE_CHECKING:
    from .._app import Stepstream

__all__ = ["CORS_ENV", "ROUTES_ENV", "cors_origins_from_env", "create_api", "routers_from_env"]

ROUTES_ENV = "STEPSTREAM_ROUTES"


def routers_from_env() -> list[APIRouter]:
    """The user's own routers named by ``STEPSTREAM_ROUTES``: comma-separated
    ``module:attribute`` references (e.g. ``app.routes:router``); none when unset."""
    routers = []
    for ref in filter(None, (r.strip() for r in os.environ.get(ROUTES_ENV, "").split(","))):
        module_name, _, attribute = ref.partition(":")
        router = (
            getattr(importlib.import_module(module_name), attribute, None) if attribute else None
        )
        if not isinstance(router, APIRouter):
            raise TypeError(
                f"{ROUTES_ENV} entry {ref!r} is not a module:attribute naming a FastAPI APIRouter"
            )
        routers.append(router)
    return routers


def create_api(
    app: Stepstream,
    *,
    routers: Sequence[APIRouter] = (),
    cors_origins: Sequence[str] | None = None,
    max_body_bytes: int = MAX_BODY_BYTES,
) -> FastAPI:
    """Build the HTTP API for ``app``.

    ``routers`` are the user's own routes (``POST /api/hello-world`` ...), served after the
    built-in ones under the same body limit, CORS and error handling. ``cors_origins`` overrides
    :func:`cors_origins_from_env`. Browsers authenticate with keys in the path or the
    ``Authorization`` header, never cookies, so credentials are not allowed.
    """
    api = FastAPI(
        title="stepstream",
        version="1",
        summary="Durable step functions on your own AWS: event API, runs API, realtime tokens.",
        docs_url="/docs",
        redoc_url=None,
    )
    install_error_handlers(api)
    api.include_router(event_router(app))
    api.include_router(run_router(app))
    api.include_router(ops_router(app))
    api.include_router(realtime_router(app))
    api.include_router(publish_router(app))

    @api.get("/health", tags=["health"], response_model=Health)
    def health() -> Health:
        """Liveness: the process answers. It reads nothing and needs no key."""
        return Health()

    # After every built-in route, so a user's route can add paths but never shadow ours.
    for router in routers:
        api.include_router(router)

    origins = list(cors_origins) if cors_origins is not None else cors_origins_from_env()
    # Added innermost first: the body limit sees the raw stream, CORS answers preflights before
    # anything else, and the catch-all wraps everything the app does.
    api.add_middleware(BodyLimitMiddleware, limit=max_body_bytes)
    add_cors(api, origins)
    api.add_middleware(CatchAllMiddleware)
    make_exact(api)
    return api
