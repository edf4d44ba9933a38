"""Debounce and batching: events gathered on a key (``DEB#``/``BATCH#`` ... / ``GATHER``) until
one run starts with them.

- **debounce**: each event is one UpdateItem (it replaces the gathered event, counts it) and
  one delayed message due at ``min(last + period, first + timeout)``. The message that finds no
  later event (its ``seq`` is still the count), or finds the timeout passed, starts the run with
  the last event under an id derived from the gather and that count, then deletes the gather
  on the condition that the count is unchanged: an event that landed in between keeps the
  gather open and gets a run of its own when its message comes.
- **batch**: each event is one UpdateItem appending its id, conditional on the gather being
  unsealed and below ``max_size``; the first event also sends the timeout message. The event
  that fills it, or the timeout message, seals it, starts the run with every event
  (``ctx.events``) and deletes it. An event refused because the gather is full or sealed helps
  finish that flush, then starts a new gather.

For a batch, sealing first makes the flush safe to redo: the run id derives from the gather
(a conditional create), and a crash after the seal is finished by the still pending timeout
message, or by the next event."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..._flow import seconds
from ..._function import Function
from ...store import Gather
from .. import _timers
from .._backends import Backends
from .._ids import now_ms, ulid, ulid_from
from ._keys import expression_id, key_value

BATCH_FIELD = "_batch"
"""In a batch run's stored event: every event of the batch (``ctx.events``)."""
MAX_RACES = 10
log = logging.getLogger("stepstream.flow")

Start = Callable[..., Any]
"""``start_run(backends, fn, event, run_id=...)``, passed in: flow control sits below it."""


def gathers(fn: Function) -> bool:
    return fn.flow.debounce is not None or fn.flow.batch_events is not None


def listing(fn: Function) -> str:
    """Where the function's open gathers are listed (GSI1), for the pending view."""
    return f"GATHERS#{fn.id}"


def key_prefix(fn: Function) -> str:
    """What precedes the key's value in the function's gather keys."""
    if fn.flow.debounce is not None:
        return f"DEB#{fn.id}#{expression_id(fn.flow.debounce.key)}#"
    assert fn.flow.batch_events is not None
    return f"BATCH#{fn.id}#{expression_id(fn.flow.batch_events.key)}#"


def debounce_due(fn: Function, got: Gather) -> float:
    """When a debounced gather flushes (ms): ``period`` after its last event, or its
    ``timeout`` after the first."""
    return _debounce_due(fn, got)


def _key(fn: Function, event: dict[str, Any]) -> str:
    if fn.flow.debounce is not None:
        expr = fn.flow.debounce.key
        return f"DEB#{fn.id}#{expression_id(expr)}#{key_value(expr, event)}"
    assert fn.flow.batch_events is not None
    expr = fn.flow.batch_events.key
    return f"BATCH#{fn.id}#{expression_id(expr)}#{key_value(expr, event)}"


def gather(backends: Backends, fn: Function, event: dict[str, Any], start: Start) -> None:
    """Ingestion hands a triggering event of a debounced or batched function here."""
    key = _key(fn, event)
    state = backends.state
    batch = fn.flow.batch_events
    for _ in range(MAX_RACES):
        now = now_ms()
        got = state.gather_event(
            key,
            str(event["id"]),
            now,
            ulid(),
            max_size=batch.max_size if batch else None,
            keep_all=batch is not None,
            listing=listing(fn),
        )
        if got is None:  # sealed or full: finish that flush, then gather anew
            open_gather = state.get_gather(key)
            if open_gather is not None:
                _flush(backends, fn, key, open_gather, start)
            continue
        if batch is not None:
            if len(got.event_ids) >= batch.max_size:
                _flush(backends, fn, key, got, start)
            elif len(got.event_ids) == 1:
                _notify(backends, fn, key, got, got.first_at + seconds(batch.timeout) * 1000)
        else:
            _notify(backends, fn, key, got, _debounce_due(fn, got))
        return
    raise RuntimeError(f"{key} kept changing under {MAX_RACES} attempts")


def _debounce_due(fn: Function, got: Gather) -> float:
    debounce = fn.flow.debounce
    assert debounce is not None
    due = got.last_at + seconds(debounce.period) * 1000
    if debounce.timeout is not None:
        due = min(due, got.first_at + seconds(debounce.timeout) * 1000)
    return due


def _notify(backends: Backends, fn: Function, key: str, got: Gather, due_ms: float) -> None:
    body = {
        "kind": "gather",
        "function_id": fn.id,
        "key": key,
        "gather_id": got.gather_id,
        "seq": got.seq,
    }
    _timers.schedule(backends.queue, body, due_ms / 1000, backends.settings.max_timer_hop_seconds)


def on_message(backends: Backends, fn: Function, body: dict[str, Any], start: Start) -> None:
    """A gather's timer arrived: flush it if it is due."""
    key = str(body.get("key"))
    got = backends.state.get_gather(key)
    if got is None or got.gather_id != body.get("gather_id"):
        return  # flushed already
    if fn.flow.debounce is not None:
        later_event = got.seq != body.get("seq")
        if later_event and now_ms() < _debounce_due(fn, got) - 1000:
            return  # the later event's own message comes then
    _flush(backends, fn, key, got, start)


def _flush(backends: Backends, fn: Function, key: str, got: Gather, start: Start) -> None:
    state = backends.state
    if fn.flow.debounce is not None:
        # No seal: the run id carries the count, and the delete is conditional on it, so an
        # event that lands in between keeps the gather and gets a run of its own later.
        event = state.get_event(got.event_ids[-1]) if got.event_ids else None
        if event is not None:
            run_id = ulid_from(got.first_at, f"{key}\0{got.gather_id}\0{got.seq}")
            start(backends, fn, event, run_id=run_id)
        state.close_gather(key, got.gather_id, got.seq)
        return
    if not got.sealed:
        sealed = state.seal_gather(key, got.gather_id)
        if sealed is None:
            return  # changed since it was read; whoever changed it flushes it
        got = sealed
    events = [e for e in (state.get_event(i) for i in got.event_ids) if e is not None]
    if events:
        run_id = ulid_from(got.first_at, f"{key}\0{got.gather_id}")
        start(backends, fn, {**events[0], BATCH_FIELD: events}, run_id=run_id)
        log.info("%s: run %s starts with %d event(s)", key, run_id, len(events))
    state.close_gather(key, got.gather_id)
