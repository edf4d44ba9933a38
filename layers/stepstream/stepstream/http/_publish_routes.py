"""``POST /v1/realtime/publish``: Inngest's publish endpoint, for publishers outside a run.

The official SDKs send the message as the body and name the target in the query string:
inngest-py's ``realtime.publish`` sends ``?channel=<c>&topic=<t>`` with the data JSON-encoded;
inngest-js sends ``?channel=<c>&topic=<t>[&topic=...][&run_id=<id>]`` with a string sent as it is
(not JSON-encoded) and anything else JSON-encoded. Both send ``Authorization: Bearer`` with the
signing key's hash. The message goes to every subscriber of each named topic, exactly as
``app.realtime.publish`` from a run would send it.

An HTTP publisher names its channel and topic as strings, so there is no topic type to check the
data against and no history to keep: such messages are live only (as Inngest's are).
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ..realtime._channel import MAX_CHANNEL_LENGTH, check_channel_name
from ..realtime._frames import MAX_SERVER_FRAME_BYTES
from ..realtime._realtime import PublishTooLargeError
from ..realtime._tokens import MAX_TOPICS
from ..realtime._topic import (
    TOPIC_NAME_PATTERN,
    PublishValidationError,
    Topic,
    TopicRef,
    check_name,
)
from ._auth import SigningKeyAuth
from ._errors import ApiError, CatchAllMiddleware, error_responses, install_error_handlers

if TYPE_CHECKING:
    from .._app import Stepstream

PUBLISH_PATH = "/v1/realtime/publish"
MAX_PUBLISH_BYTES = MAX_SERVER_FRAME_BYTES
"""No message bigger than one WebSocket frame can be delivered, so no body bigger is read."""
RUN_ID_PATTERN = r"^[A-Za-z0-9_.:\-]{1,128}$"
_RUN_ID = re.compile(RUN_ID_PATTERN)
_SHAPE = "POST /v1/realtime/publish?channel=<channel>&topic=<topic> with the message as a JSON body"


class PublishedMessage(BaseModel):
    """One message as it went out."""

    topic: str
    """The topic it was published on."""
    id: str
    """The message id subscribers dedupe by."""
    seq: int
    """Its place in the channel's order."""


class PublishResponse(BaseModel):
    """What was published."""

    channel: str
    """The channel named in the query."""
    messages: list[PublishedMessage]
    """One per topic named, in the order named."""


def _target(request: Request) -> tuple[str, list[str], str | None]:
    query = request.query_params
    channels = query.getlist("channel")
    topics = query.getlist("topic")
    run_ids = query.getlist("run_id")
    if len(channels) != 1 or not channels[0]:
        raise ApiError(400, f"name exactly one channel in the query; {_SHAPE}")
    if not topics:
        raise ApiError(400, f"name at least one topic in the query; {_SHAPE}")
    if len(topics) > MAX_TOPICS:
        raise ApiError(400, f"{len(topics)} topics in one publish; at most {MAX_TOPICS}")
    if len(run_ids) > 1 or (run_ids and not _RUN_ID.match(run_ids[0])):
        raise ApiError(400, "run_id must appear once: 1-128 letters, digits and _ . : -")
    try:
        channel = check_channel_name(channels[0])
        names = [check_name(t, "topic") for t in dict.fromkeys(topics)]
    except ValueError as exc:
        raise ApiError(400, str(exc)) from exc
    return channel, names, run_ids[0] if run_ids else None


async def _message(request: Request) -> Any:
    """The body as the message: JSON when it parses; otherwise the text itself, which is how
    inngest-js sends a string. Text that opens like a JSON object or list but does not parse is a
    mistake, not a string, and is refused."""
    if "stream" in request.headers.get("content-type", ""):
        raise ApiError(415, "streamed publishes (text/stream) are not supported; send the message")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_PUBLISH_BYTES:
            raise ApiError(
                413,
                f"the message is over {MAX_PUBLISH_BYTES} bytes, API Gateway's WebSocket frame "
                "limit; publish something smaller (e.g. a link to the data in S3)",
            )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"the body is not UTF-8 text ({exc}); {_SHAPE}") from exc
    if not text.strip():
        raise ApiError(400, f"the body is empty; {_SHAPE}")
    try:
        return json.loads(text)
    except RecursionError as exc:
        raise ApiError(400, "the body nests too deeply") from exc
    except ValueError as exc:
        if text.lstrip()[:1] in ("{", "[", '"'):
            raise ApiError(400, f"the body is not valid JSON ({exc}); {_SHAPE}") from exc
        return text


_QUERY_PARAMETERS: list[dict[str, Any]] = [
    # Read from the raw query (inngest-js repeats ``topic``), so they are written out here for
    # the document.
    {
        "name": "channel",
        "in": "query",
        "required": True,
        "schema": {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_CHANNEL_LENGTH,
            "pattern": r"^[^\u0000-\u001f\u007f]+$",
        },
        "description": "The channel's name: printable text.",
    },
    {
        "name": "topic",
        "in": "query",
        "required": True,
        "style": "form",
        "explode": True,
        "schema": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_TOPICS,
            "items": {"type": "string", "pattern": TOPIC_NAME_PATTERN},
        },
        "description": "The topic, or several (repeated): the message goes to each.",
    },
    {
        "name": "run_id",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "pattern": RUN_ID_PATTERN},
        "description": "The run the message belongs to (the frames' ``runId``).",
    },
]


def publish_router(app: Stepstream | None = None) -> APIRouter:
    """The publish route for ``app`` (``None``: the app ``stepstream.load_app()`` finds)."""
    router = APIRouter(tags=["realtime"], dependencies=[SigningKeyAuth])

    def current_app() -> Any:
        if app is not None:
            return app
        from .._loader import load_app

        return load_app()

    @router.post(
        PUBLISH_PATH,
        response_model=PublishResponse,
        responses=error_responses(400, 401, 413, 415),
        openapi_extra={
            "parameters": _QUERY_PARAMETERS,
            "requestBody": {"content": {"application/json": {}}, "required": True},
        },
    )
    async def publish(request: Request) -> JSONResponse:
        """Publish the body to every subscriber of the channel's named topics."""
        channel, topics, run_id = _target(request)
        data = await _message(request)
        realtime = current_app().realtime
        sent = []
        for name in topics:
            ref = TopicRef(channel, name, Topic(name))
            try:
                frame = await realtime.publish(ref, data, run_id=run_id)
            except PublishTooLargeError as exc:
                raise ApiError(413, str(exc)) from exc
            except PublishValidationError as exc:
                raise ApiError(400, str(exc)) from exc
            sent.append(PublishedMessage(topic=name, id=frame["id"], seq=frame["seq"]))
        return JSONResponse(PublishResponse(channel=channel, messages=sent).model_dump())

    return router


def publish_api(app: Stepstream | None = None) -> FastAPI:
    """A FastAPI app serving only the publish route: what the publish Lambda runs, so that only
    it (and the executor) may post to ``@connections`` on behalf of HTTP callers."""
    api = FastAPI(title="stepstream realtime publish", docs_url=None, redoc_url=None)
    install_error_handlers(api)
    api.include_router(publish_router(app))
    api.add_middleware(CatchAllMiddleware)
    return api
