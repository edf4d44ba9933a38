"""Errors a user raises or catches. Control-flow interrupts are not here: they live in
``engine/_interrupts.py`` and derive from ``BaseException``."""

from __future__ import annotations

from datetime import timedelta
from typing import Any


class StepstreamError(Exception):
    """Base class of stepstream's own errors."""


class NonRetriableError(StepstreamError):
    """Raise to fail a step or function at once, without retries."""


class RetryAfterError(StepstreamError):
    """Raise to retry after ``delay`` (seconds, a ``timedelta`` or a duration string like
    ``"30s"``) instead of the exponential backoff."""

    def __init__(self, message: str, delay: float | timedelta | str) -> None:
        super().__init__(message)
        self.delay = delay


class StepError(StepstreamError):
    """A step failed for good (its retries are used up, or it raised ``NonRetriableError``).

    Raised into the function at the step call; catch it to handle the failure."""

    def __init__(self, step_id: str, name: str, message: str, stack: str | None = None) -> None:
        super().__init__(f"step {step_id!r} failed: {name}: {message}")
        self.step_id = step_id
        self.name = name
        self.message = message
        self.stack = stack

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "message": self.message, "stack": self.stack}


class EventValidationError(StepstreamError):
    """An event is malformed; the message says which field and why."""


class PayloadTooLargeError(StepstreamError):
    """A payload exceeds a documented size limit; the message names both sizes."""
