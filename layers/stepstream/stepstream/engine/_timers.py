"""Timers as SQS delays, re-delayed in hops of at most ``max_timer_hop_seconds``.

A timer is an ordinary executor message carrying ``wake_at`` (epoch seconds). SQS delays are
whole seconds and at most 900, so a long sleep is a chain of hops: each arrival that is still
more than a second early is sent again with the next hop's delay."""

from __future__ import annotations

import math
import time
from typing import Any

from ..store import Queue


def schedule(queue: Queue, body: dict[str, Any], wake_at: float, hop_seconds: int) -> None:
    """Send ``body`` so it arrives at ``wake_at`` or, if that is further than one hop, after
    one hop (the executor re-delays it on arrival)."""
    remaining = wake_at - time.time()
    delay = min(hop_seconds, max(0, math.ceil(remaining)))
    queue.send({**body, "wake_at": wake_at}, delay_seconds=delay)


def hop_if_early(queue: Queue, body: dict[str, Any], hop_seconds: int) -> bool:
    """If ``body`` is a timer that arrived more than a second early, send it on and return True.
    An arrival less than a second early waits out the remainder (SQS delays are whole seconds)."""
    wake_at = body.get("wake_at")
    if not isinstance(wake_at, int | float):
        return False
    remaining = wake_at - time.time()
    if remaining > 1:
        schedule(queue, body, float(wake_at), hop_seconds)
        return True
    if remaining > 0:
        time.sleep(remaining)
    return False
