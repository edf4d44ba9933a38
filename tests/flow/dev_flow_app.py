"""The app ``test_dev_stack_flow.py`` runs in a local stack (``STEPSTREAM_APP``): one function
per flow-control option whose steps record when they ran. The stack imports the executor's
handler once per concurrent invocation, but this module once: ``STEPS`` is shared by every
invocation, so it sees overlaps across them."""

from __future__ import annotations

import threading
import time
from typing import Any

from stepstream import (
    Batch,
    Concurrency,
    Context,
    Debounce,
    Priority,
    RateLimit,
    Singleton,
    Stepstream,
    SyncContext,
    Throttle,
    Timeouts,
)

app = Stepstream(id="dev-flow")
LOCK = threading.Lock()
STEPS: list[tuple[str, str, float, float]] = []
"""(function id, key, start, end) of every step body, in monotonic seconds."""
BATCHES: list[list[str]] = []
"""The event ids each batch run got."""
GATES: dict[str, threading.Event] = {}
"""Set by the test to let a ``hold`` run's step end: it keeps a slot taken until then."""
HOLD_SECONDS = 60
"""The longest a ``hold`` step waits for its gate: a failed test does not leave it running."""


def record(function_id: str, key: str, seconds: float) -> None:
    start = time.monotonic()
    time.sleep(seconds)
    with LOCK:
        STEPS.append((function_id, key, start, time.monotonic()))


@app.function(
    id="dev-concurrency",
    trigger="dev/concurrency",
    concurrency=Concurrency(limit=2, key="event.data.user"),
)
async def dev_concurrency(ctx: Context) -> None:
    user = str(ctx.event.data["user"])
    await ctx.step.run("one", record, "dev-concurrency", user, 0.3)
    await ctx.step.run("two", record, "dev-concurrency", user, 0.1)


@app.function(id="dev-throttle", trigger="dev/throttle", throttle=Throttle(1, "1s"))
def dev_throttle(ctx: SyncContext) -> None:
    ctx.step.run("one", record, "dev-throttle", "", 0)


@app.function(id="dev-rate", trigger="dev/rate", rate_limit=RateLimit(1, "1m"))
async def dev_rate(ctx: Context) -> None:
    await ctx.step.run("one", record, "dev-rate", "", 0)


@app.function(id="dev-singleton", trigger="dev/singleton", singleton=Singleton(mode="skip"))
def dev_singleton(ctx: SyncContext) -> None:
    ctx.step.run("one", record, "dev-singleton", "", 0.3)


@app.function(
    id="dev-debounce", trigger="dev/debounce", debounce=Debounce("2s", key="event.data.doc")
)
async def dev_debounce(ctx: Context) -> Any:
    await ctx.step.run("one", record, "dev-debounce", str(ctx.event.data["doc"]), 0)
    return ctx.event.data["n"]


@app.function(id="dev-batch", trigger="dev/batch", batch_events=Batch(3, "1s"))
def dev_batch(ctx: SyncContext) -> int:
    ids = [str(e.id) for e in ctx.events]
    ctx.step.run("one", record_batch, ids)
    return len(ids)


def record_batch(ids: list[str]) -> None:
    with LOCK:
        BATCHES.append(ids)


def hold_or_record(function_id: str, data: dict[str, Any]) -> None:
    """A ``hold`` event's step keeps its slot until the test sets its gate; any other records
    when it ran."""
    gate = data.get("hold")
    if gate:
        with LOCK:
            event = GATES.setdefault(str(gate), threading.Event())
        event.wait(HOLD_SECONDS)
        return
    record(function_id, str(data.get("name", "")), 0)


@app.function(
    id="dev-priority",
    trigger="dev/priority",
    concurrency=1,
    priority=Priority(run="has(event.data.high) && event.data.high ? 120 : 0"),
)
def dev_priority(ctx: SyncContext) -> None:
    ctx.step.run("one", hold_or_record, "dev-priority", dict(ctx.event.data))


SHARED_SLOT = Concurrency(limit=1, key="'timeout-slot'", scope="env")
"""One slot shared by the holder and the function with a start timeout: the holder has no
timeout of its own to miss on a slow machine."""


@app.function(id="dev-slot-holder", trigger="dev/slot-holder", concurrency=SHARED_SLOT)
def dev_slot_holder(ctx: SyncContext) -> None:
    ctx.step.run("one", hold_or_record, "dev-slot-holder", dict(ctx.event.data))


@app.function(
    id="dev-timeout-start",
    trigger="dev/timeout-start",
    concurrency=SHARED_SLOT,
    timeouts=Timeouts(start="2s"),
)
async def dev_timeout_start(ctx: Context) -> None:
    await ctx.step.run("one", record, "dev-timeout-start", "", 0)


@app.function(id="dev-timeout-finish", trigger="dev/timeout-finish", timeouts=Timeouts(finish="2s"))
def dev_timeout_finish(ctx: SyncContext) -> None:
    ctx.step.run("one", record, "dev-timeout-finish", "", 0)
    ctx.step.sleep("long", "1m")
