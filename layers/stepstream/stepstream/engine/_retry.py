"""Backoff for failed steps and function attempts."""

from __future__ import annotations

import random
import time
from datetime import datetime

from .._durations import MAX_DURATION, to_seconds
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
        if isinstance(delay, datetime):
            return min(max(0.0, delay.timestamp() - time.time()), MAX_DURATION.total_seconds())
        return to_seconds(delay)  # checked when the error was made
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
