"""Named states and the shared numbers whose agreement the engine's proofs depend on.

Nothing here imports anything from stepstream, so the store, the engine and the HTTP layer can
all use it without an import cycle."""

from __future__ import annotations

from enum import StrEnum


class RunStatus(StrEnum):
    """Where a run is. Stored as its string value."""

    QUEUED = "queued"
    RUNNING = "running"
    SLEEPING = "sleeping"
    WAITING = "waiting"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @staticmethod
    def is_terminal(status: object) -> bool:
        """Whether ``status`` (a member or its string, e.g. a run frame's ``data.status``) is
        one a run never leaves: completed, failed or cancelled. False for anything else."""
        return isinstance(status, str) and status in TERMINAL


TERMINAL: frozenset[str] = frozenset({RunStatus.COMPLETED, RunStatus.FAILED, RunStatus.CANCELLED})
"""A run in one of these never changes again."""
ACTIVE: tuple[str, ...] = (
    RunStatus.QUEUED,
    RunStatus.RUNNING,
    RunStatus.SLEEPING,
    RunStatus.WAITING,
)
"""A run in one of these may still be claimed, cancelled or resumed."""


class StepStatus(StrEnum):
    """Where a step is. ``OK`` and ``ERROR`` are final; the others are pending records."""

    OK = "ok"
    ERROR = "error"
    RETRY = "retry"
    SLEEPING = "sleeping"
    WAITING = "waiting"


FINAL_STEP: frozenset[str] = frozenset({StepStatus.OK, StepStatus.ERROR})

# --- numbers that two modules must agree on ---------------------------------------------------
WAIT_SKEW_MS = 250
"""Events received this long before a wait was reached still count, on both sides of the race:
the executor's look-back and ingestion's wait matching. Clocks of the ingesting and the
executing Lambda may differ slightly."""
WAIT_LOOKBACK_MS = 60_000
"""How long after being reached a wait record is surely stored: the two are one checkpoint apart
in one invocation."""
DEDUPE_MS = 24 * 3600 * 1000
"""Event ids, idempotency keys and cron minutes are remembered this long."""
EVENT_CLAIM_MS = 30_000
"""How long an ingestion may take before another send of the same event id may redo it."""
