"""Run, step, event and realtime metrics as CloudWatch EMF lines, through Powertools Metrics.

The handler factories (``stepstream.handlers``) call :func:`begin` and :func:`flush` around each
Lambda invocation, as Powertools' ``log_metrics`` would; everything else calls the emission
points. Namespace ``POWERTOOLS_METRICS_NAMESPACE`` (default ``stepstream``). On by default on
Lambda, off elsewhere; ``STEPSTREAM_METRICS=on`` prints the same lines on stdout locally.
docs/operations.md lists the metrics.
"""

from __future__ import annotations

from ._points import (
    events_accepted,
    events_refused,
    fanout_shards,
    queue_delay,
    realtime_dispatched,
    realtime_post_failed,
    realtime_posted,
    realtime_published,
    realtime_too_large,
    run_cancelled,
    run_cost,
    run_ended,
    run_started,
    slot_waited,
    step_ran,
    woke,
)
from ._recorder import RECORDER, SWITCH, wanted

__all__ = [
    "SWITCH",
    "begin",
    "events_accepted",
    "events_refused",
    "fanout_shards",
    "flush",
    "queue_delay",
    "realtime_dispatched",
    "realtime_post_failed",
    "realtime_posted",
    "realtime_published",
    "realtime_too_large",
    "run_cancelled",
    "run_cost",
    "run_ended",
    "run_started",
    "slot_waited",
    "step_ran",
    "woke",
]


def begin() -> None:
    """An invocation starts: record its metrics if :func:`wanted` says so."""
    RECORDER.on = wanted()


def flush() -> None:
    """An invocation ends: print what it recorded (nothing if nothing, or if off)."""
    if RECORDER.on:
        RECORDER.flush()
