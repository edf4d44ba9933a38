"""Concurrency limits: at most ``limit`` runs per key hold a slot, and a run holds one only
while an executor runs its steps (from its claim to the end of the invocation), never while it
sleeps or waits.

Safety, with several executors and duplicate deliveries:

- a slot is taken by one conditional UpdateItem per counter (``contains(holders, :run) OR
  size(holders) < :limit``; both counters in one transaction), so no counter ever holds more
  runs than its limit;
- the holder is the run id with the lease it was taken under, so a redelivery after an executor
  died takes the same slot again, and the end of an invocation gives the slot back only if its
  own lease is still the holder's (``reap_slot``): an executor that lost its lease never frees
  the slot a newer executor of the same run holds;
- a run that cannot start writes itself into the key's waiter queue *then* reads the counter;
  a finishing run frees its slot *then* reads the queue, so at least one of them sees the
  other: the run retries at once, or the finisher wakes it. Nobody polls.
- a slot whose holder's lease expired (its executor died and its run will not come back, e.g.
  it was cancelled) is reaped by the next run the counter refuses; every parked run also gets a
  fallback message at the earliest holder's lease end (at most a minute), so a wake-up lost to a
  crash between freeing a slot and sending it costs at most that long."""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from ..._flow import PRIORITY_RANGE_S, Concurrency
from ..._function import Function
from ..._states import TERMINAL
from ...store import RunRecord, SlotLimit
from .. import _timers
from .._backends import Backends
from .._ids import now_ms
from ._keys import expression_id, key_value, priority_ms

FALLBACK_MAX_S = 60
"""A parked run is tried again at least this often, whatever wakes it or not."""
REASON = "concurrency"
MAX_STALE_WAITERS = 5
"""Ended runs a wake-up skips over in a line before it gives up (the fallback catches up)."""
log = logging.getLogger("stepstream.flow")


@dataclass(frozen=True)
class Counter:
    limit: SlotLimit
    label: str


def counters(fn: Function, event: dict[str, Any]) -> list[Counter]:
    """The slot counters a run of ``fn`` for ``event`` needs."""
    out = []
    for c in fn.flow.concurrency:
        value = key_value(c.key, event)
        out.append(Counter(SlotLimit(_counter_key(fn, c, value), c.limit), _label(c, value)))
    return out


def _counter_key(fn: Function, c: Concurrency, value: str) -> str:
    if c.scope == "fn":
        return f"CONC#fn#{fn.id}#{expression_id(c.key)}#{value}"
    # env/account scope: every function whose key evaluates to the same value shares it.
    return f"CONC#env#{value}"


def _label(c: Concurrency, value: str) -> str:
    where = f" {c.key} = {value!r}" if c.key else ""
    scope = "" if c.scope == "fn" else f" ({c.scope})"
    return f"limit {c.limit}{scope}{where}"


def waiter_sort(fn: Function, run: RunRecord) -> str:
    """FIFO by the run's creation time, moved ahead by its priority."""
    ahead = priority_ms(fn.flow.priority.run if fn.flow.priority else None, run.event, 600)
    position = run.created_at - ahead + PRIORITY_RANGE_S * 1000
    return f"{max(0, position):015d}#{run.run_id}"


def acquire(backends: Backends, fn: Function, run: RunRecord, owner: str, lease_until: int) -> bool:
    """Take the run's slots, or put it in line and park it; True if it may run now."""
    needed = counters(fn, run.event)
    if not needed:
        return True
    state = backends.state
    limits = [c.limit for c in needed]
    refused = state.acquire_slots(run.run_id, limits, lease_until)
    waiting = run.flow if run.flow and run.flow.get("reason") == REASON else None
    if refused is None:
        if waiting is not None:
            _leave_line(backends, needed, waiting)
        return True
    sort = str(waiting["sort"]) if waiting else waiter_sort(fn, run)
    state.put_waiter(refused, sort, run.run_id)
    if waiting and waiting.get("key") != refused:
        # now held back by the other counter: leave the first one's line, keeping the place
        state.delete_waiter(str(waiting.get("key", "")), sort)
    # Look after writing: a slot freed since the refusal either shows here or its finisher
    # sees us in line.
    limit = next(c.limit for c in needed if c.limit.key == refused)
    holders = state.slot_holders(refused)
    now = now_ms()
    for holder, until in list(holders.items()):
        if until < now and state.reap_slot(refused, holder, until):
            log.info("slot of %s on %s reaped: its lease expired", holder, refused)
            del holders[holder]
    if len(holders) < limit.limit and (
        state.acquire_slots(run.run_id, limits, lease_until) is None
    ):
        state.delete_waiter(limit.key, sort)
        return True
    label = next(c.label for c in needed if c.limit.key == refused)
    reason = {"reason": REASON, "key": refused, "sort": sort, "label": label, "since": now}
    if state.park_run(run.run_id, owner, reason):
        soonest = min(holders.values(), default=now)
        delay = max(1, min(FALLBACK_MAX_S, math.ceil((soonest - now) / 1000) + 1))
        _timers.schedule(
            backends.queue,
            {"run_id": run.run_id, "kind": "concurrency"},
            now / 1000 + delay,
            backends.settings.max_timer_hop_seconds,
        )
    return False


def _leave_line(backends: Backends, needed: list[Counter], waiting: dict[str, Any]) -> None:
    """The run got its slots after waiting: leave the line and, if the counter still has room
    (several slots freed at once), wake the next in line."""
    key = str(waiting.get("key", ""))
    backends.state.delete_waiter(key, str(waiting.get("sort", "")))
    counter = next((c for c in needed if c.limit.key == key), None)
    if counter is not None and len(backends.state.slot_holders(key)) < counter.limit.limit:
        _wake_first(backends, key)


def release(backends: Backends, fn: Function, run: RunRecord, lease_until: int) -> None:
    """Give back the slots this invocation took (only if its lease still holds them) and wake
    the first run in line for each."""
    for counter in counters(fn, run.event):
        key = counter.limit.key
        if backends.state.reap_slot(key, run.run_id, lease_until):
            _wake_first(backends, key)


def _wake_first(backends: Backends, key: str) -> None:
    """Wake the first run in line that is still waiting; a run that ended while in line (it
    was cancelled) is taken out of it, so its wake-up is not wasted."""
    state = backends.state
    for sort, run_id in state.first_waiters(key, MAX_STALE_WAITERS):
        current = state.get_run(run_id)
        if current is None or current.status in TERMINAL:
            state.delete_waiter(key, sort)
            continue
        backends.queue.send({"run_id": run_id, "kind": "concurrency"})
        return
