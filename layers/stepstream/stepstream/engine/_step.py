"""``ctx.step``: the step API. Each call numbers its id at call time (so ``asyncio.gather``
numbers deterministically), then goes through the memo check in ``_memo.py``."""

from __future__ import annotations

import asyncio
import inspect
import json
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast, overload

from .._durations import Duration, check_seconds, to_seconds
from .._event import Event
from .._function import Function, match_expression
from . import _cel
from ._ingest import ingest_from_step
from ._invocation import Invocation
from ._io import in_worker_thread, offload
from ._kinds import invoke_step, run_body, sleep_step, wait_step

T = TypeVar("T")

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
            result = await in_worker_thread(fn, *args)
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
        """Pause the run for ``duration`` (a ``timedelta`` or ``"30m"``; up to a year)."""
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
        check_seconds(max(0.0, wake_at - time.time()), when)
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
            prepared, derived = [], set()
            for i, item in enumerate(items):
                raw = item.model_dump() if isinstance(item, Event) else dict(item)
                if not raw.get("id"):
                    raw["id"] = f"{inv.run.run_id}-{hash_[:12]}-{i}"
                    derived.add(raw["id"])
                prepared.append(raw)
            return await offload(ingest_from_step, inv.engine, prepared, derived)

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

    # --- parallel groups ----------------------------------------------------------------------
    async def parallel(self, steps: Sequence[Callable[[], Awaitable[T]]]) -> tuple[T, ...]:
        """Run steps concurrently, as inngest-py's ``group.parallel``: each callable makes one
        step call (``lambda: ctx.step.run("a", fa)``). They are called in order, so their ids
        number deterministically; the results come back in the same order."""
        return tuple(await asyncio.gather(*(make() for make in steps)))


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
            frame: dict[str, Any] = await inv.engine.publisher().publish(
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
        self.realtime = SyncRealtimeSteps(inv, self._step.realtime, self)
        self._collecting = threading.local()

    def _call(self, awaitable: Awaitable[T]) -> T:
        """Run a step now, or, inside ``parallel``, hand back its awaitable for the group."""
        if getattr(self._collecting, "on", False):
            return awaitable  # type: ignore[return-value]  # parallel() awaits it
        return self._inv.call_sync(awaitable)

    def parallel(self, steps: Sequence[Callable[[], T]]) -> tuple[T, ...]:
        """Run steps concurrently: ``ctx.step.parallel([lambda: ctx.step.run("a", fa), ...])``.
        Each callable must return one step call as it is; inside the group a step call does not
        block but stands for its step, and the group runs them all at once."""
        self._collecting.on = True
        try:
            made: list[object] = [make() for make in steps]
        finally:
            self._collecting.on = False
        pending = [item for item in made if inspect.isawaitable(item)]
        if len(pending) != len(made):
            for item in pending:
                if inspect.iscoroutine(item):
                    item.close()  # never started: nothing of it ran or was stored
            wrong = next(item for item in made if not inspect.isawaitable(item))
            raise TypeError(
                "each callable given to step.parallel must return one step call, "
                f"e.g. lambda: ctx.step.run('a', fa); got {wrong!r}"
            )

        async def group() -> tuple[T, ...]:
            results: list[T] = await asyncio.gather(*cast(list[Awaitable[T]], pending))
            return tuple(results)

        return self._inv.call_sync(group())

    def run(self, step_id: str, fn: Callable[..., T], *args: Any, retries: int | None = None) -> T:
        return self._call(self._step.run(step_id, fn, *args, retries=retries))

    def sleep(self, step_id: str, duration: Duration) -> None:
        self._call(self._step.sleep(step_id, duration))

    def sleep_until(self, step_id: str, when: datetime | str) -> None:
        self._call(self._step.sleep_until(step_id, when))

    def wait_for_event(
        self,
        step_id: str,
        *,
        event: str,
        timeout: Duration,
        if_exp: str | None = None,
        match: str | None = None,
    ) -> Event | None:
        return self._call(
            self._step.wait_for_event(
                step_id, event=event, timeout=timeout, if_exp=if_exp, match=match
            )
        )

    def send_event(
        self, step_id: str, events: dict[str, Any] | Event | Sequence[dict[str, Any] | Event]
    ) -> list[str]:
        return self._call(self._step.send_event(step_id, events))

    def invoke(
        self,
        step_id: str,
        *,
        function: Function,
        data: dict[str, Any] | None = None,
        timeout: Duration = DEFAULT_INVOKE_TIMEOUT,
    ) -> Any:
        return self._call(self._step.invoke(step_id, function=function, data=data, timeout=timeout))


class SyncRealtimeSteps:
    def __init__(self, inv: Invocation, steps: RealtimeSteps, owner: SyncStep) -> None:
        self._inv = inv
        self._steps = steps
        self._owner = owner

    def publish(self, step_id: str, topic_ref: Any, data: Any) -> dict[str, Any]:
        return self._owner._call(self._steps.publish(step_id, topic_ref, data))
