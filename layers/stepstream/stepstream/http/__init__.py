"""The HTTP API: Inngest's event API, the runs API and the realtime token endpoint, as one
FastAPI app. ``functions/api.py`` serves it on Lambda through Mangum; anything ASGI serves it
locally."""

from ._auth import hashed_signing_key
from ._factory import create_api, routers_from_env
from ._limits import MAX_BODY_BYTES
from ._publish_routes import publish_api
from ._realtime_routes import token_api
from ._stream_api import stream_api
from ._wire import MAX_EVENTS_PER_REQUEST

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_EVENTS_PER_REQUEST",
    "create_api",
    "hashed_signing_key",
    "publish_api",
    "routers_from_env",
    "stream_api",
    "token_api",
]
