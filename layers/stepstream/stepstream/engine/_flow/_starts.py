"""What flow control decides when a run is created: throttle (delay its start), rate limit
and singleton ``skip`` (start nothing, record why), singleton ``cancel`` (cancel the run in
progress), and the start timeout's timer."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from ... import _metrics
from ..._flow import seconds
from ..._function import Function
from ..._states import TERMINAL
from ...store import RunRecord
from .. import _timers
from .._backends import Backends
from .._ids import now_ms
from ._gcra import rate_admit, throttle_start
from ._keys import expression_id, key_value

SINGLETON_HOLD_MS = 367 * 86400 * 1000
log = logging.getLogger("stepstream.flow")


@dataclass
class StartGate:
    """How a new run starts: ``reason`` is stored on the run (why it is held back or was
    skipped); ``skip``: store the run as cancelled and queue nothing; ``start_at``: queue its
    start for then (epoch ms)."""

    reason: dict[str, Any] | None = None
    skip: bool = False
    start_at: int | None = None
    cancel_run: str | None = None


def gate(backends: Backends, fn: Function, event: dict[str, Any], run_id: str) -> StartGate:
    flow = fn.flow
    state = backends.state
    now = now_ms()
    if flow.rate_limit is not None:
        limit = flow.rate_limit
        value = key_value(limit.key, event)
        period = int(seconds(limit.period) * 1000)
        key = f"RATE#{fn.id}#{expression_id(limit.key)}#{value}"
        if not rate_admit(state, key, now, period // limit.limit, period):
            where = f" for {limit.key} = {value!r}" if limit.key else ""
            label = f"rate limit {limit.limit} per {limit.period}{where} reached; event dropped"
            log.info("run of %s for event %s: %s", fn.id, event.get("id"), label)
            return StartGate({"reason": "rate_limited", "label": label, "since": now}, skip=True)
    out = StartGate()
    if flow.singleton is not None:
        single = flow.singleton
        value = key_value(single.key, event)
        key = f"SINGLE#{fn.id}#{expression_id(single.key)}#{value}"
        holder = _take_singleton(backends, key, run_id, single.mode == "cancel", now)
        if holder is not None and single.mode == "skip":
            label = f"singleton: run {holder} is in progress"
            return StartGate({"reason": "singleton", "label": label, "since": now}, skip=True)
        out.cancel_run = holder
    if flow.throttle is not None:
        throttle = flow.throttle
        value = key_value(throttle.key, event)
        interval = int(seconds(throttle.period) * 1000) // throttle.limit
        key = f"THR#{fn.id}#{expression_id(throttle.key)}#{value}"
        start_at = throttle_start(state, key, now, interval, throttle.burst, f"THR#{fn.id}")
        if start_at > now:
            where = f" for {throttle.key} = {value!r}" if throttle.key else ""
            label = f"throttled: {throttle.limit} per {throttle.period}{where}"
            out.reason = {"reason": "throttled", "label": label, "until": start_at, "since": now}
            out.start_at = start_at
    return out


def _take_singleton(
    backends: Backends, key: str, run_id: str, cancel: bool, now: int
) -> str | None:
    """Make ``run_id`` the key's singleton. Returns the run in progress that holds it (with
    ``cancel``: the one it took over from, to be cancelled), None if it was free. A holder
    that ended (its release was lost to a crash) counts as free."""
    state = backends.state
    for _ in range(10):
        held = state.get_claim(key)
        holder = held[0] if held and held[1] >= now else None
        if holder == run_id:
            return None
        if holder is not None and not cancel:
            current = state.get_run(holder)
            if current is not None and current.status not in TERMINAL:
                return holder
        if state.replace_claim(key, held[0] if held else None, run_id, now + SINGLETON_HOLD_MS):
            return holder if cancel else None
    raise RuntimeError(f"singleton key {key} kept changing")


def after_created(backends: Backends, fn: Function, run: RunRecord, gate: StartGate) -> None:
    """Queue what the new run's options need besides its start."""
    hop = backends.settings.max_timer_hop_seconds
    if gate.cancel_run and backends.state.cancel_run(gate.cancel_run, now_ms()):
        log.info("run %s cancelled: singleton %s started %s", gate.cancel_run, fn.id, run.run_id)
        _metrics.run_cancelled(fn.id, gate.cancel_run)
    timeouts = fn.flow.timeouts
    if timeouts is not None and timeouts.start is not None and not gate.skip:
        wake = run.created_at / 1000 + seconds(timeouts.start)
        body = {"run_id": run.run_id, "kind": "timeout", "timeout": "start"}
        _timers.schedule(backends.queue, body, wake, hop)


def release_singleton(backends: Backends, fn: Function, run: RunRecord) -> None:
    """The run ended: free its singleton key if it still holds it (a compare-and-set, so a
    run that took over is never released by the one it replaced)."""
    single = fn.flow.singleton
    if single is None or run.status not in TERMINAL:
        return
    value = key_value(single.key, run.event)
    key = f"SINGLE#{fn.id}#{expression_id(single.key)}#{value}"
    backends.state.replace_claim(key, run.run_id, "", 0)
