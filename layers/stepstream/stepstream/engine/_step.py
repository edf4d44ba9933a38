"""``ctx.step``: the step API. Each call numbers its id at call time (so ``asyncio.gather``
numbers deterministically), then goes through the memo check in ``_memo.py``."""

from __future__ import annotations

import asyncio
import inspect
import json
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any, TypeVar, overload

from .._durations import Duration, to_seconds
from .._event import Event
from .._function import Function, match_expression
from ..store import StepRecord, WaitRecord
from . import _cel, _faults, _serde
from ._ids import now_ms, ulid
from ._interrupts import RetryLater, Suspend
from ._invocation import Invocation
from ._retry import error_dict, gives_up, retry_delay

T = TypeVar("T")

EVENT_TYPE = f"{Event.__module__}:{Event.__qualname__}"
WAIT_SKEW_MS = 250
"""Events received this long before a wait was reached still count: clocks of the ingesting and
the executing Lambda may differ slightly."""
WAIT_LOOKBACK_MS = 60_000
"""How long after being reached a wait record is surely stored: the two are one checkpoint apart
in one invocation."""
DEFAULT_INVOKE_TIMEOUT = "366d"
_CHEAP_INPUT_BYTES = 2048


def _cheap_input(args: tuple[Any, ...]) -> dict[str, Any]:
    if not args:
        return {}
    try:
        text = json.dumps(list(args))
    except (TypeError, ValueError):
        return {}
    return {"input": list(args)} if len(text) <= _CHEAP_INPUT_BYTES else {}


class Step:
    """The step API for ``async def`` functions."""

    def __init__(self, inv: Invocation) -> None:
        self._inv = inv
        self.realtime = RealtimeSteps(inv)

    # --- step.run ---------------------------------------------------------------------------------
    @overload
    def run(
        self,
        step_id: str,
        fn: Callable[..., Coroutine[Any, Any, T]],
        *args: Any,
        retries: int | None = None,
    ) -> Awaitable[T]: ...

    @overload
    def run(
        self, step_id: str, fn: Callable[..., T], *args: Any, retries: int | None = None
    ) -> Awaitable[T]: ...

    def run(
        self, step_id: str, fn: Callable[..., Any], *args: Any, retries: int | None = None
    ) -> Awaitable[Any]:
        """Run ``fn(*args)`` once (sync bodies in a worker thread) and memoize its result."""
        full, hash_ = self._inv.memo.identify(step_id)

        async def body() -> Any:
            if inspect.iscoroutinefunction(fn):
                return await fn(*args)
            result = await asyncio.to_thread(fn, *args)
            if inspect.isawaitable(result):
                return await result
            return result

        return self._inv.step(
            hash_,
            lambda pending: run_body(
                self._inv, full, hash_, "run", body, retries, pending, _cheap_input(args)
            ),
        )

    # --- sleeps ----------------------------------------------------------------------------------
    def sleep(self, step_id: str, duration: Duration) -> Awaitable[None]:
        """Pause the run for ``duration`` (seconds, ``timedelta`` or ``"30m"``; up to a year)."""
        seconds = to_seconds(duration)
        full, hash_ = self._inv.memo.identify(step_id)
        return self._inv.step(
            hash_, lambda pending: sleep_step(self._inv, full, hash_, seconds, None, pending)
        )

    def sleep_until(self, step_id: str, when: datetime | str) -> Awaitable[None]:
        """Pause the run until ``when`` (an aware ``datetime`` or ISO 8601 string)."""
        moment = datetime.fromisoformat(when) if isinstance(when, str) else when
        if moment.tzinfo is None:
            raise ValueError("sleep_until needs a timezone-aware datetime (e.g. tz=timezone.utc)")
        wake_at = moment.timestamp()
        to_seconds(max(0.0, wake_at - time.time()))
        full, hash_ = self._inv.memo.identify(step_id)
        return self._inv.step(
            hash_, lambda pending: sleep_step(self._inv, full, hash_, None, wake_at, pending)
        )

    # --- waits ------------------------------------------------------------------------------------
    def wait_for_event(
        self,
        step_id: str,
        *,
        event: str,
        timeout: Duration,
        if_exp: str | None = None,
        match: str | None = None,
    ) -> Awaitable[Event | None]:
        """Wait for an event named ``event`` matching ``if_exp`` (CEL; ``event`` is the trigger,
        ``async`` the candidate) or ``match``; None if ``timeout`` passes first."""
        expression = match_expression(if_exp, match)
        if expression:
            _cel.check(expression)
        seconds = to_seconds(timeout)
        full, hash_ = self._inv.memo.identify(step_id)
        return self._inv.step(
            hash_,
            lambda pending: wait_step(self._inv, full, hash_, event, expression, seconds, pending),
        )

    # --- events and child runs --------------------------------------------------------------
    def send_event(
        self, step_id: str, events: dict[str, Any] | Event | Sequence[dict[str, Any] | Event]
    ) -> Awaitable[list[str]]:
        """Send events once; ids default to ones derived from the run and step, so a retried
        body cannot start runs twice."""
        items = [events] if isinstance(events, dict | Event) else list(events)
        full, hash_ = self._inv.memo.identify(step_id)
        inv = self._inv

        async def body() -> list[str]:
            prepared = []
            for i, item in enumerate(items):
                raw = item.model_dump() if isinstance(item, Event) else dict(item)
                raw["id"] = raw.get("id") or f"{inv.run.run_id}-{hash_[:12]}-{i}"
                prepared.append(raw)
            return await asyncio.to_thread(inv.app.send, prepared)

        return inv.step(
            hash_, lambda pending: run_body(inv, full, hash_, "send_event", body, None, pending, {})
        )

    def invoke(
        self,
        step_id: str,
        *,
        function: Function,
        data: dict[str, Any] | None = None,
        timeout: Duration = DEFAULT_INVOKE_TIMEOUT,
    ) -> Awaitable[Any]:
        """Start ``function`` as a child run and return its result; ``StepError`` if it fails
        or does not finish within ``timeout``."""
        if not isinstance(function, Function):
            raise TypeError("invoke(function=...) takes a function made by @app.function")
        seconds = to_seconds(timeout)
        full, hash_ = self._inv.memo.identify(step_id)
        return self._inv.step(
            hash_,
            lambda pending: invoke_step(
                self._inv, full, hash_, function, data or {}, seconds, pending
            ),
        )


class RealtimeSteps:
    """``ctx.step.realtime``: durable publishing."""

    def __init__(self, inv: Invocation) -> None:
        self._inv = inv

    def publish(self, step_id: str, topic_ref: Any, data: Any) -> Awaitable[dict[str, Any]]:
        """Publish once: memoized, with a message id derived from the run and step."""
        inv = self._inv
        full, hash_ = inv.memo.identify(step_id)
        channel = getattr(topic_ref, "channel", None)
        if isinstance(channel, str):
            inv.channels.add(channel)

        async def body() -> dict[str, Any]:
            frame: dict[str, Any] = await inv.app.realtime.publish(
                topic_ref,
                data,
                run_id=inv.run.run_id,
                fn_id=inv.fn.id,
                message_id=f"{inv.run.run_id}:{hash_}",
                durable=True,
            )
            return frame

        return inv.step(
            hash_, lambda pending: run_body(inv, full, hash_, "publish", body, None, pending, {})
        )


class SyncStep:
    """The step API for plain ``def`` functions: the same steps, returning their results."""

    def __init__(self, inv: Invocation) -> None:
        self._inv = inv
        self._step = Step(inv)
        self.realtime = SyncRealtimeSteps(inv, self._step.realtime)

    def run(self, step_id: str, fn: Callable[..., T], *args: Any, retries: int | None = None) -> T:
        result: T = self._inv.call_sync(self._step.run(step_id, fn, *args, retries=retries))
        return result

    def sleep(self, step_id: str, duration: Duration) -> None:
        self._inv.call_sync(self._step.sleep(step_id, duration))

    def sleep_until(self, step_id: str, when: datetime | str) -> None:
        self._inv.call_sync(self._step.sleep_until(step_id, when))

    def wait_for_event(
        self,
        step_id: str,
        *,
        event: str,
        timeout: Duration,
        if_exp: str | None = None,
        match: str | None = None,
    ) -> Event | None:
        return self._inv.call_sync(
            self._step.wait_for_event(
                step_id, event=event, timeout=timeout, if_exp=if_exp, match=match
            )
        )

    def send_event(
        self, step_id: str, events: dict[str, Any] | Event | Sequence[dict[str, Any] | Event]
    ) -> list[str]:
        return self._inv.call_sync(self._step.send_event(step_id, events))

    def invoke(
        self,
        step_id: str,
        *,
        function: Function,
        data: dict[str, Any] | None = None,
        timeout: Duration = DEFAULT_INVOKE_TIMEOUT,
    ) -> Any:
        return self._inv.call_sync(
            self._step.invoke(step_id, function=function, data=data, timeout=timeout)
        )


class SyncRealtimeSteps:
    def __init__(self, inv: Invocation, steps: RealtimeSteps) -> None:
        self._inv = inv
        self._steps = steps

    def publish(self, step_id: str, topic_ref: Any, data: Any) -> dict[str, Any]:
        return self._inv.call_sync(self._steps.publish(step_id, topic_ref, data))


# --- what each kind of step does when it is new ---------------------------------------------
async def run_body(
    inv: Invocation,
    full: str,
    hash_: str,
    kind: str,
    body: Callable[[], Awaitable[Any]],
    retries: int | None,
    pending: StepRecord | None,
    detail: dict[str, Any],
) -> StepRecord:
    """Run a step body once, and store its output, its final error or a retry record."""
    attempt = pending.attempt if pending is not None and pending.status == "retry" else 0
    started = now_ms()
    inv.hook(_faults.BEFORE_BODY, hash_)
    inv.step_attempt = attempt
    try:
        value = await body()
        inv.hook(_faults.AFTER_BODY, hash_)
        text, type_ref = _serde.encode(value)
    except Exception as exc:
        limit = inv.fn.retries if retries is None else retries
        if gives_up(exc, attempt, limit):
            record = StepRecord(
                hash_,
                full,
                kind,
                "error",
                error=error_dict(exc),
                attempt=attempt,
                started_at=started,
                ended_at=now_ms(),
                detail=detail,
            )
        else:
            delay = retry_delay(exc, attempt, inv.backends.settings.retry_base_seconds)
            record = StepRecord(
                hash_,
                full,
                kind,
                "retry",
                error=error_dict(exc),
                attempt=attempt + 1,
                started_at=started,
                wake_at=time.time() + delay,
                detail=detail,
            )
    else:
        record = StepRecord(
            hash_,
            full,
            kind,
            "ok",
            output_json=text,
            output_type=type_ref,
            attempt=attempt,
            started_at=started,
            ended_at=now_ms(),
            detail=detail,
        )
        if len(text.encode()) > _serde.INLINE_OUTPUT_BYTES:
            record.blob_key = f"runs/{inv.run.run_id}/{hash_}/{ulid()}"
    finally:
        inv.step_attempt = None
    stored = inv.checkpoint(record, replace=("retry",))
    if stored.status == "retry":
        inv.interrupt(RetryLater(max(0.0, (stored.wake_at or 0.0) - time.time())))
    return stored


def _done(pending: StepRecord, output_json: str, output_type: str | None = None) -> StepRecord:
    return StepRecord(
        pending.hash,
        pending.id,
        pending.kind,
        "ok",
        output_json=output_json,
        output_type=output_type,
        started_at=pending.started_at,
        ended_at=now_ms(),
        wake_at=pending.wake_at,
        detail=pending.detail,
    )


async def sleep_step(
    inv: Invocation,
    full: str,
    hash_: str,
    seconds: float | None,
    wake_at: float | None,
    pending: StepRecord | None,
) -> StepRecord:
    if pending is None:
        target = wake_at if wake_at is not None else time.time() + (seconds or 0.0)
        record = StepRecord(hash_, full, "sleep", "sleeping", wake_at=target, started_at=now_ms())
        if target <= time.time():
            return inv.checkpoint(_done(record, "null"))
        pending = inv.checkpoint(record)
        if pending.final:
            return pending
    if (pending.wake_at or 0.0) <= time.time():
        return inv.checkpoint(_done(pending, "null"), replace=("sleeping",))
    inv.interrupt(Suspend(hash_, pending.wake_at or 0.0, "sleeping"))


async def wait_step(
    inv: Invocation,
    full: str,
    hash_: str,
    event_name: str,
    expression: str | None,
    seconds: float,
    pending: StepRecord | None,
) -> StepRecord:
    state = inv.backends.state
    trigger = inv.run.event
    if pending is None:
        reached = now_ms()
        inv.hook(_faults.WAIT_REACHED, hash_)
        expires = time.time() + seconds
        record = StepRecord(
            hash_,
            full,
            "wait",
            "waiting",
            wake_at=expires,
            started_at=reached,
            detail={"event": event_name, "if": expression, "reached_at": reached},
        )
        wait = WaitRecord(event_name, inv.run.run_id, hash_, full, expression, trigger, expires)
        pending = inv.checkpoint(record, wait=wait)
        if pending.final:
            return pending
    wait = WaitRecord(
        event_name, inv.run.run_id, hash_, full, expression, trigger, pending.wake_at or 0.0
    )
    # Write first, look second: an event stored before our wait record cannot have seen it.
    # Events stored after it were matched by ingestion, so the look-back window ends shortly
    # after the wait was reached (a replay after a crash looks at the same small window).
    reached = int(pending.detail.get("reached_at", pending.started_at or 0))
    window = (reached - WAIT_SKEW_MS, reached + WAIT_LOOKBACK_MS)
    for candidate in state.events_between(event_name, *window):
        if candidate.get("id") == trigger.get("id"):
            continue
        if _cel.matches(expression, event=trigger, **{"async": candidate}):
            stored = inv.checkpoint(
                _done(pending, _serde.dumps(candidate), EVENT_TYPE), replace=("waiting",)
            )
            state.delete_wait(wait)
            return stored
    if (pending.wake_at or 0.0) <= time.time():
        stored = inv.checkpoint(_done(pending, "null"), replace=("waiting",))
        state.delete_wait(wait)
        return stored
    inv.interrupt(Suspend(hash_, pending.wake_at or 0.0, "waiting"))


async def invoke_step(
    inv: Invocation,
    full: str,
    hash_: str,
    function: Function,
    data: dict[str, Any],
    seconds: float,
    pending: StepRecord | None,
) -> StepRecord:
    from ._ingest import start_run

    if pending is None:
        record = StepRecord(
            hash_,
            full,
            "invoke",
            "waiting",
            wake_at=time.time() + seconds,
            started_at=now_ms(),
            detail={"function_id": function.id, "child_run_id": ulid()},
        )
        pending = inv.checkpoint(record)
        if pending.final:
            return pending
    child_id = str(pending.detail.get("child_run_id"))
    if (pending.wake_at or 0.0) <= time.time():
        timed_out = StepRecord(
            hash_,
            full,
            "invoke",
            "error",
            started_at=pending.started_at,
            ended_at=now_ms(),
            error={"name": "InvokeTimeout", "message": f"{function.id} did not finish in time"},
            detail=pending.detail,
        )
        return inv.checkpoint(timed_out, replace=("waiting",))
    # Creating the child is idempotent (a conditional put on its id), so a replay after a crash
    # between the checkpoint above and this call still starts it exactly once.
    event = {
        "name": "stepstream/function.invoked",
        "data": data,
        "id": f"{child_id}-invoke",
        "ts": now_ms(),
    }
    await asyncio.to_thread(
        start_run,
        inv.app,
        inv.backends,
        function,
        event,
        run_id=child_id,
        parent=(inv.run.run_id, hash_, full),
    )
    inv.interrupt(Suspend(hash_, pending.wake_at or 0.0, "waiting"))


__all__ = ["EVENT_TYPE", "RealtimeSteps", "Step", "SyncStep"]
