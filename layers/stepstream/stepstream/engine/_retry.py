"""Backoff for failed steps and function attempts."""

from __future__ import annotations

import random
from datetime import timedelta

from .._durations import to_seconds
from .._errors import NonRetriableError, RetryAfterError

BACKOFF_CAP_SECONDS = 3600.0


def backoff(attempt: int, base: float) -> float:
    """Exponential backoff with full jitter: uniform in ``[0, min(cap, base * 2**attempt)]``."""
    ceiling = min(BACKOFF_CAP_SECONDS, base * (2 ** min(attempt, 30)))
    return random.uniform(0, ceiling)


def retry_delay(exc: BaseException, attempt: int, base: float) -> float:
    """How long to wait before retrying after ``exc`` on 0-based ``attempt``."""
    if isinstance(exc, RetryAfterError):
        delay = exc.delay
        if isinstance(delay, timedelta | str | int | float):
            try:
                return to_seconds(delay)
            except ValueError:
                pass
    return backoff(attempt, base)


def gives_up(exc: BaseException, attempt: int, retries: int) -> bool:
    """True if ``exc`` on 0-based ``attempt`` is final: non-retriable, or retries used up."""
    return isinstance(exc, NonRetriableError) or attempt >= retries


def error_dict(exc: BaseException) -> dict[str, str]:
    import traceback

    return {
        "name": type(exc).__name__,
        "message": str(exc),
        "stack": "".join(traceback.format_exception(exc))[-4000:],
    }
