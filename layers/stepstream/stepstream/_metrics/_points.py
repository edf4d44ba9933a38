"""The emission points: one function per thing the engine, the event API and realtime report.
Each is a one-line call at its site and returns at once while metrics are off.

Dimensions stay low-cardinality: ``function_id`` on run and step metrics, none besides
Powertools' ``service`` on the rest. A run id never becomes a dimension; it goes on the log
line the run and step points write (the lines docs/queries/*.query read), which costs log bytes
only, not a metric per value.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._states import RunStatus, StepStatus
from ._recorder import RECORDER, Dimensions

if TYPE_CHECKING:
    from ..store import RunRecord, StepRecord

log = logging.getLogger("stepstream.observe")

COUNT, MS = "Count", "Milliseconds"
_RUN_ENDS = {
    RunStatus.COMPLETED: "RunsCompleted",
    RunStatus.FAILED: "RunsFailed",
    RunStatus.CANCELLED: "RunsCancelled",
}
_TIMER_KINDS = frozenset({"timer", "retry", "start"})
"""Messages that carry a wake time the user asked for; a concurrency line's watch does not."""
_NONE: Dimensions = ()


def _fn(function_id: str) -> Dimensions:
    return (("function_id", function_id),)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


# --- runs -----------------------------------------------------------------------------------


def run_started(run: RunRecord) -> None:
    """The executor is about to run a run's first attempt."""
    if not RECORDER.on:
        return
    RECORDER.count("RunsStarted", COUNT, _fn(run.function_id))
    log.info("run started", extra=_run_fields(run, "running"))


def run_ended(run: RunRecord | None) -> None:
    """A run reached ``completed``, ``failed`` or ``cancelled`` (``run.status``) just now."""
    if not RECORDER.on or run is None or run.status not in _RUN_ENDS:
        return
    RECORDER.count(_RUN_ENDS[RunStatus(run.status)], COUNT, _fn(run.function_id))
    fields = _run_fields(run, str(run.status))
    if run.error:
        fields["error_name"] = str(run.error.get("name", ""))
        fields["error_message"] = str(run.error.get("message", ""))[:512]
    log.info("run %s", run.status, extra=fields)


def run_cancelled(function_id: str, run_id: str) -> None:
    """A run of ``function_id`` was cancelled where only its id is at hand."""
    if RECORDER.on:
        from ..store import RunRecord

        run_ended(RunRecord(run_id, function_id, {}, status=RunStatus.CANCELLED))


def _run_fields(run: RunRecord, status: str) -> dict[str, Any]:
    return {"run_id": run.run_id, "function_id": run.function_id, "run_status": status}


# --- steps ----------------------------------------------------------------------------------


def run_cost(function_id: str, counts: Mapping[str, float]) -> None:
    """A run ended and its cost ledger is complete: its dollar estimate (docs/execution-model.md,
    "Cost ledger"), so the dashboard can sum a function's spend per day."""
    if not RECORDER.on:
        return
    from ..cost import estimate

    usd = estimate(counts, os.environ.get("AWS_REGION"))["usd"]
    # EMF has no currency unit; the name says it. Micro-dollars keep small runs above zero.
    RECORDER.sample("RunCostMicroUsd", "None", _fn(function_id), round(usd * 1_000_000, 3))


def step_ran(run: RunRecord, record: StepRecord) -> None:
    """One attempt of a step body ended: ``ok``, ``retry`` (another attempt is due) or
    ``error`` (it gave up)."""
    if not RECORDER.on:
        return
    dimensions = _fn(run.function_id)
    duration = max(0, _now_ms() - (record.started_at or _now_ms()))
    RECORDER.sample("StepDuration", MS, dimensions, duration)
    if record.status == StepStatus.RETRY:
        RECORDER.count("StepRetries", COUNT, dimensions)
    elif record.status == StepStatus.ERROR:
        RECORDER.count("StepsFailed", COUNT, dimensions)
    fields = {
        "run_id": run.run_id,
        "function_id": run.function_id,
        "step_id": record.id,
        "step_kind": record.kind,
        "step_status": str(record.status),
        "attempt": record.attempt,
        "duration_ms": duration,
    }
    if record.error:
        fields["error_name"] = str(record.error.get("name", ""))
        fields["error_message"] = str(record.error.get("message", ""))[:512]
    log.info("step %s %s in %d ms", record.id, record.status, duration, extra=fields)


# --- timers, slots and the queue ------------------------------------------------------------


def woke(run: RunRecord, body: Mapping[str, Any]) -> None:
    """A timer message (a sleep or wait ending, a retry, a delayed start) reached its run:
    how late, against the ``wake_at`` it was scheduled for."""
    if not RECORDER.on:
        return
    wake_at = body.get("wake_at")
    if isinstance(wake_at, int | float) and body.get("kind", "start") in _TIMER_KINDS:
        late = max(0.0, _now_ms() - wake_at * 1000)
        RECORDER.sample("TimerLateness", MS, _fn(run.function_id), late)


def slot_waited(run: RunRecord) -> None:
    """The run took its concurrency slots; if it had been parked for one, since when."""
    if not RECORDER.on:
        return
    flow = run.flow or {}
    since = flow.get("since")
    if flow.get("reason") == "concurrency" and isinstance(since, int | float):
        RECORDER.sample("SlotWait", MS, _fn(run.function_id), max(0.0, _now_ms() - since))


def queue_delay(body: Any, sent_timestamp: str | None) -> None:
    """An executor message sent without a delay is being handled: how long it sat in SQS
    (``SentTimestamp`` to now). Delayed messages are timers, measured by :func:`woke`."""
    if not RECORDER.on or not isinstance(body, dict) or not sent_timestamp:
        return
    if "wake_at" in body or "bounces" in body or not sent_timestamp.isdigit():
        return
    RECORDER.sample("QueueDelay", MS, _NONE, max(0, _now_ms() - int(sent_timestamp)))


# --- events ---------------------------------------------------------------------------------


def events_accepted(count: int) -> None:
    """Validated events handed to ingestion (a repeated id is accepted, and starts nothing)."""
    if RECORDER.on:
        RECORDER.count("EventsAccepted", COUNT, _NONE, count)


def events_refused() -> None:
    """The event API answered a send with an error: bad key, body, size or event."""
    if RECORDER.on:
        RECORDER.count("EventsRefused", COUNT, _NONE)


# --- realtime -------------------------------------------------------------------------------


def realtime_published() -> None:
    """A message passed validation and its size check and goes to its subscribers."""
    if RECORDER.on:
        RECORDER.count("RealtimePublished", COUNT, _NONE)


def realtime_too_large() -> None:
    """A publish was refused: its frame is over API Gateway's WebSocket message limit."""
    if RECORDER.on:
        RECORDER.count("RealtimeTooLarge", COUNT, _NONE)


def realtime_posted(delivered: bool) -> None:
    """One ``@connections`` post (a frame, or a coalesced batch); not ``delivered``: 410 Gone."""
    if RECORDER.on:
        RECORDER.count("RealtimePosts" if delivered else "RealtimeGone", COUNT, _NONE)


def realtime_post_failed() -> None:
    """A post refused with an error other than 410 Gone, after botocore's retries of throttling
    and 5xx answers: the frame is dropped (a durable one stays in the channel's history)."""
    if RECORDER.on:
        RECORDER.count("RealtimePostFailed", COUNT, _NONE)


def realtime_dispatched(frame: Mapping[str, Any]) -> None:
    """A frame was queued to its subscribers' connections: the time since it was made (its
    ``created_at``), which covers keeping it and the subscriber lookup but not the post."""
    if not RECORDER.on:
        return
    created = frame.get("created_at")
    try:
        made = datetime.fromisoformat(str(created).replace("Z", "+00:00")).timestamp() * 1000
    except ValueError:
        return
    RECORDER.sample("RealtimeDispatchLag", MS, _NONE, max(0.0, _now_ms() - made))


def fanout_shards(shards: int) -> None:
    """A frame with subscribers is fanned out: posted from this invocation (1), or handed to
    ``shards`` fan-out function invocations."""
    if RECORDER.on:
        RECORDER.sample("FanoutShards", COUNT, _NONE, shards)
