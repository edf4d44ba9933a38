"""``stream_api``: the user's streaming routes alone, for a server that streams its responses.

Behind API Gateway's HTTP API, Mangum hands Lambda the whole response at once, so an SSE route
such as ``POST /api/hello-world`` reaches the browser only when the run has ended. On AWS this app
runs in its own function instead, behind a Function URL in ``RESPONSE_STREAM`` mode: the AWS Lambda
Web Adapter starts ``functions/run_stream.sh`` (uvicorn serving this app) and relays each chunk as
it is written. It serves the routes named by ``STEPSTREAM_ROUTES`` and ``/health`` (the adapter's
readiness check), with the API's body limit, CORS and error handling; the built-in event, runs
and realtime routes stay on the HTTP API.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import APIRouter, FastAPI

from ._cors import add_cors, cors_origins_from_env
from ._errors import CatchAllMiddleware, install_error_handlers
from ._limits import MAX_BODY_BYTES, BodyLimitMiddleware
from ._models import Health


def stream_api(routers: Sequence[APIRouter]) -> FastAPI:
    """``routers`` (the user's routes, which reach their app themselves) and ``/health``, with
    the body limit, CORS and error handling ``create_api`` gives them."""
    api = FastAPI(title="stepstream streaming routes", docs_url=None, redoc_url=None)
    install_error_handlers(api)

    @api.get("/health", tags=["health"], response_model=Health)
    def health() -> Health:
        """Liveness (the Lambda Web Adapter's readiness check): reads nothing."""
        return Health()

    for router in routers:
        api.include_router(router)
    api.add_middleware(BodyLimitMiddleware, limit=MAX_BODY_BYTES)
    add_cors(api, cors_origins_from_env())
    api.add_middleware(CatchAllMiddleware)
    return api
