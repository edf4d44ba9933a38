"""``POST /v1/realtime/token``: Inngest's subscription-token endpoint.

The official SDKs' ``getSubscriptionToken`` sends ``[{"channel", "name", "kind": "run"}, ...]``
(one entry per topic, all for one channel) with ``Authorization: Bearer <signing key>`` (raw or
hashed) and reads ``{"jwt": ...}`` from a 201. The shorter ``{"channel": ..., "topics": [...]}``
is accepted too, and the answer also carries ``key``, ``channel`` and ``topics`` (the shape of
``get_subscription_token``, which stepstream's browser client takes). Who gets a token is the
app's authorize hook (``app.realtime.authorize``); by default only holders of the signing key.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from .._config import Settings
from ..realtime._authorize import TokenRequest, is_allowed, require_signing_key
from ..realtime._channel import MAX_CHANNEL_LENGTH, check_channel_name
from ..realtime._secrets import SecretConfigError
from ..realtime._tokens import MAX_TOPICS, check_topics, mint_token
from ..realtime._topic import TOPIC_NAME_PATTERN
from ._auth import _matches, accepted_signing_tokens
from ._cors import add_cors, cors_origins_from_env
from ._errors import ApiError, CatchAllMiddleware, error_responses, install_error_handlers
from ._limits import BodyLimitMiddleware
from ._openapi import make_exact

if TYPE_CHECKING:
    from .._app import Stepstream

MAX_TOKEN_REQUEST_BYTES = 16 * 1024
"""A channel and 64 topic names fit many times over; anything bigger is not a token request."""
_SHAPE = (
    'send [{"channel": "<channel>", "name": "<topic>", "kind": "run"}, ...] '
    'or {"channel": "<channel>", "topics": ["<topic>", ...]}'
)


_CHANNEL_SCHEMA: dict[str, Any] = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_CHANNEL_LENGTH,
    "pattern": r"^[^\u0000-\u001f\u007f]+$",
    "description": "The channel's name: printable text.",
}
_TOPIC_SCHEMA: dict[str, Any] = {"type": "string", "pattern": TOPIC_NAME_PATTERN}
_TOKEN_BODY: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    {
                        "type": "array",
                        "description": "Inngest's shape: one entry per topic, every entry "
                        "naming the same channel (a token covers one channel; entries naming "
                        "several are refused with 400).",
                        "minItems": 1,
                        "maxItems": MAX_TOPICS,
                        "items": {
                            "type": "object",
                            "required": ["channel", "name"],
                            "properties": {
                                "channel": _CHANNEL_SCHEMA,
                                "name": _TOPIC_SCHEMA,
                                "kind": {"const": "run"},
                            },
                        },
                    },
                    {
                        "type": "object",
                        "required": ["channel", "topics"],
                        "properties": {
                            "channel": _CHANNEL_SCHEMA,
                            "topics": {
                                "type": "array",
                                "minItems": 1,
                                "maxItems": MAX_TOPICS,
                                "items": _TOPIC_SCHEMA,
                            },
                        },
                    },
                ]
            }
        }
    },
}


class TokenResponse(BaseModel):
    """The minted token, as the Inngest SDKs read it."""

    jwt: str
    """An HS256 JWT for ``/v1/realtime/connect?token=...``, valid for 60 s."""
    key: str
    """The same token, under the name ``get_subscription_token`` uses."""
    channel: str
    """The one channel it grants."""
    topics: list[str]
    """The topics of that channel it grants."""


def _has_signing_key(authorization: str | None) -> bool:
    if not authorization:
        return False
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    try:
        tokens = accepted_signing_tokens(Settings.from_env())
    except ApiError as exc:
        if exc.status_code == 401:  # the development key on Lambda proves nothing
            return False
        raise
    return _matches(token.strip(), tokens)


def _parse(body: bytes) -> tuple[str, list[str]]:
    if len(body) > MAX_TOKEN_REQUEST_BYTES:
        raise ApiError(
            413, f"the token request is {len(body)} bytes; the limit is {MAX_TOKEN_REQUEST_BYTES}"
        )
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ApiError(400, f"the body is not valid JSON ({exc}); {_SHAPE}") from exc
    if isinstance(document, dict):
        document = _entries(document)
    if not isinstance(document, list) or not document:
        raise ApiError(400, f"the body must be a non-empty JSON list; {_SHAPE}")
    if len(document) > MAX_TOPICS:
        raise ApiError(
            400, f"{len(document)} topics in one request; a token allows at most {MAX_TOPICS}"
        )
    channels: set[str] = set()
    topics: list[str] = []
    for index, entry in enumerate(document):
        if not isinstance(entry, dict):
            raise ApiError(400, f"[{index}] must be an object; {_SHAPE}")
        channel, name, kind = entry.get("channel"), entry.get("name"), entry.get("kind", "run")
        if not isinstance(channel, str) or not isinstance(name, str):
            raise ApiError(400, f"[{index}] needs string 'channel' and 'name'; {_SHAPE}")
        if kind != "run":
            raise ApiError(400, f"[{index}].kind is {kind!r}; only 'run' is supported")
        channels.add(channel)
        topics.append(name)
    if len(channels) > 1:
        raise ApiError(
            400,
            f"the request names {len(channels)} channels; a token covers one channel, so ask "
            "for one token per channel",
        )
    (channel,) = channels
    try:
        return check_channel_name(channel), check_topics(topics)
    except ValueError as exc:
        raise ApiError(400, str(exc)) from exc


def _entries(document: dict[str, Any]) -> list[Any]:
    """``{"channel", "topics"}`` as the list of entries Inngest's shape would have."""
    channel, topics = document.get("channel"), document.get("topics")
    if not isinstance(channel, str) or not isinstance(topics, list):
        raise ApiError(400, f"an object body needs string 'channel' and list 'topics'; {_SHAPE}")
    return [{"channel": channel, "name": t} for t in topics]


def realtime_router(app: Stepstream | None = None) -> APIRouter:
    """The token route for ``app`` (``None``: the app ``stepstream.load_app()`` finds)."""
    router = APIRouter(tags=["realtime"])

    def current_app() -> Any:
        if app is not None:
            return app
        from .._loader import load_app

        return load_app()

    @router.post(
        "/v1/realtime/token",
        status_code=201,
        response_model=TokenResponse,
        responses=error_responses(400, 401, 413),
        openapi_extra={"requestBody": _TOKEN_BODY},
    )
    async def create_token(request: Request) -> JSONResponse:
        """Mint a subscription token for one channel and its topics."""
        channel, topics = _parse(await request.body())
        the_app = current_app()
        authorization = request.headers.get("authorization")
        key_ok = _has_signing_key(authorization)
        realtime = getattr(the_app, "realtime", None)
        hook = getattr(realtime, "authorize", require_signing_key)
        asked = TokenRequest(
            app_id=the_app.id,
            channel=channel,
            topics=tuple(topics),
            signing_key_ok=key_ok,
            headers={k.lower(): v for k, v in request.headers.items()},
        )
        if not await is_allowed(hook, asked):
            if not key_ok:
                raise ApiError(
                    401,
                    "not allowed: send 'Authorization: Bearer <signing key>' (the raw key or "
                    "its Inngest hash), or satisfy the app's realtime authorize hook",
                    {"WWW-Authenticate": "Bearer"},
                )
            raise ApiError(403, f"the authorize hook refused channel {channel!r}")
        try:
            jwt = mint_token(app_id=the_app.id, channel=channel, topics=topics)
        except SecretConfigError as exc:
            raise ApiError(500, f"the realtime JWT secret is misconfigured: {exc}") from exc
        answer = TokenResponse(jwt=jwt, key=jwt, channel=channel, topics=topics)
        return JSONResponse(answer.model_dump(), status_code=201)

    return router


router = realtime_router()
"""The route for the app ``stepstream.load_app()`` finds (what ``create_api`` includes)."""


def token_api(app: Stepstream | None = None) -> FastAPI:
    """A FastAPI app serving only the token route: what the token Lambda runs, so that only it
    (and the WebSocket authorizer) needs to read the JWT secret. It answers browsers with the
    same CORS policy as the API (``STEPSTREAM_CORS_ORIGINS``): on AWS the preflight goes to the
    API function and the POST comes here, and the browser needs CORS headers on both."""
    api = FastAPI(title="stepstream realtime tokens", docs_url=None, redoc_url=None)
    install_error_handlers(api)
    api.include_router(realtime_router(app))
    api.add_middleware(BodyLimitMiddleware, limit=MAX_TOKEN_REQUEST_BYTES)
    add_cors(api, cors_origins_from_env())
    api.add_middleware(CatchAllMiddleware)
    make_exact(api)
    return api
