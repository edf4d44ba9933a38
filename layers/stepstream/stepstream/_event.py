"""The event model and its validation: every field error names the field and the fix."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ._errors import EventValidationError, PayloadTooLargeError

MAX_EVENT_BYTES = 512 * 1024
"""Largest accepted event, as JSON, as Inngest allows."""
MAX_NAME_LENGTH = 256
MAX_ID_LENGTH = 256
MIN_TS = 315_532_800_000
"""1980-01-01 in ms: Inngest refuses a non-zero ``ts`` before it (``pkg/event``)."""
MAX_TS = 4_102_444_800_000
"""2100-01-01 in ms: Inngest refuses a ``ts`` after it. Both keep every ``ts`` a valid date in
JavaScript (whose dates end at 8.64e15 ms), so no view of it breaks."""


class Event(BaseModel):
    """An event: ``name`` and ``data``; optional ``id``, ``ts`` (ms since epoch) and ``user``."""

    model_config = ConfigDict(extra="ignore")

    name: str
    data: dict[str, Any] = Field(default_factory=dict)
    id: str = ""
    ts: int = 0
    user: dict[str, Any] = Field(default_factory=dict)


def validate_event(raw: Any, *, index: int | None = None) -> Event:
    """Check one incoming event (a dict or an ``Event``) and return it as an ``Event``."""
    where = "event" if index is None else f"event[{index}]"
    if isinstance(raw, Event):
        raw = raw.model_dump()
    if not isinstance(raw, dict):
        raise EventValidationError(
            f"{where} must be a JSON object with 'name' and 'data', got {type(raw).__name__}"
        )
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise EventValidationError(f"{where}.name is required and must be a non-empty string")
    if len(name) > MAX_NAME_LENGTH:
        raise EventValidationError(f"{where}.name is longer than {MAX_NAME_LENGTH} characters")
    checks = {"data": dict, "user": dict}
    for field, kind in checks.items():
        if raw.get(field) is not None and not isinstance(raw[field], kind):
            raise EventValidationError(
                f"{where}.{field} must be a JSON object, got {raw[field]!r:.60}"
            )
    if raw.get("id") is not None and not isinstance(raw["id"], str):
        raise EventValidationError(f"{where}.id must be a string")
    if isinstance(raw.get("id"), str) and len(raw["id"]) > MAX_ID_LENGTH:
        # ids are part of DynamoDB keys, which are capped at 1 KB
        raise EventValidationError(f"{where}.id is longer than {MAX_ID_LENGTH} characters")
    ts = raw.get("ts")
    if isinstance(ts, float) and ts.is_integer():
        # JSON has one number type: 1700000000000.0 is the integer JSON Schema says it is.
        ts = int(ts)
        raw = {**raw, "ts": ts}
    if ts is not None and (isinstance(ts, bool) or not isinstance(ts, int) or ts < 0):
        raise EventValidationError(f"{where}.ts must be a non-negative integer (ms since epoch)")
    if ts and not MIN_TS <= ts <= MAX_TS:
        raise EventValidationError(
            f"{where}.ts must be between 1980-01-01 and 2100-01-01 in ms since epoch "
            f"({MIN_TS}-{MAX_TS}), or 0 for the time it is received"
        )
    try:
        size = len(json.dumps(raw, separators=(",", ":"), default=str).encode())
    except (TypeError, ValueError) as exc:
        raise EventValidationError(f"{where} is not JSON-serialisable: {exc}") from exc
    if size > MAX_EVENT_BYTES:
        raise PayloadTooLargeError(
            f"{where} is {size} bytes; the limit is {MAX_EVENT_BYTES} bytes (512 KB)"
        )
    cleaned = {k: v for k, v in raw.items() if v is not None}
    try:
        return Event.model_validate(cleaned)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        raise EventValidationError(f"{where}.{field}: {first['msg']}") from exc
