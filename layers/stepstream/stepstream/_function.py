"""A registered function and its options: triggers, retries, cancellation, idempotency."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._flow import FlowOptions

DEFAULT_RETRIES = 4


@dataclass(frozen=True)
class TriggerEvent:
    """Start a run for each event named ``event`` (for which ``if_exp`` holds, if given)."""

    event: str
    """Event name, e.g. ``"app/prompt.submitted"``."""
    if_exp: str | None = None
    """CEL expression over ``event``; runs start only when it is true."""


@dataclass(frozen=True)
class TriggerCron:
    """Start a run on a cron schedule (five fields, minute resolution)."""

    cron: str
    """Cron expression, e.g. ``"*/5 * * * *"``."""
    tz: str = "UTC"
    """IANA time zone the expression is read in."""

    def __post_init__(self) -> None:
        from croniter import croniter  # imported when a cron trigger is defined, not before

        if not croniter.is_valid(self.cron):
            raise ValueError(
                f"invalid cron expression {self.cron!r}; use five fields like '*/5 * * * *'"
            )


@dataclass(frozen=True)
class CancelOn:
    """Cancel a run when an event named ``event`` arrives that matches it."""

    event: str
    """Event name that cancels."""
    if_exp: str | None = None
    """CEL over ``event`` (the run's trigger) and ``async`` (the cancelling event)."""
    match: str | None = None
    """Shorthand: ``"data.x"`` means ``event.data.x == async.data.x``."""

    def __post_init__(self) -> None:
        match_expression(self.if_exp, self.match)

    @property
    def expression(self) -> str | None:
        """The CEL expression this entry stands for."""
        return match_expression(self.if_exp, self.match)


Trigger = str | TriggerEvent | TriggerCron


def match_expression(if_exp: str | None, match: str | None) -> str | None:
    """The CEL expression for a wait or cancel given as ``if_exp`` or ``match``."""
    if if_exp and match:
        raise ValueError("give either if_exp or match, not both")
    if match:
        path = match.removeprefix("event.").removeprefix("async.")
        return f"event.{path} == async.{path}"
    return if_exp


@dataclass
class Function:
    """A function registered with ``@app.function``."""

    id: str
    handler: Callable[..., Any]
    triggers: list[TriggerEvent | TriggerCron] = field(default_factory=list)
    retries: int = DEFAULT_RETRIES
    cancel_on: list[CancelOn] = field(default_factory=list)
    on_failure: Callable[..., Any] | None = None
    idempotency: str | None = None
    flow: FlowOptions = field(default_factory=FlowOptions)
    """Flow control: concurrency, throttle, rate limit, debounce, batch, priority, singleton,
    timeouts (``_flow.py``)."""

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.handler)

    @property
    def failure_id(self) -> str:
        """Id of the function that runs ``on_failure``."""
        return f"{self.id}-failure"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.handler(*args, **kwargs)


def normalise_triggers(
    trigger: Trigger | Sequence[Trigger] | None,
) -> list[TriggerEvent | TriggerCron]:
    if trigger is None:
        return []
    items: Sequence[Trigger] = (
        [trigger] if isinstance(trigger, str | TriggerEvent | TriggerCron) else trigger
    )
    out: list[TriggerEvent | TriggerCron] = []
    for item in items:
        if isinstance(item, str):
            out.append(TriggerEvent(event=item))
        elif isinstance(item, TriggerEvent | TriggerCron):
            out.append(item)
        else:
            raise TypeError(
                f"trigger must be an event name, TriggerEvent or TriggerCron, got {item!r}"
            )
    return out
