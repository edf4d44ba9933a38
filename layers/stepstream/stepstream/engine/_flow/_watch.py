"""A concurrency line's watch: the safety net for a wake-up lost to a crash (between a slot
freed and its wake-up sent), a reservation nobody claims, or a slot whose executor died on a run
that will not come back.

One delayed executor message per counter with runs in line, not one per parked run. When a run
parks it reads the counter (it does anyway, to reap expired holders) and arms the watch only if
none is armed, or the armed one is overdue (its chain died) or due later than a holder's lease
end. The message looks at the counter when due: it reaps expired holders, gives a free slot to
the first in line, and arms the next watch while runs wait (or clears it). Its ``due`` is the
counter's ``watch`` attribute, set with a conditional write, so at most one chain is current: a
message whose ``due`` is no longer the counter's is a leftover and does nothing.

A watch per parked run (a fallback message each) left one delayed message in the queue per run
in line and, a minute on, one wasted invocation per run that had long started: in a line kept
busy that doubled the executor's invocations, and on moto (whose receive walks every message
in the queue) it slowed every hand-over in proportion to the runs parked in the last minute."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ...store import SlotLimit
from .. import _timers
from .._backends import Backends

EVERY_S = 60
"""A line with runs in it is looked at at least this often, whatever wakes them or not."""
OVERDUE_MS = EVERY_S * 1000
"""A watch this far past due had its message lost with a crash: the next run to park arms a
new one."""
WATCH_KIND = "concurrency_watch"
"""The executor message kind of a line's watch."""


def due_for(holders: Mapping[str, int], now: int) -> int:
    """When a line should be looked at (ms): a second after the soonest holder's lease ends
    (its slot can be reaped then), at most ``EVERY_S`` on."""
    soonest = min(holders.values(), default=now)
    return now + 1000 * max(1, min(EVERY_S, math.ceil((soonest - now) / 1000) + 1))


def keep(
    backends: Backends, limit: SlotLimit, armed: int | None, holders: Mapping[str, int], now: int
) -> None:
    """A run just parked in ``limit``'s line, whose counter read ``armed`` and ``holders``:
    arm a watch unless the armed one will look in time."""
    wanted = due_for(holders, now)
    if armed is not None and now - OVERDUE_MS <= armed <= wanted + 1000:
        return
    arm(backends, limit, wanted, armed)


def arm(backends: Backends, limit: SlotLimit, due: int, armed: int | None) -> bool:
    """Send the watch message due at ``due``, then make it the counter's (if its watch is still
    ``armed``). The message goes first: a watch written but never sent (a crash in between)
    would keep every parked run from arming one until it is overdue; a message sent but not
    written is a leftover that does nothing."""
    body = {"kind": WATCH_KIND, "key": limit.key, "limit": limit.limit, "due": due}
    _timers.schedule(backends.queue, body, due / 1000, backends.settings.max_timer_hop_seconds)
    return backends.state.replace_watch(limit.key, armed, due)


def parse(body: Mapping[str, Any]) -> tuple[SlotLimit, int] | None:
    """The counter and due time a watch message names (None: not a well-formed one)."""
    key, limit, due = body.get("key"), body.get("limit"), body.get("due")
    if not isinstance(key, str) or not key.startswith("CONC#"):
        return None
    if not isinstance(limit, int) or limit < 1 or not isinstance(due, int):
        return None
    return SlotLimit(key, limit), due
