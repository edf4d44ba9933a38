"""Flow-control options of a function (inngest-py's names): concurrency, throttle, rate limit,
debounce, batching, priority, singleton and timeouts, and their checks at registration.

The option types only hold values; ``validate_flow`` checks them against Inngest's limits when
``@app.function`` registers a function, so every error names the function and the option."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

from ._durations import Duration

ConcurrencyScope = Literal["fn", "env", "account"]
SingletonMode = Literal["skip", "cancel"]

MIN_PERIOD = timedelta(seconds=1)
MAX_PERIOD = timedelta(days=7)
MAX_RATE_LIMIT_PERIOD = timedelta(hours=24)
MAX_BATCH_TIMEOUT = timedelta(seconds=60)
MAX_CONCURRENCY_KEYS = 2
PRIORITY_RANGE_S = 600
"""Inngest clamps a priority expression's value to ±600 seconds."""


@dataclass(frozen=True)
class Concurrency:
    """At most ``limit`` runs of this function (per ``key`` value, if given) execute steps at
    once; sleeping and waiting runs do not count."""

    limit: int
    key: str | None = None
    """CEL over ``event``: one limit per value."""
    scope: ConcurrencyScope = "fn"
    """``fn``: the limit is this function's; ``env``/``account``: shared by every function
    using the same key expression value in the app's environment."""


@dataclass(frozen=True)
class Throttle:
    """Start at most ``limit`` runs per ``period`` (GCRA with ``burst``); more are delayed."""

    limit: int
    period: Duration
    key: str | None = None
    burst: int = 1


@dataclass(frozen=True)
class RateLimit:
    """Start at most ``limit`` runs per ``period``; events over the limit start nothing."""

    limit: int
    period: Duration
    key: str | None = None


@dataclass(frozen=True)
class Debounce:
    """Start one run with the last event after ``period`` without events, or at ``timeout``
    after the first one."""

    period: Duration
    key: str | None = None
    timeout: Duration | None = None


@dataclass(frozen=True)
class Batch:
    """Start one run with up to ``max_size`` events (``ctx.events``), or with fewer at
    ``timeout`` after the first."""

    max_size: int
    timeout: Duration
    key: str | None = None


@dataclass(frozen=True)
class Priority:
    """``run``: CEL over ``event`` giving seconds (±600) a run is moved ahead in its queue."""

    run: str | None = None


@dataclass(frozen=True)
class Singleton:
    """One run at a time per ``key``: a new run is skipped, or cancels the running one."""

    mode: SingletonMode
    key: str | None = None


@dataclass(frozen=True)
class Timeouts:
    """Cancel a run not started within ``start`` of its event, or not finished within
    ``finish`` of its start."""

    start: Duration | None = None
    finish: Duration | None = None


@dataclass(frozen=True)
class FlowOptions:
    """Every flow-control option of one function, validated."""

    concurrency: tuple[Concurrency, ...] = ()
    throttle: Throttle | None = None
    rate_limit: RateLimit | None = None
    debounce: Debounce | None = None
    batch_events: Batch | None = None
    priority: Priority | None = None
    singleton: Singleton | None = None
    timeouts: Timeouts | None = None
    expressions: tuple[str, ...] = field(default=(), compare=False)

    @property
    def any(self) -> bool:
        return bool(
            self.concurrency
            or self.throttle
            or self.rate_limit
            or self.debounce
            or self.batch_events
            or self.priority
            or self.singleton
            or self.timeouts
        )


class FlowConfigError(ValueError):
    """A flow-control option is invalid; the message names the function and the option."""


def seconds(value: Duration) -> float:
    from ._durations import to_seconds

    return to_seconds(value)


def validate_flow(
    function_id: str,
    *,
    check_cel: Callable[[str], None],
    concurrency: int | Concurrency | Sequence[Concurrency] | None = None,
    throttle: Throttle | None = None,
    rate_limit: RateLimit | None = None,
    debounce: Debounce | None = None,
    batch_events: Batch | None = None,
    priority: Priority | None = None,
    singleton: Singleton | Sequence[Singleton] | None = None,
    timeouts: Timeouts | None = None,
) -> FlowOptions:
    """The function's options, or ``FlowConfigError`` naming the first bad one."""

    def fail(option: str, message: str) -> FlowConfigError:
        return FlowConfigError(f"function {function_id!r}: {option}: {message}")

    def duration(option: str, value: Duration, low: timedelta, high: timedelta) -> float:
        try:
            secs = seconds(value)
        except ValueError as exc:
            raise fail(option, str(exc)) from None
        if not low.total_seconds() <= secs <= high.total_seconds():
            raise fail(option, f"must be between {low} and {high}, got {timedelta(seconds=secs)}")
        return secs

    def positive(option: str, value: object) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise fail(option, f"must be a whole number of 1 or more, got {value!r}")

    expressions: list[str] = []

    def cel(option: str, expression: str | None) -> None:
        if expression is None:
            return
        if not isinstance(expression, str) or not expression.strip():
            raise fail(option, f"must be a CEL expression, got {expression!r}")
        try:
            check_cel(expression)
        except Exception as exc:
            raise fail(option, str(exc)) from None
        expressions.append(expression)

    limits: tuple[Concurrency, ...]
    if concurrency is None:
        limits = ()
    elif isinstance(concurrency, int):
        limits = (Concurrency(limit=concurrency),)
    elif isinstance(concurrency, Concurrency):
        limits = (concurrency,)
    else:
        limits = tuple(concurrency)
    if len(limits) > MAX_CONCURRENCY_KEYS:
        raise fail("concurrency", f"at most {MAX_CONCURRENCY_KEYS} limits, got {len(limits)}")
    for i, c in enumerate(limits):
        name = f"concurrency[{i}]" if len(limits) > 1 else "concurrency"
        if not isinstance(c, Concurrency):
            raise fail(name, f"must be a Concurrency, got {c!r}")
        positive(f"{name}.limit", c.limit)
        if c.scope not in ("fn", "env", "account"):
            raise fail(f"{name}.scope", f"must be 'fn', 'env' or 'account', got {c.scope!r}")
        if c.scope != "fn" and not c.key:
            raise fail(f"{name}.key", f"a key is required with scope {c.scope!r}")
        cel(f"{name}.key", c.key)
    if throttle is not None:
        positive("throttle.limit", throttle.limit)
        positive("throttle.burst", throttle.burst)
        duration("throttle.period", throttle.period, MIN_PERIOD, MAX_PERIOD)
        cel("throttle.key", throttle.key)
    if rate_limit is not None:
        positive("rate_limit.limit", rate_limit.limit)
        duration("rate_limit.period", rate_limit.period, MIN_PERIOD, MAX_RATE_LIMIT_PERIOD)
        cel("rate_limit.key", rate_limit.key)
    if debounce is not None:
        if batch_events is not None:
            raise fail("debounce", "cannot be combined with batch_events")
        period = duration("debounce.period", debounce.period, MIN_PERIOD, MAX_PERIOD)
        if debounce.timeout is not None:
            timeout = duration("debounce.timeout", debounce.timeout, MIN_PERIOD, MAX_PERIOD)
            if timeout < period:
                raise fail("debounce.timeout", "must not be shorter than debounce.period")
        cel("debounce.key", debounce.key)
    if batch_events is not None:
        positive("batch_events.max_size", batch_events.max_size)
        duration("batch_events.timeout", batch_events.timeout, MIN_PERIOD, MAX_BATCH_TIMEOUT)
        cel("batch_events.key", batch_events.key)
    if priority is not None:
        cel("priority.run", priority.run)
    one_singleton: Singleton | None
    if singleton is None or isinstance(singleton, Singleton):
        one_singleton = singleton
    else:
        modes = [getattr(s, "mode", s) for s in singleton]
        if len(modes) != 1:
            raise fail("singleton", f"one mode per function, got {len(modes)}: {modes}")
        one_singleton = singleton[0]
    if one_singleton is not None:
        if one_singleton.mode not in ("skip", "cancel"):
            raise fail("singleton.mode", f"must be 'skip' or 'cancel', got {one_singleton.mode!r}")
        cel("singleton.key", one_singleton.key)
    if timeouts is not None:
        if timeouts.start is None and timeouts.finish is None:
            raise fail("timeouts", "give start, finish or both")
        year = timedelta(days=366)
        if timeouts.start is not None:
            duration("timeouts.start", timeouts.start, MIN_PERIOD, year)
        if timeouts.finish is not None:
            duration("timeouts.finish", timeouts.finish, MIN_PERIOD, year)
    return FlowOptions(
        concurrency=limits,
        throttle=throttle,
        rate_limit=rate_limit,
        debounce=debounce,
        batch_events=batch_events,
        priority=priority,
        singleton=one_singleton,
        timeouts=timeouts,
        expressions=tuple(expressions),
    )


def describe_flow(flow: FlowOptions) -> dict[str, Any]:
    """The options as JSON for the API and the dashboard (durations in seconds)."""

    def plain(option: object) -> Any:
        values = {}
        for name, value in vars(option).items():
            if value is None:
                continue
            is_duration = isinstance(value, timedelta | str) and name in DURATION_FIELDS
            values[name] = seconds(value) if is_duration else value
        return values

    out: dict[str, Any] = {}
    if flow.concurrency:
        out["concurrency"] = [plain(c) for c in flow.concurrency]
    for name in ("throttle", "rate_limit", "debounce", "batch_events", "priority"):
        option = getattr(flow, name)
        if option is not None:
            out[name] = plain(option)
    if flow.singleton is not None:
        out["singleton"] = plain(flow.singleton)
    if flow.timeouts is not None:
        out["timeouts"] = plain(flow.timeouts)
    return out


DURATION_FIELDS = frozenset({"period", "timeout", "start", "finish"})
