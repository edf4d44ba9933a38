"""Starting a run: the one way a run comes to exist, for an event, a cron minute, a
``step.invoke`` or an ``on_failure`` handler."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from .._function import Function
from .._states import DEDUPE_MS, RunStatus
from ..store import CancelRecord, RunRecord
from . import _cel, _flow, _timers
from ._backends import Backends
from ._ids import now_ms, ulid

CANCEL_LIFETIME_S = 367 * 86400
log = logging.getLogger("stepstream.ingest")


def start_run(
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
    )
    if not state.create_run(run):
        return None
    if run.event_id:
        state.link_event_run(run.event_id, run)
    if gate.skip:
        return run
    expires = now / 1000 + CANCEL_LIFETIME_S
    state.put_cancels(
        [
            CancelRecord(c.event, run_id, i, c.expression, event, expires)
            for i, c in enumerate(fn.cancel_on)
        ]
    )
    if gate.start_at is not None:
        hop = backends.settings.max_timer_hop_seconds
        _timers.schedule(
            backends.queue, {"run_id": run_id, "kind": "start"}, gate.start_at / 1000, hop
        )
    else:
        backends.queue.send({"run_id": run_id, "kind": "start"})
    _flow.after_created(backends, fn, run, gate)
    return run
