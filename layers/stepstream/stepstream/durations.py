"""Durations as users write them (a ``timedelta`` or a string like ``"30s"``, ``"1h30m"``; a
bare number is refused), read the way ``step.sleep`` and ``wait_for_event`` read them: user
code that accepts a duration from an event checks it with the same rules and messages."""

from __future__ import annotations

from ._durations import MAX_DURATION, Duration, to_seconds

__all__ = ["MAX_DURATION", "Duration", "to_seconds"]
