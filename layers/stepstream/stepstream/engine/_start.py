"""Starting a run: the one way a run comes to exist, for an event, a cron minute, a
``step.invoke``, an ``on_failure`` handler or a rerun."""

from __future__ import annotations

import hashlib
import logging
import time
from typing import Any

from .._durations import to_seconds
from .._function import CancelOn, Function
from .._states import DEDUPE_MS, RunStatus
from ..cost import Ledger, charging, current_ledger
from ..store import CancelRecord, RunRecord
from . import _cel, _flow
from ._backends import Backends
from ._ids import now_ms, ulid
from ._pause import HOLD, SKIP, hold, pause_mode
from ._timers import schedule

CANCEL_LIFETIME_S = 367 * 86400
log = logging.getLogger("stepstream.ingest")


def start_run(
    backends: Backends,
    fn: Function,
    event: dict[str, Any],
    *,
    run_id: str | None = None,
    parent: tuple[str, str, str] | None = None,
    start_at: float | None = None,
    rerun: tuple[str, list[str]] | None = None,
) -> RunRecord | None:
    """Create a queued run of ``fn`` for ``event`` and queue it (as a timer when ``start_at``,
    epoch seconds, is in the future); None if the idempotency key was used in the last 24 h or
    a run with ``run_id`` exists already. ``rerun`` is (original run id, hashes of the steps
    whose records the new run keeps); a rerun ignores the idempotency key. A paused function
    starts nothing (``skip``) or holds the run until resume (``hold``). Flow control may record
    the run as skipped (rate limit, singleton) or delay its start (throttle).

    Started outside any run's invocation (event ingestion, a cron minute, a gather's flush), the
    requests it makes are charged to the new run: they ride in its start message to its first
    invocation's ledger (docs/execution-model.md, "Cost ledger"). Inside one, they are that
    run's."""
    run_id = run_id or ulid()
    if current_ledger() is not None or not backends.settings.cost_ledger:
        return _start(backends, fn, event, run_id, parent, start_at, rerun, None)
    with charging(Ledger(run_id)) as own:
        return _start(backends, fn, event, run_id, parent, start_at, rerun, own)


def _start(
    backends: Backends,
    fn: Function,
    event: dict[str, Any],
    run_id: str,
    parent: tuple[str, str, str] | None,
    start_at: float | None,
    rerun: tuple[str, list[str]] | None,
    own: Ledger | None,
) -> RunRecord | None:
    state = backends.state
    now = now_ms()
    paused = pause_mode(backends, fn.id) if parent is None else None
    if paused == SKIP:
        log.info("%s is paused (skip); no run for event %s", fn.id, event.get("id"))
        return None
    if fn.idempotency and rerun is None:
        key = _cel.to_key(fn.idempotency, event=event)
        digest = hashlib.sha1(key.encode()).hexdigest()
        if not state.claim_key(f"IDEM#{fn.id}#{digest}", run_id, now + DEDUPE_MS, now):
            log.info("idempotency key %r of %s used already; no run", key, fn.id)
            return None
    # --- flow control: rate limit and singleton may skip the run, throttle delays its start ---
    gate = _flow.gate(backends, fn, event, run_id)
    run = RunRecord(
        status=RunStatus.CANCELLED if gate.skip else RunStatus.QUEUED,
        flow=gate.reason,
        run_id=run_id,
        function_id=fn.id,
        event=event,
        event_id=str(event.get("id", "")),
        created_at=now,
        parent_run_id=parent[0] if parent else None,
        parent_step_hash=parent[1] if parent else None,
        parent_step_id=parent[2] if parent else None,
        rerun_of=rerun[0] if rerun else None,
    )
    if not state.create_run(run):
        return None
    if run.event_id:
        state.link_event_run(run.event_id, run)
    if rerun and rerun[1]:
        state.copy_steps(rerun[0], run_id, rerun[1])
    if gate.skip:
        return run
    state.put_cancels(
        [
            CancelRecord(c.event, run_id, i, c.expression, event, now / 1000 + _lifetime(c))
            for i, c in enumerate(fn.cancel_on)
        ]
    )
    _flow.after_created(backends, fn, run, gate)
    message: dict[str, Any] = {"run_id": run_id, "kind": "start"}
    if paused == HOLD and hold(backends, fn.id, run_id):
        return run
    if own is not None:  # with this send: it is the last request
        carried = own.counts()
        for unit in ("sqs_requests", "sqs_billed_requests"):
            carried[unit] = carried.get(unit, 0) + 1
        message["cost"] = carried
    starts = [at for at in (start_at, gate.start_at / 1000 if gate.start_at else None) if at]
    wake = max(starts, default=0.0)
    if wake > time.time():
        schedule(backends.queue, message, wake, backends.settings.max_timer_hop_seconds)
    else:
        backends.queue.send(message)
    return run


def _lifetime(cancel: CancelOn) -> float:
    """Seconds after the run starts during which ``cancel``'s event counts."""
    return CANCEL_LIFETIME_S if cancel.timeout is None else to_seconds(cancel.timeout)
