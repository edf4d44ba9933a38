"""Errors a user raises or catches. Control-flow interrupts are not here: they live in
``engine/_interrupts.py`` and derive from ``BaseException``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


class StepstreamError(Exception):
    """Base class of stepstream's own errors."""


class NonRetriableError(StepstreamError):
    """Raise to fail a step or function at once, without retries."""


class RetryAfterError(StepstreamError):
    """Raise to retry after ``delay`` instead of the exponential backoff: a ``timedelta``, a
    duration string like ``"30s"``, or an aware ``datetime`` to retry at (as Inngest does)."""

    def __init__(self, message: str, delay: timedelta | str | datetime) -> None:
        super().__init__(message)
        if isinstance(delay, datetime) and delay.tzinfo is None:
            raise ValueError("RetryAfterError needs a timezone-aware datetime (e.g. tz=UTC)")
        if not isinstance(delay, datetime):
            from ._durations import to_seconds

            to_seconds(delay)  # a malformed delay fails where it is written, not at retry time
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


class OperationError(StepstreamError):
    """An operation on runs (rerun, replay, bulk cancel, pause) was refused and changed nothing;
    the message says why and what to do. ``reason`` is ``not_found``, ``invalid`` or
    ``conflict`` (the HTTP API answers 404, 422 or 409)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
