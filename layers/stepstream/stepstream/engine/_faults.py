"""Fault hooks: named points where tests inject crashes or force interleavings.

A hook is ``hook(point, run_id, step_hash)``; it may raise (a ``BaseException`` simulates the
Lambda dying) or do work (send an event) to force an order of operations deterministically."""

from __future__ import annotations

from collections.abc import Callable

FaultHook = Callable[[str, str, str], None]

BEFORE_BODY = "before_body"
AFTER_BODY = "after_body"
BEFORE_CHECKPOINT = "before_checkpoint"
AFTER_CHECKPOINT = "after_checkpoint"
WAIT_REACHED = "wait_reached"
"""After the executor noted ``reached_at`` and before it writes the wait record."""
CLAIM_REFUSED = "claim_refused"
"""An executor found the run leased by another live executor (or finished) and backed off."""
EVENT_STORED = "event_stored"
"""After ingestion wrote an event and before it looks for waits (``run_id`` is the event id)."""


class SimulatedCrash(BaseException):
    """The executor 'dies' here: nothing after this point runs and no message is acknowledged."""
