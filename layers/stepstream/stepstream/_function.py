"""A registered function and its options: triggers, retries, cancellation, idempotency."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ._flow import FlowOptions

DEFAULT_RETRIES = 4


@dataclass(frozen=True)
class TriggerEvent:
    """Start a run for each event named ``event`` (for which ``if_exp`` holds, if given)."""

    event: str
    """Event name, e.g. ``"app/prompt.submitted"``, or a wildcard ``"app/*"``, ``"app/user.*"``."""
    if_exp: str | None = None
    """CEL expression over ``event``; runs start only when it is true."""

    def __post_init__(self) -> None:
        check_event_pattern(self.event)

    def matches(self, name: str) -> bool:
        """True if an event named ``name`` fires this trigger."""
        return event_matches(self.event, name)


@dataclass(frozen=True)
class TriggerCron:
    """Start a run on a cron schedule (five fields, minute resolution)."""

    cron: str
    """Cron expression, e.g. ``"*/5 * * * *"``, or Inngest's ``"TZ=Europe/Paris 0 9 * * *"``."""
    tz: str = "UTC"
    """IANA time zone the expression is read in."""

    def __post_init__(self) -> None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        from croniter import croniter  # imported when a cron trigger is defined, not before

        head, _, rest = self.cron.strip().partition(" ")
        for prefix in ("TZ=", "CRON_TZ="):
            if head.startswith(prefix):
                zone = head.removeprefix(prefix)
                if self.tz not in ("UTC", zone):
                    raise ValueError(
                        f"cron {self.cron!r} names time zone {zone!r} but tz={self.tz!r}; "
                        "give the time zone once"
                    )
                object.__setattr__(self, "cron", rest.strip())
                object.__setattr__(self, "tz", zone)
        try:
            ZoneInfo(self.tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {self.tz!r}; use an IANA name like 'Europe/Paris'"
            ) from None

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
    timeout: timedelta | str | None = None
    """How long after the run starts a cancelling event counts (default: the run's lifetime)."""

    def __post_init__(self) -> None:
        match_expression(self.if_exp, self.match)
        if self.timeout is not None:
            from ._durations import to_seconds

            to_seconds(self.timeout)

    @property
    def expression(self) -> str | None:
        """The CEL expression this entry stands for."""
        return match_expression(self.if_exp, self.match)


Trigger = str | TriggerEvent | TriggerCron


def check_event_pattern(pattern: str) -> None:
    """Refuse a wildcard Inngest would not accept: ``*`` only at the end, after ``/`` or ``.``."""
    if "*" not in pattern:
        return
    if not pattern.endswith("*") or pattern.count("*") > 1 or pattern[-2:-1] not in ("/", "."):
        raise ValueError(
            f"trigger {pattern!r}: a wildcard may only end the name, after '/' or '.', "
            "like 'app/*' or 'app/user.*'"
        )


def event_matches(pattern: str, name: str) -> bool:
    """True if event ``name`` matches trigger ``pattern`` (an exact name or ``prefix*``)."""
    if pattern.endswith("*"):
        return name.startswith(pattern[:-1])
    return pattern == name


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
