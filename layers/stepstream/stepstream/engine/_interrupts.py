"""Control-flow signals the engine raises inside user code.

They derive from ``BaseException`` so that a user's ``except Exception:`` cannot swallow a
sleep, a wait, a retry or a cancellation."""

from __future__ import annotations

from .._states import StepStatus


class Interrupt(BaseException):
    """Stop running the function for this invocation."""


class Suspend(Interrupt):
    """A step is sleeping or waiting; wake the run at ``wake_at`` (epoch seconds) for ``step_hash``.

    ``wake_at`` is None for a wait with no timer of its own (never the case today)."""

    def __init__(self, step_hash: str, wake_at: float, status: StepStatus) -> None:
        super().__init__(f"{status} until {wake_at}")
        self.step_hash = step_hash
        self.wake_at = wake_at
        self.status = status


class RetryLater(Interrupt):
    """A step failed and will be retried after ``delay`` seconds."""

    def __init__(self, delay: float) -> None:
        super().__init__(f"retry in {delay:.3f}s")
        self.delay = delay


class Handover(Interrupt):
    """The Lambda is running out of time; continue in a new invocation."""


class Cancelled(Interrupt):
    """The run was cancelled; stop at this step boundary."""


class LeaseLost(Interrupt):
    """Another executor owns the run now; stop without touching it."""


class Stopping(Interrupt):
    """Another parallel branch already interrupted the run; start no new steps."""
