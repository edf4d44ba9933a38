"""Step outputs to and from JSON; pydantic models come back as the same model."""

from __future__ import annotations

import importlib
import json
from typing import Any

from pydantic import BaseModel

from .._errors import NonRetriableError

MAX_OUTPUT_BYTES = 4 * 1024 * 1024
"""Largest step output, as Inngest allows."""
INLINE_OUTPUT_BYTES = 350 * 1024
"""Outputs above this go to S3, below DynamoDB's 400 KB item limit with room for the rest."""


def encode(value: Any) -> tuple[str, str | None]:
    """``(json_text, type_ref)``; ``type_ref`` is ``module:qualname`` for a pydantic model."""
    type_ref = None
    if isinstance(value, BaseModel):
        type_ref = f"{type(value).__module__}:{type(value).__qualname__}"
        value = value.model_dump(mode="json")
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise NonRetriableError(
            f"step output must be JSON-serialisable or a pydantic model: {exc}"
        ) from exc
    size = len(text.encode())
    if size > MAX_OUTPUT_BYTES:
        raise NonRetriableError(
            f"step output is {size} bytes; the limit is {MAX_OUTPUT_BYTES} bytes (4 MB). "
            "Store large data elsewhere (S3) and return a reference."
        )
    return text, type_ref


def decode(text: str | None, type_ref: str | None) -> Any:
    if text is None:
        return None
    value = json.loads(text)
    if type_ref:
        module_name, _, qualname = type_ref.partition(":")
        target: Any = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
        return target.model_validate(value)
    return value


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)
