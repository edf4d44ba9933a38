"""GCRA (the generic cell rate algorithm) over a claim item whose value is the theoretical
arrival time (ms), advanced by compare-and-set: throttle reserves a start time, rate limit
admits or refuses. Each decision is one consistent GetItem and one conditional PutItem; a lost
race reads again."""

from __future__ import annotations

from collections.abc import Callable

from ...store import StateStore

MAX_RACES = 20


def advance(
    state: StateStore,
    key: str,
    now: int,
    decide: Callable[[int], int | None],
    keep_ms: int,
    listing: str | None = None,
) -> int | None:
    """Read the key's TAT (``now`` if absent or past), ask ``decide(tat)`` for the new TAT (None:
    refused, nothing written) and store it if nobody raced us. Returns the TAT it was given."""
    for _ in range(MAX_RACES):
        held = state.get_claim(key)
        tat = max(now, int(held[0])) if held else now
        new = decide(tat)
        if new is None:
            return None
        expected = held[0] if held else None
        if state.replace_claim(key, expected, str(new), new + keep_ms, listing=listing):
            return tat
    raise RuntimeError(f"flow control key {key} kept changing under {MAX_RACES} attempts")


def throttle_start(
    state: StateStore,
    key: str,
    now: int,
    interval_ms: int,
    burst: int,
    listing: str | None = None,
) -> int:
    """Reserve a start for a throttled run: when it may start (ms), ``now`` if within the
    burst. ``burst`` runs may start back to back; then one per ``interval_ms``."""
    tat = advance(state, key, now, lambda t: t + interval_ms, interval_ms * burst, listing)
    assert tat is not None
    return next_allowed(tat, now, interval_ms, burst)


def next_allowed(tat: int, now: int, interval_ms: int, burst: int) -> int:
    """When a run arriving at ``now`` may start, given the key's TAT."""
    return max(now, max(now, tat) + interval_ms - burst * interval_ms)


def rate_admit(state: StateStore, key: str, now: int, interval_ms: int, period_ms: int) -> bool:
    """Admit a run if fewer than ``period/interval`` were admitted in the last ``period``."""

    def decide(tat: int) -> int | None:
        new = tat + interval_ms
        return new if new - now <= period_ms else None

    return advance(state, key, now, decide, period_ms) is not None
