"""The event API (``POST /e/{event_key}``, Inngest's) and the event read routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from .. import _metrics
from .._errors import EventValidationError, PayloadTooLargeError
from ._auth import NoStore, SigningKeyAuth, check_event_key
from ._errors import ApiError, error_responses
from ._models import Envelope, EventIn, EventOut, RunOut, SendResult
from ._query import KnownQueryOnly
from ._seed import SEED_HEADER, assign_seeded_ids
from ._views import event_out, run_out
from ._wire import MAX_EVENTS_PER_REQUEST, check_content_type, parse_events

if TYPE_CHECKING:
    from .._app import Stepstream

_EVENT_SCHEMA = EventIn.model_json_schema()
_SEND_BODY_SCHEMA: dict[str, Any] = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    _EVENT_SCHEMA,
                    {
                        "type": "array",
                        "items": _EVENT_SCHEMA,
                        "minItems": 1,
                        "maxItems": MAX_EVENTS_PER_REQUEST,
                    },
                ]
            }
        }
    },
}

EventId = Annotated[str, Path(min_length=1, max_length=256)]


def event_router(app: Stepstream) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/e/{event_key}",
        tags=["events"],
        summary="Send one event or a list of events",
        response_model=SendResult,
        responses=error_responses(400, 401, 413, 415),
        openapi_extra={"requestBody": _SEND_BODY_SCHEMA},
    )
    async def send_events(request: Request, event_key: str) -> SendResult:
        """Inngest's event API: the official SDKs' ``send()`` posts here. Events with an ``id``
        seen in the last 24 hours start no second run; events without one get ids derived from
        the SDKs' ``x-inngest-event-id-seed`` header, so a retried send is not a second send."""
        try:
            check_event_key(event_key)
            check_content_type(request.headers.get("content-type"))
            encoding = request.headers.get("content-encoding", "identity").strip().lower()
            if encoding not in ("", "identity"):
                raise ApiError(
                    415, f"Content-Encoding {encoding!r} is not accepted; send plain JSON"
                )
            # Read the raw stream ourselves: BodyLimitMiddleware counts it as it arrives, and
            # the wire check needs the bytes to report JSON errors with positions.
            events = parse_events(await request.body())
            assign_seeded_ids(events, request.headers.get(SEED_HEADER))
            ids = await run_in_threadpool(app.send, events)
        except (HTTPException, EventValidationError, PayloadTooLargeError):
            _metrics.events_refused()
            raise
        return SendResult(ids=ids)

    read = APIRouter(
        prefix="/v1", tags=["events"], dependencies=[SigningKeyAuth, NoStore, KnownQueryOnly]
    )

    @read.get(
        "/events", response_model=Envelope[list[EventOut]], responses=error_responses(400, 401)
    )
    def recent_events(
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
    ) -> Envelope[list[EventOut]]:
        """The most recently received events, newest first."""
        return Envelope(data=[event_out(e) for e in app.events.recent(limit=limit)])

    @read.get(
        "/events/{event_id}",
        response_model=Envelope[EventOut],
        responses=error_responses(400, 401, 404),
    )
    def get_event(event_id: EventId) -> Envelope[EventOut]:
        """One received event."""
        event = app.events.get(event_id)
        if event is None:
            raise ApiError(404, f"no event with id {event_id!r} was received in the last 24 hours")
        return Envelope(data=event_out(event))

    @read.get(
        "/events/{event_id}/runs",
        response_model=Envelope[list[RunOut]],
        responses=error_responses(400, 401),
    )
    def runs_of_event(event_id: EventId) -> Envelope[list[RunOut]]:
        """The runs an event started (an empty list if it started none, or is unknown)."""
        return Envelope(data=[run_out(r) for r in app.runs.for_event(event_id)])

    router.include_router(read)
    return router
