"""Concurrency limits: at most ``limit`` runs per key hold a slot, and a run holds one only
while an executor runs its steps (from its claim until the invocation's steps are done, before
it stores the outcome), never while it sleeps or waits.

Safety, with several executors and duplicate deliveries:

- a slot is taken by one conditional UpdateItem per counter (``contains(holders, :run) OR
  size(holders) < :limit``; both counters in one transaction), so no counter ever holds more
  runs than its limit;
- the holder is the run id with the lease it was taken under, so a redelivery after an executor
  died takes the same slot again, and the end of an invocation gives the slot back only if its
  own lease is still the holder's (``reap_slot``): an executor that lost its lease never frees
  the slot a newer executor of the same run holds;
- a finishing run reads the key's queue first: with a run in line it hands its slot to that
  run (``hand_slot``: the waiter is added as a holder, under a reservation, on the condition
  that the finisher's lease still holds, and only then is the finisher dropped), so the slot
  is never free for an arrival to take while the woken run's message is on its way. The woken
  run finds itself a holder already (``contains(holders, :run)``) and starts. The waiter's
  record is read after its wake-up is sent; one that ended while in line gets the slot taken
  back (conditional on the reservation) and passed on;
- with nobody in line it frees the slot *then* reads the queue again, and a run that cannot
  start writes itself into the queue *then* reads the counter, so at least one of them sees
  the other: the run retries at once, or the finisher takes the slot for it and wakes it.
  Nobody polls.
- a reservation nobody claims (the woken run was cancelled, its message lost) ends with its
  lease, ``RESERVE_MS`` later, and is reaped like a dead executor's slot.
- a slot whose holder's lease expired (its executor died and its run will not come back, e.g.
  it was cancelled) is reaped by the next run the counter refuses, or by the line's watch
  (``_watch.py``): one delayed message per line with runs in it, due at the soonest holder's
  lease end and at most a minute on, so a wake-up lost to a crash between freeing a slot and
  sending it costs at most that long."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from functools import partial
from typing import Any

from ..._flow import PRIORITY_RANGE_S, Concurrency
from ..._function import Function
from ..._states import TERMINAL
from ...store import RunRecord, SlotLimit, StateStore
from .._backends import Backends
from .._ids import now_ms
from . import _watch
from ._keys import expression_id, key_value, priority_ms

REASON = "concurrency"
WAKE_KIND = "concurrency"
"""The executor message kind that wakes a parked run (a freed slot)."""
RESERVE_MS = _watch.EVERY_S * 1000
"""How long a slot handed to a woken run is kept for it before anyone may reap it."""
MAX_STALE_WAITERS = 5
"""Ended runs a wake-up skips over in a line before it gives up (the line's watch catches
up)."""
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
        limit = SlotLimit(_counter_key(fn, c, value), c.limit, listing(fn, c))
        out.append(Counter(limit, _label(c, value)))
    return out


def listing(fn: Function, c: Concurrency) -> str:
    """Where a limit's counters are listed (GSI1), for the usage view; the key prefix of each
    counter is the listing's name with ``CONC`` for ``SLOTS``."""
    if c.scope == "fn":
        return f"SLOTS#fn#{fn.id}#{expression_id(c.key)}"
    return "SLOTS#env"


def key_prefix(fn: Function, c: Concurrency) -> str:
    """What precedes the key's value in a counter key of this limit."""
    return _counter_key(fn, c, "")


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
    """FIFO by the run's creation time, moved ahead by its priority. Runs created in the same
    millisecond keep the order of their events' ids (ULIDs, monotonic where one process made
    them); run ids are no tie-break, being hashed from the event so a retried ingestion makes
    the same one (two runs parked in one millisecond could start in either order)."""
    ahead = priority_ms(fn.flow.priority.run if fn.flow.priority else None, run.event, 600)
    position = run.created_at - ahead + PRIORITY_RANGE_S * 1000
    return f"{max(0, position):015d}#{run.event_id}#{run.run_id}"


def acquire(
    backends: Backends,
    fn: Function,
    run: RunRecord,
    owner: str,
    lease_until: int,
    later: Callable[[Callable[[], None]], None] | None = None,
) -> bool:
    """Take the run's slots, or put it in line and park it; True if it may run now. A run that
    got its slots after waiting leaves the line through ``later`` if given (off its start's
    path; the caller sees it done before the slots go back), else before this returns."""
    needed = counters(fn, run.event)
    if not needed:
        return True
    state = backends.state
    limits = [c.limit for c in needed]
    refused = state.acquire_slots(run.run_id, limits, lease_until)
    waiting = run.flow if run.flow and run.flow.get("reason") == REASON else None
    if refused is None:
        if waiting is not None:
            leave = partial(_leave_line, backends, needed, waiting)
            if later is None:
                leave()
            else:
                later(leave)
        return True
    sort = str(waiting["sort"]) if waiting else waiter_sort(fn, run)
    state.put_waiter(refused, sort, run.run_id)
    if waiting and waiting.get("key") != refused:
        # now held back by the other counter: leave the first one's line, keeping the place
        state.delete_waiter(str(waiting.get("key", "")), sort)
    if waiting and len(needed) > 1:
        # a slot handed to this run on a counter that let it in is passed on, not kept idle
        for counter in needed:
            if counter.limit.key != refused:
                reserved = state.slot_holders(counter.limit.key).get(run.run_id)
                if reserved is not None:
                    _free(backends, counter.limit, run.run_id, reserved)
    # Look after writing: a slot freed since the refusal either shows here or its finisher
    # sees us in line.
    limit = next(c.limit for c in needed if c.limit.key == refused)
    looked = state.slot_counter(refused)
    now = now_ms()
    holders = _reap_expired(state, refused, looked.holders, now)
    # (a finisher that saw us in line may have handed us its slot already)
    if (run.run_id in holders or len(holders) < limit.limit) and (
        state.acquire_slots(run.run_id, limits, lease_until) is None
    ):
        state.delete_waiter(limit.key, sort)
        return True
    label = next(c.label for c in needed if c.limit.key == refused)
    reason = {"reason": REASON, "key": refused, "sort": sort, "label": label, "since": now}
    if state.park_run(run.run_id, owner, reason):
        _watch.keep(backends, limit, looked.watch, holders, now)
    return False


def _reap_expired(
    state: StateStore, key: str, holders: Mapping[str, int], now: int
) -> dict[str, int]:
    """Drop the holders of ``key`` whose lease ended (their executor died); the ones left."""
    left = dict(holders)
    for holder, until in holders.items():
        if until < now and state.reap_slot(key, holder, until):
            log.info("slot of %s on %s reaped: its lease expired", holder, key)
            del left[holder]
    return left


def watch_due(backends: Backends, body: Mapping[str, Any]) -> None:
    """A line's watch message is due: unless a newer watch replaced it, reap the counter's
    expired holders, give a free slot to the first in line, and watch on while runs wait."""
    parsed = _watch.parse(body)
    if parsed is None:
        log.error("malformed concurrency watch dropped: %.200r", body)
        return
    limit, due = parsed
    state = backends.state
    counter = state.slot_counter(limit.key)
    if counter.watch != due:
        return  # a leftover: the line's current watch is another message's (or none is needed)
    now = now_ms()
    holders = _reap_expired(state, limit.key, counter.holders, now)
    if len(holders) < limit.limit:
        woken = _give_free_slot(backends, limit)
        if woken is not None:
            holders[woken] = now + RESERVE_MS
    if state.first_waiters(limit.key, 1):
        _watch.arm(backends, limit, _watch.due_for(holders, now), due)
    elif state.replace_watch(limit.key, due, None) and state.first_waiters(limit.key, 1):
        # A run that parked while the line looked empty may have seen this watch armed and
        # left the watching to it: cleared first, read after, so one of the two arms one.
        _watch.arm(backends, limit, _watch.due_for(state.slot_holders(limit.key), now), None)


def _leave_line(backends: Backends, needed: list[Counter], waiting: dict[str, Any]) -> None:
    """The run got its slots after waiting: leave the line and, if the counter still has room
    (several slots freed at once), take a slot for the next in line and wake it."""
    key = str(waiting.get("key", ""))
    backends.state.delete_waiter(key, str(waiting.get("sort", "")))
    counter = next((c for c in needed if c.limit.key == key), None)
    # (with a limit of 1 this run's slot is the only one: no read needed to know it is full)
    if counter is None or counter.limit.limit == 1:
        return
    if len(backends.state.slot_holders(key)) < counter.limit.limit:
        _give_free_slot(backends, counter.limit)


def release(backends: Backends, fn: Function, run: RunRecord, lease_until: int) -> None:
    """Give back the slots this invocation took (only if its lease still holds them): each to
    the first run in line, which is woken, or to nobody."""
    for counter in counters(fn, run.event):
        _free(backends, counter.limit, run.run_id, lease_until)


class Slots:
    """The slots one invocation holds, given back once: as soon as its steps are done (before
    the outcome's writes, so the next run in line is not kept waiting on them), or at the end
    of the invocation if that came first or the early release failed."""

    def __init__(
        self,
        backends: Backends,
        fn: Function,
        run: RunRecord,
        lease_until: int,
        settling: Sequence[Future[None]] = (),
    ):
        self._args = (backends, fn, run, lease_until)
        self._settling = settling
        self.held = bool(fn.flow.concurrency)

    def release(self) -> None:
        if self.held:
            # Leaving the line first: done after the slot went back, it could delete the entry
            # of the run's next wait (a run that sleeps and comes back parks under its old
            # sort key).
            for leaving in self._settling:
                try:
                    leaving.result()
                except Exception:  # its entry stays: a finisher that meets it passes it over
                    log.exception("run %s did not leave its line", self._args[2].run_id)
            release(*self._args)
            self.held = False


def _free(backends: Backends, limit: SlotLimit, run_id: str, lease_until: int) -> None:
    state = backends.state
    line = ((s, r) for s, r in state.first_waiters(limit.key, MAX_STALE_WAITERS) if r != run_id)
    first = next(line, None)
    if first is not None:
        sort, waiter = first
        reserve = now_ms() + RESERVE_MS
        # Handed and woken before the waiter's record is read: that read is off the wake-up's
        # path. A waiter that ended while in line (cancelled) gets the slot taken back below;
        # its wake-up finds the run ended and does nothing.
        if state.hand_slot(limit.key, run_id, lease_until, waiter, reserve, _wake_now(backends)):
            current = state.get_run(waiter)
            if current is not None and current.status not in TERMINAL:
                return
            state.delete_waiter(limit.key, sort)
            if state.reap_slot(limit.key, waiter, reserve):
                _give_free_slot(backends, limit)
            return
        # lost our lease (nothing to give), or the first in line holds a slot already (it got
        # one while joining the line): free ours and give it to the next one that holds none
    if state.reap_slot(limit.key, run_id, lease_until):
        # A run that joined the line since it was read saw the counter full: it is ours to wake.
        _give_free_slot(backends, limit)


def _wake_now(backends: Backends) -> Callable[[str], None]:
    return lambda run_id: _wake(backends, run_id)


def _give_free_slot(backends: Backends, limit: SlotLimit) -> str | None:
    """Take a free slot of ``limit`` for the first run in line that holds none, and wake it;
    the run woken, if any."""
    waiters = _waiting(backends, limit.key)
    waiter = next(waiters, None)
    if waiter is None:
        return None
    holders = backends.state.slot_holders(limit.key)
    while waiter is not None and waiter in holders:
        waiter = next(waiters, None)
    if waiter is not None and backends.state.reserve_slot(limit, waiter, now_ms() + RESERVE_MS):
        _wake(backends, waiter)
        return waiter
    return None


def _wake(backends: Backends, run_id: str) -> None:
    backends.queue.send({"run_id": run_id, "kind": WAKE_KIND})


def _waiting(backends: Backends, key: str, skip: str | None = None) -> Iterator[str]:
    """The runs in line that are still waiting, first first; a run that ended while in line
    (it was cancelled) is taken out of it, so no slot is handed to it."""
    state = backends.state
    for sort, run_id in state.first_waiters(key, MAX_STALE_WAITERS):
        if run_id == skip:
            continue
        current = state.get_run(run_id)
        if current is None or current.status in TERMINAL:
            state.delete_waiter(key, sort)
            continue
        yield run_id
