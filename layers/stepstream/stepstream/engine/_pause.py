"""Pausing a function: no new runs start while it is paused; runs in flight finish.

The pause mode says what happens to the runs its events would start: ``hold`` creates them
queued but does not queue their start (a ``HOLD#`` record keeps them until resume), ``skip``
creates none. Runs started by ``step.invoke`` are not held: their parent waits on them."""

from __future__ import annotations

import logging
import time

from .._errors import OperationError
from ._backends import Backends
from ._timers import schedule

HOLD = "hold"
SKIP = "skip"
MODES = (HOLD, SKIP)
log = logging.getLogger("stepstream.pause")


def pause_mode(backends: Backends, function_id: str) -> str | None:
    """``hold``, ``skip`` or None (not paused): one consistent GetItem."""
    return backends.state.pauses().get(function_id)


def pause(backends: Backends, function_id: str, mode: str) -> None:
    if mode not in MODES:
        raise OperationError(
            "invalid",
            f"pause mode must be 'hold' (start the runs on resume) or 'skip', not {mode!r}",
        )
    backends.state.set_pause(function_id, mode)


def hold(backends: Backends, function_id: str, run_id: str) -> bool:
    """Keep a just-created run until resume. False if the function was resumed meanwhile (the
    caller then queues the run itself; a resume that listed the hold may queue it too, which
    is harmless: a second start message finds the run claimed or finished)."""
    backends.state.hold_run(function_id, run_id)
    if pause_mode(backends, function_id) == HOLD:
        return True
    backends.state.release_held(function_id, run_id)
    return False


def resume(backends: Backends, function_id: str) -> list[str]:
    """Unpause and start the held runs, oldest first (one whose event has a future ``ts``
    still starts at ``ts``); returns their ids."""
    state = backends.state
    state.set_pause(function_id, None)
    started = []
    for run_id in state.held_runs(function_id):
        run = state.get_run(run_id)
        ts = run.event.get("ts") if run is not None else None
        message = {"run_id": run_id, "kind": "start"}
        if isinstance(ts, int) and ts / 1000 > time.time() + 1:
            schedule(backends.queue, message, ts / 1000, backends.settings.max_timer_hop_seconds)
        else:
            backends.queue.send(message)
        state.release_held(function_id, run_id)
        started.append(run_id)
    log.info("%s resumed; %d held runs started", function_id, len(started))
    return started
