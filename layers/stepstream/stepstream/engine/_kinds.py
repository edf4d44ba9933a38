"""What each kind of step does when it is new (or pending): run a body and store its outcome,
sleep, wait for an event, invoke a child run. ``_step.py`` is the API that calls these through
the memo check."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from .. import _metrics
from .._event import Event
from .._function import Function
from .._states import WAIT_LOOKBACK_MS, WAIT_SKEW_MS, RunStatus, StepStatus
from ..store import StepRecord, WaitRecord
from . import _cel, _faults, _serde
from ._backends import Backends
from ._ids import now_ms, ulid
from ._interrupts import RetryLater, Suspend
from ._invocation import Invocation
from ._io import offload
from ._retry import error_dict, gives_up, retry_delay
from ._start import start_run

EVENT_TYPE = f"{Event.__module__}:{Event.__qualname__}"


async def run_body(
    inv: Invocation,
    full: str,
    hash_: str,
    kind: str,
    body: Callable[[], Awaitable[Any]],
    retries: int | None,
    pending: StepRecord | None,
    detail: dict[str, Any],
) -> StepRecord:
    """Run a step body once, and store its output, its final error or a retry record."""
    attempt = pending.attempt if pending is not None and pending.status == StepStatus.RETRY else 0
    started = now_ms()
    await inv.reach(_faults.BEFORE_BODY, hash_)
    inv.step_attempt = attempt
    try:
        value = await body()
        await inv.reach(_faults.AFTER_BODY, hash_)
        text, type_ref = _serde.encode(value)
    except Exception as exc:
        limit = inv.fn.retries if retries is None else retries
        if gives_up(exc, attempt, limit):
            record = StepRecord(
                hash_,
                full,
                kind,
                StepStatus.ERROR,
                error=error_dict(exc),
                attempt=attempt,
                started_at=started,
                ended_at=now_ms(),
                detail=detail,
            )
        else:
            delay = retry_delay(exc, attempt, inv.backends.settings.retry_base_seconds)
            record = StepRecord(
                hash_,
                full,
                kind,
                StepStatus.RETRY,
                error=error_dict(exc),
                attempt=attempt + 1,
                started_at=started,
                wake_at=time.time() + delay,
                detail=detail,
            )
    else:
        record = StepRecord(
            hash_,
            full,
            kind,
            StepStatus.OK,
            output_json=text,
            output_type=type_ref,
            attempt=attempt,
            started_at=started,
            ended_at=now_ms(),
            detail=detail,
        )
        if len(text.encode()) > _serde.INLINE_OUTPUT_BYTES:
            record.blob_key = f"runs/{inv.run.run_id}/{hash_}/{ulid()}"
    finally:
        inv.step_attempt = None
    _metrics.step_ran(inv.run, record)
    stored = await inv.checkpoint(record, replace=(StepStatus.RETRY,))
    if stored.status == StepStatus.RETRY:
        inv.interrupt(RetryLater(max(0.0, (stored.wake_at or 0.0) - time.time())))
    return stored


def _done(pending: StepRecord, output_json: str, output_type: str | None = None) -> StepRecord:
    return StepRecord(
        pending.hash,
        pending.id,
        pending.kind,
        StepStatus.OK,
        output_json=output_json,
        output_type=output_type,
        started_at=pending.started_at,
        ended_at=now_ms(),
        wake_at=pending.wake_at,
        detail=pending.detail,
    )


async def sleep_step(
    inv: Invocation,
    full: str,
    hash_: str,
    seconds: float | None,
    wake_at: float | None,
    pending: StepRecord | None,
) -> StepRecord:
    if pending is None:
        target = wake_at if wake_at is not None else time.time() + (seconds or 0.0)
        record = StepRecord(
            hash_, full, "sleep", StepStatus.SLEEPING, wake_at=target, started_at=now_ms()
        )
        if target <= time.time():
            return await inv.checkpoint(_done(record, "null"))
        pending = await inv.checkpoint(record)
        if pending.final:
            return pending
    if (pending.wake_at or 0.0) <= time.time():
        return await inv.checkpoint(_done(pending, "null"), replace=(StepStatus.SLEEPING,))
    inv.interrupt(Suspend(hash_, pending.wake_at or 0.0, StepStatus.SLEEPING))


async def wait_step(
    inv: Invocation,
    full: str,
    hash_: str,
    event_name: str,
    expression: str | None,
    seconds: float,
    pending: StepRecord | None,
) -> StepRecord:
    state = inv.backends.state
    trigger = inv.run.event
    if pending is None:
        # The wait covers events since the previous step returned, not just since this line:
        # a function that publishes "please confirm" and then waits (the seeds' human-in-the-loop
        # pattern) must not miss an answer that arrives before the wait is written.
        reached = min(now_ms(), inv.boundary_ms)
        await inv.reach(_faults.WAIT_REACHED, hash_)
        expires = time.time() + seconds
        record = StepRecord(
            hash_,
            full,
            "wait",
            StepStatus.WAITING,
            wake_at=expires,
            started_at=reached,
            detail={"event": event_name, "if": expression, "reached_at": reached},
        )
        wait = WaitRecord(
            event_name, inv.run.run_id, hash_, full, expression, trigger, expires, reached
        )
        pending = await inv.checkpoint(record, wait=wait)
        if pending.final:
            return pending
    wait = WaitRecord(
        event_name, inv.run.run_id, hash_, full, expression, trigger, pending.wake_at or 0.0
    )
    # Write first, look second: an event stored before our wait record cannot have seen it.
    # Events stored after it were matched by ingestion, so the look-back window ends shortly
    # after the wait was reached (a replay after a crash looks at the same small window).
    reached = int(pending.detail.get("reached_at", pending.started_at or 0))
    window = (reached - WAIT_SKEW_MS, reached + WAIT_LOOKBACK_MS)
    for candidate in await offload(state.events_between, event_name, *window):
        if candidate.get("id") == trigger.get("id"):
            continue
        if _cel.matches(expression, event=trigger, **{"async": candidate}):
            stored = await inv.checkpoint(
                _done(pending, _serde.dumps(candidate), EVENT_TYPE), replace=(StepStatus.WAITING,)
            )
            await offload(state.delete_wait, wait)
            return stored
    if (pending.wake_at or 0.0) <= time.time():
        stored = await inv.checkpoint(_done(pending, "null"), replace=(StepStatus.WAITING,))
        await offload(state.delete_wait, wait)
        return stored
    inv.interrupt(Suspend(hash_, pending.wake_at or 0.0, StepStatus.WAITING))


async def invoke_step(
    inv: Invocation,
    full: str,
    hash_: str,
    function: Function,
    data: dict[str, Any],
    seconds: float,
    pending: StepRecord | None,
) -> StepRecord:
    if pending is None:
        record = StepRecord(
            hash_,
            full,
            "invoke",
            StepStatus.WAITING,
            wake_at=time.time() + seconds,
            started_at=now_ms(),
            detail={"function_id": function.id, "child_run_id": ulid()},
        )
        pending = await inv.checkpoint(record)
        if pending.final:
            return pending
    child_id = str(pending.detail.get("child_run_id"))
    if (pending.wake_at or 0.0) <= time.time():
        timed_out = StepRecord(
            hash_,
            full,
            "invoke",
            StepStatus.ERROR,
            started_at=pending.started_at,
            ended_at=now_ms(),
            error={"name": "InvokeTimeout", "message": f"{function.id} did not finish in time"},
            detail=pending.detail,
        )
        return await inv.checkpoint(timed_out, replace=(StepStatus.WAITING,))
    # Creating the child is idempotent (a conditional put on its id), so a replay after a crash
    # between the checkpoint above and this call still starts it exactly once.
    event = {
        "name": "stepstream/function.invoked",
        "data": data,
        "id": f"{child_id}-invoke",
        "ts": now_ms(),
    }
    started = await offload(
        start_run,
        inv.backends,
        function,
        event,
        run_id=child_id,
        parent=(inv.run.run_id, hash_, full),
    )
    if started is None:
        await offload(_queue_if_stranded, inv.backends, child_id)
    inv.interrupt(Suspend(hash_, pending.wake_at or 0.0, StepStatus.WAITING))


def _queue_if_stranded(backends: Backends, run_id: str) -> None:
    """The child exists: an earlier execution of this step created it, but may have died
    before queueing its start message, and the create is not repeated, so queue it again while
    the child has never started. An extra start message is harmless (its claim is refused or it
    finds the run finished); a child held back by flow control is left to flow control."""
    child = backends.state.get_run(run_id)
    never_started = child is not None and child.status == RunStatus.QUEUED and not child.started_at
    if never_started and child is not None and not child.flow:
        backends.queue.send({"run_id": run_id, "kind": "start"})
