"""Durations as users write them: seconds, ``timedelta`` or strings like ``"30s"``, ``"1h30m"``."""

from __future__ import annotations

import re
from datetime import timedelta

MAX_DURATION = timedelta(days=366)
"""Sleeps and timeouts may be up to one year (plus a leap day)."""

_UNITS = {
    "ms": 0.001,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86400.0,
    "w": 604800.0,
    "y": 31536000.0,
}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)")

Duration = float | int | timedelta | str


def to_seconds(value: Duration) -> float:
    """Seconds in ``value``; raises ``ValueError`` naming the accepted forms when it is malformed,
    negative or longer than a year."""
    if isinstance(value, bool):
        raise ValueError(
            f"duration must be seconds, a timedelta or a string like '30s', got {value!r}"
        )
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "")
        pos, seconds = 0, 0.0
        for match in _PART.finditer(text):
            if match.start() != pos:
                break
            seconds += float(match.group(1)) * _UNITS[match.group(2)]
            pos = match.end()
        if not text or pos != len(text):
            raise ValueError(
                f"cannot read duration {value!r}: use numbers with units ms, s, m, h, d, w, y "
                "such as '30s', '15m' or '1h30m'"
            )
    else:
        raise ValueError(
            f"duration must be seconds, a timedelta or a string like '30s', got {value!r}"
        )
    if seconds < 0:
        raise ValueError(f"duration {value!r} is negative")
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"duration {value!r} is longer than the one-year limit")
    return seconds
