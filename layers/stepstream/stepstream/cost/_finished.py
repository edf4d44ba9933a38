"""The ledgers of runs that ended in this process, for whoever reports them (the metrics)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass

KEPT = 1000
"""Ledgers kept until taken; older ones are dropped, so nobody taking them costs no memory."""


@dataclass(frozen=True)
class FinishedRun:
    """A run that ended during an invocation in this process, with its whole ledger."""

    run_id: str
    function_id: str
    status: str
    counts: dict[str, float]


_finished: deque[FinishedRun] = deque(maxlen=KEPT)
_lock = threading.Lock()


def note_finished(run: FinishedRun) -> None:
    with _lock:
        _finished.append(run)


def take_finished() -> list[FinishedRun]:
    """The runs that ended here since the last call, oldest first, each with its total ledger
    (every invocation's counts, as the run item holds them after this invocation's write)."""
    with _lock:
        taken = list(_finished)
        _finished.clear()
    return taken
