"""Flow-control keys: a CEL key over the run's event, made into a DynamoDB key part."""

from __future__ import annotations

import hashlib
from typing import Any

from .. import _cel

MAX_VALUE_CHARS = 128


def key_value(expression: str | None, event: dict[str, Any]) -> str:
    """The key's value for ``event``: empty without an expression; a value that cannot be
    evaluated (a missing field) counts as the empty value, so such events share one key."""
    if not expression:
        return ""
    try:
        value = _cel.to_key(expression, event=event)
    except _cel.ExpressionError:
        raise
    except Exception:
        return ""
    if len(value) > MAX_VALUE_CHARS:
        return "sha1:" + hashlib.sha1(value.encode()).hexdigest()
    return value


def expression_id(expression: str | None) -> str:
    """A short stable id of a key expression, so two limits of one function never share a
    counter."""
    return hashlib.sha1((expression or "").encode()).hexdigest()[:8]


def priority_ms(expression: str | None, event: dict[str, Any], clamp_s: int) -> int:
    """How far ahead (ms) a run's priority expression moves it, clamped to ±``clamp_s``."""
    if not expression:
        return 0
    try:
        value = float(_cel.evaluate(expression, event=event))
    except Exception:
        return 0
    return int(max(-clamp_s, min(clamp_s, value)) * 1000)
