"""CEL expressions (cel-python) over events: ``event`` is the trigger, ``async`` the candidate."""

from __future__ import annotations

import functools
import logging
from typing import Any

from .._errors import StepstreamError

# celpy (and its lark grammar) is imported on first use: ~100 ms of cold start that handlers
# which never evaluate an expression should not pay.

# celpy logs every evaluation error at INFO/WARNING; a non-matching candidate is not news.
logging.getLogger("celpy").setLevel(logging.ERROR)
logging.getLogger("Evaluator").setLevel(logging.ERROR)


class ExpressionError(StepstreamError):
    """A CEL expression does not compile; the message quotes it."""


@functools.lru_cache(maxsize=512)
def _program(expression: str) -> Any:
    import celpy

    env = celpy.Environment()
    try:
        ast = env.compile(expression)
    except Exception as exc:
        raise ExpressionError(f"invalid CEL expression {expression!r}: {exc}") from exc
    return env.program(ast)


def check(expression: str) -> None:
    """Raise ``ExpressionError`` now if ``expression`` does not compile."""
    _program(expression)


def evaluate(expression: str, **variables: Any) -> Any:
    """The value of ``expression`` with JSON-like ``variables``; raises on evaluation errors."""
    from celpy.adapter import json_to_cel

    activation = {name: json_to_cel(value) for name, value in variables.items()}
    result = _program(expression).evaluate(activation)
    if isinstance(result, Exception):
        raise result
    return result


def matches(expression: str | None, **variables: Any) -> bool:
    """True if ``expression`` is absent or evaluates to true. A missing field or a type error
    means "no match", as in Inngest: a candidate without the field cannot match."""
    if not expression:
        return True
    try:
        return bool(evaluate(expression, **variables))
    except ExpressionError:
        raise
    except Exception:
        return False


def to_key(expression: str, **variables: Any) -> str:
    """The value of an idempotency expression, as a string key."""
    value = evaluate(expression, **variables)
    return str(value)
