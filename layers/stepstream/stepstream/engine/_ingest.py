"""Event ingestion: validate, dedupe, store, then start runs, resolve waits and cancel runs."""

from __future__ import annotations

import logging
from typing import Any

from .. import _metrics
from .._durations import MAX_DURATION
from .._errors import EventValidationError
from .._event import Event, validate_event
from .._function import Function, TriggerEvent
from .._states import DEDUPE_MS, EVENT_CLAIM_MS, WAIT_SKEW_MS, StepStatus
from ..store import StepRecord
from . import _cel, _faults, _flow, _serde
from ._backends import Backends
from ._followups import resolve_parent
from ._ids import now_ms, ulid, ulid_from
from ._ports import Engine
from ._start import start_run

log = logging.getLogger("stepstream.ingest")


def validate_events(raw: Any) -> list[Event]:
    """One event or a list, checked before anything is stored: one bad event stores none."""
    items = raw if isinstance(raw, list | tuple) else [raw]
    events = [
        validate_event(item, index=i if len(items) > 1 else None) for i, item in enumerate(items)
    ]
    latest = now_ms() + int(MAX_DURATION.total_seconds() * 1000)
    for event in events:
        if event.ts and event.ts > latest:
            raise EventValidationError(
                f"event {event.name!r}: ts {event.ts} is more than a year ahead; a future ts "
                "delays the runs it starts, by at most one year"
            )
    return events


def ingest(engine: Engine, events: list[Event]) -> list[str]:
    """Store each validated event and act on it; returns the event ids. Events whose id was
    seen in the last 24 h are acknowledged with their id and start nothing."""
    _metrics.events_accepted(len(events))
    return [_ingest_one(engine, event) for event in events]


def ingest_from_step(engine: Engine, raw: list[dict[str, Any]], derived: set[str]) -> list[str]:
    """``step.send_event``'s send. An id in ``derived`` (made from the run and step) was only
    claimed before by an earlier execution of this same step body, which did not store its
    result: it died, or its send raised. So an unfinished ingestion of it is taken over at
    once; acknowledged as a duplicate, it would never be finished (the step stores its result
    and is not run again) and the event's runs and waits would be lost."""
    return [_ingest_one(engine, e, takeover=e.id in derived) for e in validate_events(raw)]


def _ingest_one(engine: Engine, event: Event, *, takeover: bool = False) -> str:
    now = now_ms()
    event.id = event.id or ulid()
    event.ts = event.ts or now
    data = event.model_dump(mode="json")
    backends = engine.backends
    state = backends.state
    received = state.claim_event(data, now, now + DEDUPE_MS, EVENT_CLAIM_MS, takeover=takeover)
    if received is None:
        log.info("duplicate event %s ignored", event.id)
        return event.id
    # Everything below is idempotent, so an ingestion that stopped half way can be redone by the
    # next send of the same id once its claim lapses: run ids derive from the event id.
    state.put_event_by_name(data, received)
    engine.fault(_faults.EVENT_STORED, event.id)
    start_at = event.ts / 1000 if event.ts > now else None  # Inngest's delayed start
    for fn in engine.registry.functions_for(event.name):
        if _triggered(fn, data) and _flow.gathers(fn):  # flow control: debounce, batch
            _flow.gather(backends, fn, data, start_run)
        elif _triggered(fn, data):
            run_id = ulid_from(received, f"{event.id}\0{fn.id}")
            start_run(backends, fn, data, run_id=run_id, start_at=start_at)
    resolve_waits(backends, data, received)
    apply_cancels(backends, data)
    state.finish_event(event.id)
    return event.id


def _triggered(fn: Function, event: dict[str, Any]) -> bool:
    return any(
        isinstance(t, TriggerEvent)
        and t.matches(event["name"])
        and _cel.matches(t.if_exp, event=event)
        for t in fn.triggers
    )


def resolve_waits(backends: Backends, event: dict[str, Any], received_at: int) -> None:
    """Resume runs waiting for this event. Resolution is a conditional put of the wait step's
    final record, so only one of an event, a racing executor and a timeout wins. Waits reached
    after the event was received are not for it (that matters when ingestion is redone)."""
    state = backends.state
    for wait in state.waits_for(event["name"]):
        if wait.reached_at > received_at + WAIT_SKEW_MS:
            continue
        if not _cel.matches(wait.expression, event=wait.trigger, **{"async": event}):
            continue
        record = StepRecord(
            wait.step_hash,
            wait.step_id,
            "wait",
            StepStatus.OK,
            output_json=_serde.dumps(event),
            output_type=f"{Event.__module__}:{Event.__qualname__}",
            ended_at=now_ms(),
        )
        won = state.resolve_step(wait.run_id, record, expect=(StepStatus.WAITING,))
        state.delete_wait(wait)
        if won:
            backends.queue.send({"run_id": wait.run_id, "kind": "resume"})


def apply_cancels(backends: Backends, event: dict[str, Any]) -> None:
    state = backends.state
    for cancel in state.cancels_for(event["name"]):
        if 0 < cancel.expires_at < now_ms() / 1000:
            continue  # its CancelOn timeout has passed
        if _cel.matches(
            cancel.expression, event=cancel.trigger, **{"async": event}
        ) and state.cancel_run(cancel.run_id, now_ms()):
            log.info("run %s cancelled by event %s", cancel.run_id, event.get("id"))
            run = state.get_run(cancel.run_id)
            _metrics.run_ended(run)
            if run is not None and run.parent_run_id:
                resolve_parent(backends, run)
