"""Durations as users write them: a ``timedelta`` or a string like ``"30s"``, ``"1h30m"``.

A bare number is refused: inngest-py reads ``1000`` as milliseconds and stepstream once read it
as seconds, so a ported ``step.sleep("nap", 1000)`` would silently sleep 16 minutes. A unit in
the value makes that mistake impossible."""

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

Duration = timedelta | str


def to_seconds(value: Duration) -> float:
    """Seconds in ``value``; raises ``ValueError`` naming the accepted forms when it is a bare
    number, malformed, negative or longer than a year."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(
            f"duration {value!r} has no unit: a bare number is refused because inngest-py reads "
            f"it as milliseconds and stepstream as seconds; write '{value}ms', '{value}s' or "
            f"timedelta(seconds={value})"
        )
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
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
        raise ValueError(f"duration must be a timedelta or a string like '30s', got {value!r}")
    return check_seconds(seconds, value)


def check_seconds(seconds: float, value: object = None) -> float:
    """``seconds`` if it is a duration stepstream accepts (0 to one year); else ``ValueError``."""
    shown = seconds if value is None else value
    if seconds < 0:
        raise ValueError(f"duration {shown!r} is negative")
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"duration {shown!r} is longer than the one-year limit")
    return seconds
