"""What flow control holds right now, for people: events gathered for a debounce or batch
that has no run yet, and a function's usage of each limit. Every read here is bounded (the
numbers below) and eventually consistent (GSI1 listings, written by the same requests that
change the items, so listing costs no write of its own)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..._flow import seconds
from ..._function import Function
from .._backends import Backends
from .._ids import now_ms
from ._concurrency import key_prefix as counter_prefix
from ._concurrency import listing as counter_listing
from ._gather import debounce_due, gathers
from ._gather import key_prefix as gather_prefix
from ._gather import listing as gather_listing
from ._gcra import next_allowed
from ._keys import expression_id

LISTED_PER_LIMIT = 20
"""Counters, throttle keys or open gathers read per listing: one Query each."""
TOP_KEYS = 5
"""Busiest concurrency keys whose line is counted (one COUNT Query each)."""
QUEUED_CAP = 100
"""A line is counted up to this many runs ("100+")."""


def reads_per_view(fn: Function) -> int:
    """The most requests ``usage`` makes for ``fn``."""
    reads = len(fn.flow.concurrency) * (1 + TOP_KEYS)
    reads += 1 if fn.flow.throttle is not None else 0
    return reads + (1 if gathers(fn) else 0)


def _iso(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="seconds")


@dataclass
class PendingView:
    """Events gathered for one run that does not exist yet."""

    function_id: str
    kind: str
    """``debounce`` or ``batch``."""
    key: str | None
    """The option's key expression."""
    key_value: str
    events: int
    """Events gathered (a debounce keeps only the last, but counts them all)."""
    first_event_at: int
    last_event_at: int
    last_event_id: str | None
    starts_at: int
    """When the run starts (ms) at the latest: a debounce's quiet period or timeout, a
    batch's timeout."""
    max_size: int | None
    """A batch also starts as soon as it holds this many events."""
    label: str


def pending(backends: Backends, fn: Function, limit: int = LISTED_PER_LIMIT) -> list[PendingView]:
    """The function's open debounce or batch windows, at most ``limit`` (one Query)."""
    if not gathers(fn):
        return []
    out = []
    prefix = gather_prefix(fn)
    debounce, batch = fn.flow.debounce, fn.flow.batch_events
    for key, got in backends.state.listed_gathers(gather_listing(fn), limit):
        last = got.event_ids[-1] if got.event_ids else None
        common: dict[str, Any] = {
            "function_id": fn.id,
            "key_value": key[len(prefix) :] if key.startswith(prefix) else key,
            "first_event_at": got.first_at,
            "last_event_at": got.last_at,
            "last_event_id": last,
        }
        if debounce is not None:
            due = int(debounce_due(fn, got))
            label = f"debounced until {_iso(due)} (last event {last})"
            out.append(
                PendingView(
                    kind="debounce",
                    key=debounce.key,
                    events=got.seq,
                    starts_at=due,
                    max_size=None,
                    label=label,
                    **common,
                )
            )
        elif batch is not None:
            due = got.first_at + int(seconds(batch.timeout) * 1000)
            n = len(got.event_ids)
            label = (
                f"batch of {n} event{'s' if n != 1 else ''}, starts at {_iso(due)} "
                f"or at {batch.max_size}"
            )
            if got.sealed:
                label = f"batch of {n} events, starting"
            out.append(
                PendingView(
                    kind="batch",
                    key=batch.key,
                    events=n,
                    starts_at=due,
                    max_size=batch.max_size,
                    label=label,
                    **common,
                )
            )
    return out


@dataclass
class KeyUsage:
    value: str
    running: int
    """Slots held: runs executing steps (or a slot handed to a woken run)."""
    queued: int | None = None
    """Runs in line for the key (counted up to ``QUEUED_CAP``); None if not counted."""


@dataclass
class LimitUsage:
    limit: int
    key: str | None
    scope: str
    keys_read: int
    """Counters read (at most ``LISTED_PER_LIMIT``, in key order)."""
    busiest: list[KeyUsage] = field(default_factory=list)
    """Counters with slots held, busiest first, at most ``TOP_KEYS``."""


@dataclass
class ThrottleKey:
    value: str
    next_allowed_at: int
    """When the next run of this key may start (ms); in the past: at once."""


@dataclass
class UsageView:
    function_id: str
    concurrency: list[LimitUsage]
    throttle: list[ThrottleKey]
    """Keys whose next run must wait (of the first ``LISTED_PER_LIMIT`` read), the latest
    next start first."""
    pending: list[PendingView]
    reads: int
    """Requests this view made."""
    at: int


def usage(backends: Backends, fn: Function) -> UsageView:
    """The function's current use of its limits, from at most ``reads_per_view(fn)`` reads."""
    state = backends.state
    reads = 0
    now = now_ms()
    limits = []
    for c in fn.flow.concurrency:
        prefix = counter_prefix(fn, c)
        listed = state.listed_counters(counter_listing(fn, c), LISTED_PER_LIMIT)
        reads += 1
        held = [
            (key, len([u for u in holders.values() if u >= now]))
            for key, holders in listed
            if key.startswith(prefix)
        ]
        busy = sorted((h for h in held if h[1] > 0), key=lambda h: (-h[1], h[0]))[:TOP_KEYS]
        keys = []
        for key, running in busy:
            queued = state.count_waiters(key, QUEUED_CAP)
            reads += 1
            keys.append(KeyUsage(key[len(prefix) :], running, queued))
        limits.append(LimitUsage(c.limit, c.key, c.scope, len(listed), keys))
    throttled = []
    if fn.flow.throttle is not None:
        throttle = fn.flow.throttle
        interval = int(seconds(throttle.period) * 1000) // throttle.limit
        prefix = f"THR#{fn.id}#{expression_id(throttle.key)}#"
        for key, value, _ in state.listed_claims(f"THR#{fn.id}", LISTED_PER_LIMIT):
            try:
                tat = int(value)
            except ValueError:
                continue
            nxt = next_allowed(tat, now, interval, throttle.burst)
            if nxt > now and key.startswith(prefix):  # the others may start at once
                throttled.append(ThrottleKey(key[len(prefix) :], nxt))
        reads += 1
        throttled.sort(key=lambda t: -t.next_allowed_at)
    gathered = pending(backends, fn)
    reads += 1 if gathers(fn) else 0
    return UsageView(fn.id, limits, throttled, gathered, reads, now)
