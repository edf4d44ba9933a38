"""Event ingestion: validate, dedupe, store, then start runs, resolve waits and cancel runs."""

from __future__ import annotations

import hashlib
import logging
from typing import TYPE_CHECKING, Any

from .._event import Event, validate_event
from .._function import Function, TriggerEvent
from .._states import DEDUPE_MS, EVENT_CLAIM_MS, WAIT_SKEW_MS
from ..store import CancelRecord, RunRecord, StepRecord
from . import _cel, _faults, _serde
from ._backends import Backends
from ._ids import now_ms, ulid, ulid_from

if TYPE_CHECKING:
    from .._app import Stepstream

CANCEL_LIFETIME_S = 367 * 86400
log = logging.getLogger("stepstream.ingest")


def ingest(app: Stepstream, raw: Any) -> list[str]:
    """Store each event (one or a list) and act on it; returns the event ids. Events whose id
    was seen in the last 24 h are acknowledged with their id and start nothing."""
    items = raw if isinstance(raw, list | tuple) else [raw]
    events = [
        validate_event(item, index=i if len(items) > 1 else None) for i, item in enumerate(items)
    ]
    backends = app.backends()
    ids = []
    for event in events:
        ids.append(_ingest_one(app, backends, event))
    return ids


def _ingest_one(app: Stepstream, backends: Backends, event: Event) -> str:
    now = now_ms()
    event.id = event.id or ulid()
    event.ts = event.ts or now
    data = event.model_dump(mode="json")
    state = backends.state
    received = state.claim_event(data, now, now + DEDUPE_MS, EVENT_CLAIM_MS)
    if received is None:
        log.info("duplicate event %s ignored", event.id)
        return event.id
    # Everything below is idempotent, so an ingestion that stopped half way can be redone by the
    # next send of the same id once its claim lapses: run ids derive from the event id.
    state.put_event_by_name(data, received)
    if app.fault_hook is not None:
        app.fault_hook(_faults.EVENT_STORED, event.id, "")
    for fn in app.functions_for(event.name):
        if _triggered(fn, data):
            run_id = ulid_from(received, f"{event.id}\0{fn.id}")
            start_run(app, backends, fn, data, run_id=run_id)
    resolve_waits(app, backends, data, received)
    apply_cancels(backends, data)
    state.finish_event(event.id)
    return event.id


def _triggered(fn: Function, event: dict[str, Any]) -> bool:
    return any(
        isinstance(t, TriggerEvent)
        and t.event == event["name"]
        and _cel.matches(t.if_exp, event=event)
        for t in fn.triggers
    )


def start_run(
    app: Stepstream,
    backends: Backends,
    fn: Function,
    event: dict[str, Any],
    *,
    run_id: str | None = None,
    parent: tuple[str, str, str] | None = None,
) -> RunRecord | None:
    """Create a queued run of ``fn`` for ``event`` and queue it; None if the idempotency key
    was used in the last 24 h or a run with ``run_id`` exists already."""
    state = backends.state
    now = now_ms()
    run_id = run_id or ulid()
    if fn.idempotency:
        key = _cel.to_key(fn.idempotency, event=event)
        digest = hashlib.sha1(key.encode()).hexdigest()
        if not state.claim_key(f"IDEM#{fn.id}#{digest}", run_id, now + DEDUPE_MS, now):
            log.info("idempotency key %r of %s used already; no run", key, fn.id)
            return None
    run = RunRecord(
        run_id=run_id,
        function_id=fn.id,
        event=event,
        event_id=str(event.get("id", "")),
        created_at=now,
        parent_run_id=parent[0] if parent else None,
        parent_step_hash=parent[1] if parent else None,
        parent_step_id=parent[2] if parent else None,
    )
    if not state.create_run(run):
        return None
    if run.event_id:
        state.link_event_run(run.event_id, run)
    expires = now / 1000 + CANCEL_LIFETIME_S
    state.put_cancels(
        [
            CancelRecord(c.event, run_id, i, c.expression, event, expires)
            for i, c in enumerate(fn.cancel_on)
        ]
    )
    backends.queue.send({"run_id": run_id, "kind": "start"})
    return run


def resolve_waits(
    app: Stepstream, backends: Backends, event: dict[str, Any], received_at: int
) -> None:
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
            "ok",
            output_json=_serde.dumps(event),
            output_type=f"{Event.__module__}:{Event.__qualname__}",
            ended_at=now_ms(),
        )
        won = state.resolve_step(wait.run_id, record, expect=("waiting",))
        state.delete_wait(wait)
        if won:
            backends.queue.send({"run_id": wait.run_id, "kind": "resume"})


def apply_cancels(backends: Backends, event: dict[str, Any]) -> None:
    state = backends.state
    for cancel in state.cancels_for(event["name"]):
        if _cel.matches(
            cancel.expression, event=cancel.trigger, **{"async": event}
        ) and state.cancel_run(cancel.run_id, now_ms()):
            log.info("run %s cancelled by event %s", cancel.run_id, event.get("id"))
            run = state.get_run(cancel.run_id)
            if run is not None and run.parent_run_id:
                from ._followups import resolve_parent

                resolve_parent(backends, run)
