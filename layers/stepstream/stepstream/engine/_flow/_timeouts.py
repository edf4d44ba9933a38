"""Timeouts: a timer message per run (``kind: timeout``) that cancels it if it has not
started (``start``, from its creation) or not finished (``finish``, from its first start) by
then. The cancel is the ordinary conditional update on an active status, so a run that
finished first is left alone."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from ... import _metrics
from ..._flow import seconds
from ..._function import Function
from ..._states import TERMINAL, RunStatus
from ...store import RunRecord
from .. import _timers
from .._backends import Backends
from .._ids import now_ms

log = logging.getLogger("stepstream.flow")


def schedule_finish(backends: Backends, fn: Function, run: RunRecord) -> None:
    """The run starts for the first time: queue its finish timeout."""
    timeouts = fn.flow.timeouts
    if timeouts is None or timeouts.finish is None:
        return
    body = {"run_id": run.run_id, "kind": "timeout", "timeout": "finish"}
    wake = time.time() + seconds(timeouts.finish)
    _timers.schedule(backends.queue, body, wake, backends.settings.max_timer_hop_seconds)


def expire(
    backends: Backends, body: dict[str, Any], on_cancelled: Callable[[RunRecord], None]
) -> None:
    """A timeout message arrived: cancel the run if it is still due."""
    run_id, which = str(body.get("run_id")), body.get("timeout")
    state = backends.state
    run = state.get_run(run_id)
    if run is None or run.status in TERMINAL:
        return
    if which == "start":
        started = run.status != RunStatus.QUEUED or run.attempt > 0 or state.load_steps(run_id)
        if started:
            return
    now = now_ms()
    # Kept on the run, so the runs API says why it ended instead of the reason it waited for.
    words = "not started within" if which == "start" else "not finished within"
    reason = {"reason": f"{which}_timeout", "label": f"{words} timeouts.{which}", "since": now}
    if state.cancel_run(run_id, now, reason):
        log.info("run %s cancelled: its %s timeout passed", run_id, which)
        run.status = RunStatus.CANCELLED
        _metrics.run_ended(run)
        on_cancelled(run)
