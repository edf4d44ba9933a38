"""The executor: one SQS message about one run → claim the run, replay it, run new steps inline
until it suspends, fails, finishes or runs low on time, then store the outcome and queue what
comes next."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .. import _metrics, _tracing
from .._errors import NonRetriableError, StepError
from .._states import TERMINAL, RunStatus, StepStatus
from ..cost import FinishedRun, Ledger, charging, current_ledger, note_finished
from ..store import RunRecord
from . import _faults, _flow, _serde, _timers, _traced
from ._context import Context, SyncContext
from ._followups import after_terminal
from ._ids import now_ms, ulid
from ._interrupts import Cancelled, Handover, Interrupt, LeaseLost, RetryLater, Stopping, Suspend
from ._invocation import Invocation
from ._io import in_worker_thread, offload
from ._ports import Engine
from ._retry import error_dict, retry_delay
from ._start import start_run

LEASE_MARGIN_MS = 2_000
"""Added to the Lambda's remaining time: covers clock differences between executors."""
MAX_BOUNCE_SECONDS = 30
CARRY = "cost"
"""Message key of the ledger counts an invocation that claimed nothing hands on to the next."""
log = logging.getLogger("stepstream.executor")
_READS = ThreadPoolExecutor(max_workers=4, thread_name_prefix="stepstream-read")


def execute(engine: Engine, body: dict[str, Any], lambda_context: Any) -> None:
    """Handle one executor message. Raises only on infrastructure errors (the message is then
    retried by SQS); every run outcome, including a failed run, returns normally. The AWS
    requests made for a run that this invocation claims are charged to the run's cost ledger,
    written once at the end (docs/execution-model.md, "Cost ledger")."""
    run_id, kind = body.get("run_id"), body.get("kind")
    with _tracing.span(
        "run",
        run_id=run_id if isinstance(run_id, str) else "",
        message_kind=kind if isinstance(kind, str) else "start",
    ):
        _execute_charged(engine, body, lambda_context)


def _execute_charged(engine: Engine, body: dict[str, Any], lambda_context: Any) -> None:
    run_id = body.get("run_id")
    if (
        body.get("kind") == "gather"
        or not isinstance(run_id, str)
        or not run_id
        or not engine.backends.settings.cost_ledger
    ):
        _execute(engine, body, lambda_context)
        return
    started = time.monotonic()
    with charging(Ledger(run_id)) as ledger:
        assert ledger is not None
        carried = body.get(CARRY)
        if isinstance(carried, dict):
            ledger.merge(carried)
        run = _execute(engine, body, lambda_context, started)
    if run is not None:
        _record_cost(engine, run, ledger, started, lambda_context)


def _execute(
    engine: Engine, body: dict[str, Any], lambda_context: Any, started: float = 0.0
) -> RunRecord | None:
    """The message's work; the run if this invocation claimed it."""
    if body.get("kind") == "gather":  # flow control: a debounce or batch is due
        _gather_due(engine, body)
        return None
    if body.get("kind") == _flow.WATCH_KIND:  # flow control: a concurrency line's watch
        _line_watch(engine, body)
        return None
    run_id = body.get("run_id")
    if not isinstance(run_id, str) or not run_id:
        log.error("executor message without run_id dropped: %.200r", body)
        return None
    backends = engine.backends
    hop = backends.settings.max_timer_hop_seconds
    if _timers.hop_if_early(backends.queue, _carrying(body, started, lambda_context), hop):
        return None
    if body.get("kind") == "timeout":  # flow control: a start or finish timeout
        _flow.expire(backends, body, lambda run: after_terminal(engine.registry, backends, run))
        return None
    owner = ulid()
    now = now_ms()
    lease_until = now + int(lambda_context.get_remaining_time_in_millis()) + LEASE_MARGIN_MS
    run = backends.state.claim_run(run_id, owner, lease_until, now)
    if run is None:
        _refused(engine, run_id, _carrying(body, started, lambda_context))
        return None
    _tracing.annotate(function_id=run.function_id, attempt=run.attempt)
    fn = engine.registry.get_function(run.function_id)
    if fn is None:
        error = {"name": "UnknownFunction", "message": f"no function {run.function_id!r} in app"}
        if backends.state.release(run_id, owner, RunStatus.FAILED, error=error, now=now_ms()):
            run.status, run.error = RunStatus.FAILED, error
            _metrics.run_ended(run)
            after_terminal(engine.registry, backends, run)
        return run
    _metrics.woke(run, body)
    # A run woken by a freed slot nearly always finds it handed over: read its steps while the
    # slot is taken rather than after (a wasted read if it does not get it after all).
    steps_read = None
    if body.get("kind") == _flow.WAKE_KIND and fn.flow.concurrency:
        context = contextvars.copy_context()  # the run's ledger counts the read
        steps_read = _READS.submit(context.run, backends.state.load_steps, run_id)
    # --- flow control: concurrency slots are held from here until the steps are done ---
    leaving: list[Callable[[], None]] = []
    if not _flow.acquire_slots(backends, fn, run, owner, lease_until, leaving.append):
        return run
    _metrics.slot_waited(run)
    # A woken run leaves its line while its body starts, not before (a request off the path).
    left = [_READS.submit(contextvars.copy_context().run, leave) for leave in leaving]
    slots = _flow.Slots(backends, fn, run, lease_until, left)
    try:
        steps = steps_read.result() if steps_read else backends.state.load_steps(run_id)
        if run.attempt == 0 and not steps:
            _metrics.run_started(run)
            _flow.schedule_finish(backends, fn, run)
        inv = Invocation(engine, fn, run, steps, owner, lambda_context)
        _run_coroutine(_invoke(inv, slots))
    except Exception:
        slots.release()
        raise
    # Not on a BaseException (the process is going down, as a killed Lambda would): the slot
    # then comes back with the lease's expiry, like a crashed executor's.
    slots.release()
    if inv.lost:
        # This invocation's ledger is written for the run it claimed: nothing rides on.
        _retry_elsewhere(engine, run_id, {k: v for k, v in body.items() if k != CARRY})
    return inv.run


def _carrying(body: dict[str, Any], started: float, lambda_context: Any) -> dict[str, Any]:
    """``body`` with the ledger of this invocation so far (and what was carried to it), for a
    message sent on instead of claiming the run (a timer's hop, a bounce off a live lease): that
    invocation writes nothing, so its requests ride to the next one that does. Its own send and
    its Lambda time so far are counted in advance."""
    ledger = current_ledger()
    if ledger is None:
        return body
    counts = ledger.counts()
    for unit, amount in (
        ("sqs_requests", 1),
        ("sqs_billed_requests", 1),
        ("lambda_invocations", 1),
        ("lambda_gb_seconds", _gb_seconds(started, lambda_context)),
    ):
        counts[unit] = counts.get(unit, 0) + amount
    return {**body, CARRY: counts}


def _gb_seconds(started: float, lambda_context: Any) -> float:
    memory_mb = getattr(lambda_context, "memory_limit_in_mb", 0)
    billed_ms = math.ceil((time.monotonic() - started) * 1000)  # Lambda bills by the ms
    return billed_ms / 1000 * int(memory_mb or 0) / 1024


def _record_cost(
    engine: Engine, run: RunRecord, ledger: Ledger, started: float, lambda_context: Any
) -> None:
    """Add the invocation's ledger to the run: the invocation's last request, so everything it
    did is in. Never fails the run: a lost ledger write loses only its counts."""
    ledger.add("lambda_invocations")
    ledger.add("lambda_gb_seconds", _gb_seconds(started, lambda_context))
    ended = run.status in TERMINAL
    try:
        total = engine.backends.state.add_cost(run.run_id, ledger.counts(), total=ended)
    except Exception:
        log.exception("cost ledger of run %s not written", run.run_id)
        return
    if ended and total is not None:
        note_finished(FinishedRun(run.run_id, run.function_id, str(run.status), total))
        _metrics.run_cost(run.function_id, total)


def _gather_due(engine: Engine, body: dict[str, Any]) -> None:
    backends = engine.backends
    if _timers.hop_if_early(backends.queue, body, backends.settings.max_timer_hop_seconds):
        return
    fn = engine.registry.get_function(str(body.get("function_id")))
    if fn is not None and _flow.gathers(fn):
        _flow.gather_due(backends, fn, body, start_run)


def _line_watch(engine: Engine, body: dict[str, Any]) -> None:
    backends = engine.backends
    if not _timers.hop_if_early(backends.queue, body, backends.settings.max_timer_hop_seconds):
        _flow.watch_due(backends, body)


def _run_coroutine(coro: Any) -> None:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coro)
        return
    # Called from async code (a test, a dev server): run on a loop of our own in a thread.
    failure: list[BaseException] = []

    def target() -> None:
        try:
            asyncio.run(coro)
        except BaseException as exc:
            failure.append(exc)

    # With this context: the run's cost ledger, log keys and trace span are context variables.
    thread = threading.Thread(target=contextvars.copy_context().run, args=(target,))
    thread.start()
    thread.join()
    if failure:
        raise failure[0]


def _refused(engine: Engine, run_id: str, body: dict[str, Any]) -> None:
    """The claim failed: the run is unknown, finished, or leased by a live executor."""
    engine.fault(_faults.CLAIM_REFUSED, run_id)
    _retry_elsewhere(engine, run_id, body)


def _retry_elsewhere(engine: Engine, run_id: str, body: dict[str, Any]) -> None:
    """Another executor holds the run (or held it and finished it): put ``body`` back to come
    after its lease, since the message this invocation acknowledges may be the only one left if
    that executor dies (docs/execution-model.md, "A lost lease leaves a message")."""
    backends = engine.backends
    current = backends.state.get_run(run_id)
    if current is None:
        log.warning("message for unknown run %s dropped", run_id)
        return
    if current.status in TERMINAL:
        # A crash may have fallen between finishing the run and its follow-ups; they are
        # idempotent, so redo them.
        after_terminal(engine.registry, backends, current)
        return
    # The holder usually lets go within milliseconds (a resume that raced the end of the
    # invocation that suspended), so come back soon and back off only if it keeps holding; the
    # lease's full length would park such a resume for up to 30 s.
    bounces = body.get("bounces", 0)
    bounces = bounces if isinstance(bounces, int) and 0 <= bounces < 64 else 0
    wait_ms = (current.lease_until or 0) - now_ms()
    delay = min(MAX_BOUNCE_SECONDS, 2**bounces, max(1, math.ceil(wait_ms / 1000)))
    bounced = {k: v for k, v in body.items() if k != "wake_at"}
    bounced["bounces"] = bounces + 1
    backends.queue.send(bounced, delay_seconds=delay)


async def _invoke(inv: Invocation, slots: _flow.Slots | None = None) -> None:
    inv.loop = asyncio.get_running_loop()
    fn = inv.fn
    started_here = inv.run.attempt == 0 and not inv.memo.records
    outcome: Any = None
    failure: BaseException | None = None
    try:
        if fn.is_async:
            outcome = await fn.handler(Context(inv))
        else:
            outcome = await in_worker_thread(fn.handler, SyncContext(inv))
    except Interrupt as exc:
        if not isinstance(exc, Stopping) and exc not in inv.interrupts:
            inv.interrupts.append(exc)
    except Exception as exc:
        failure = exc
    await inv.drain()
    if slots is not None and slots.held:
        # No step runs past this point: the next run in line may start while this invocation
        # stores its outcome (its writes and follow-ups would otherwise delay that start).
        try:
            await offload(slots.release)
        except Exception:
            log.exception("slots of run %s not given back yet", inv.run.run_id)
    if inv.interrupts:
        await _suspend(inv)
    elif failure is not None:
        await _failed_attempt(inv, failure)
    else:
        await _complete(inv, outcome)
    if started_here and inv.run.status not in TERMINAL:
        await _run_status(inv, RunStatus.RUNNING)
    _traced.annotate_run(inv.run, inv.interrupts, inv.new_steps)
    await _flush_realtime(inv)


async def _suspend(inv: Invocation) -> None:
    kinds = {type(i) for i in inv.interrupts}
    if Cancelled in kinds:
        inv.run.status = RunStatus.CANCELLED
        await offload(after_terminal, inv.engine.registry, inv.backends, inv.run)
        await _run_status(inv, RunStatus.CANCELLED)
        return
    if LeaseLost in kinds:
        inv.lost = True
        return
    await offload(_store_suspension, inv, kinds)


def _store_suspension(inv: Invocation, kinds: set[type[Interrupt]]) -> None:
    """Release the run and queue what wakes it: a timer per sleeping or waiting step, one retry
    for the steps that failed, a handover message if the Lambda ran low on time."""
    backends, run = inv.backends, inv.run
    suspends = [i for i in inv.interrupts if isinstance(i, Suspend)]
    retries = [i for i in inv.interrupts if isinstance(i, RetryLater)]
    if retries or Handover in kinds:
        status = RunStatus.QUEUED
    elif any(s.status == StepStatus.WAITING for s in suspends):
        status = RunStatus.WAITING
    else:
        status = RunStatus.SLEEPING
    if not backends.state.release(run.run_id, inv.owner, status, channels=_new_channels(inv)):
        inv.lost = True
        return
    hop = backends.settings.max_timer_hop_seconds
    for suspend in suspends:
        body = {"run_id": run.run_id, "kind": "timer", "step": suspend.step_hash}
        _timers.schedule(backends.queue, body, suspend.wake_at, hop)
    if retries:
        delay = min(r.delay for r in retries)
        _timers.schedule(
            backends.queue, {"run_id": run.run_id, "kind": "retry"}, time.time() + delay, hop
        )
    if Handover in kinds:
        backends.queue.send({"run_id": run.run_id, "kind": "handover"})


async def _failed_attempt(inv: Invocation, exc: BaseException) -> None:
    run, fn = inv.run, inv.fn
    # An uncaught StepError replays identically on every attempt, so retrying it cannot help.
    final = isinstance(exc, NonRetriableError | StepError) or run.attempt >= fn.retries
    if not final:
        delay = retry_delay(exc, run.attempt, inv.backends.settings.retry_base_seconds)
        await offload(_store_retry, inv, delay)
        return
    error: dict[str, Any] = dict(error_dict(exc))
    if isinstance(exc, StepError):
        error = {"name": exc.name, "message": exc.message, "stack": exc.stack, "step": exc.step_id}
    if await offload(_store_end, inv, RunStatus.FAILED, error=error):
        await _run_status(inv, RunStatus.FAILED, error=error)


def _store_retry(inv: Invocation, delay: float) -> None:
    """Release the run for its next attempt and queue that attempt after ``delay`` seconds."""
    run, backends = inv.run, inv.backends
    if not backends.state.release(
        run.run_id,
        inv.owner,
        RunStatus.QUEUED,
        attempt=run.attempt + 1,
        channels=_new_channels(inv),
    ):
        inv.lost = True
        return
    _timers.schedule(
        backends.queue,
        {"run_id": run.run_id, "kind": "retry"},
        time.time() + delay,
        backends.settings.max_timer_hop_seconds,
    )


async def _complete(inv: Invocation, outcome: Any) -> None:
    try:
        text, type_ref = _serde.encode(outcome)
    except NonRetriableError as exc:
        await _failed_attempt(inv, exc)
        return
    if await offload(_store_end, inv, RunStatus.COMPLETED, output_json=text, output_type=type_ref):
        await _run_status(inv, RunStatus.COMPLETED, output=_serde.decode(text, None))


def _store_end(
    inv: Invocation,
    status: RunStatus,
    *,
    error: dict[str, Any] | None = None,
    output_json: str | None = None,
    output_type: str | None = None,
) -> bool:
    """Store the run's final status and do its follow-ups; False if this executor no longer
    held the run (another one, or a cancellation, got there first)."""
    run, backends = inv.run, inv.backends
    if not backends.state.release(
        run.run_id,
        inv.owner,
        status,
        output_json=output_json,
        output_type=output_type,
        error=error,
        now=now_ms(),
        channels=_new_channels(inv),
    ):
        inv.lost = True
        return False
    run.status, run.error = status, error
    run.output_json, run.output_type = output_json, output_type
    _metrics.run_ended(run)
    after_terminal(inv.engine.registry, backends, run)
    return True


def _new_channels(inv: Invocation) -> list[str] | None:
    """The run's channels to store, if this invocation published to new ones."""
    return sorted(inv.channels) if inv.channels != set(inv.run.channels) else None


async def _run_status(inv: Invocation, status: RunStatus, **extra: Any) -> None:
    """Tell subscribers of the channels this invocation published to about a run transition;
    never fails the run. Without channels there is nobody to tell."""
    realtime = inv.engine.publisher_if_available(create=bool(inv.channels))
    if realtime is None or not inv.channels:
        return
    try:
        await realtime.run_status(
            run_id=inv.run.run_id,
            fn_id=inv.fn.id,
            status=status,
            channels=sorted(inv.channels),
            **extra,
        )
    except Exception:
        log.exception("realtime run_status %s for run %s failed", status, inv.run.run_id)


async def _flush_realtime(inv: Invocation) -> None:
    realtime = inv.engine.publisher_if_available(create=bool(inv.channels))
    if realtime is None:
        return
    try:
        await realtime.flush()
    except Exception:
        log.exception("realtime flush for run %s failed", inv.run.run_id)
