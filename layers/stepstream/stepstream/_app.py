"""``Stepstream``: the app object a user creates once and registers functions on."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._event import Event
from ._flow import (
    Batch,
    Concurrency,
    Debounce,
    Priority,
    RateLimit,
    Singleton,
    Throttle,
    Timeouts,
    validate_flow,
)
from ._function import CancelOn, Function, Trigger, TriggerEvent, normalise_triggers
from .engine import _cel
from .engine._backends import Backends
from .engine._cron import tick
from .engine._executor import execute
from .engine._faults import FaultHook
from .engine._ingest import ingest, validate_events
from .engine._io import offload
from .engine._operations import Operations
from .engine._ports import Engine
from .engine._views import Events, Runs

if TYPE_CHECKING:
    from .realtime import Realtime


class Stepstream:
    """An app: its functions, and the entry points that send events, execute runs and read
    them back. Everything reads its settings from the environment when used.

    To the engine it is a facade: the function registry, the realtime source, the event sender
    and the holder of the fault hook (the protocols of ``engine/_ports.py``), handed to the
    engine as one ``Engine`` per entry-point call."""

    def __init__(self, id: str, *, backends: Callable[[], Backends] | None = None) -> None:
        if not id or not isinstance(id, str):
            raise ValueError("Stepstream(id=...) needs a non-empty app id")
        self.id = id
        self.functions: dict[str, Function] = {}
        self.backends_provider: Callable[[], Backends] = backends or Backends.from_env
        """Makes the store, queue and settings for one entry-point call (one event sent, one
        executor message, one tick). The default reads the environment each time; tests and
        the dev stack may inject other backends (e.g. the in-memory store)."""
        self.runs = Runs(self.backends, self.functions)
        self.events = Events(self.backends)
        self.operations = Operations(self._engine)
        """Rerun, replay, bulk cancel and pause (``engine/_operations.py``)."""
        self.fault_hook: FaultHook | None = None
        """Test hook called at named points of execution (see ``engine/_faults.py``)."""
        self._realtime: Realtime | None = None

    # --- registration ----------------------------------------------------------------------
    def function(
        self,
        *,
        id: str,
        trigger: Trigger | Sequence[Trigger] | None = None,
        retries: int = 4,
        cancel_on: Sequence[CancelOn] = (),
        on_failure: Callable[..., Any] | None = None,
        idempotency: str | None = None,
        concurrency: int | Concurrency | Sequence[Concurrency] | None = None,
        throttle: Throttle | None = None,
        rate_limit: RateLimit | None = None,
        debounce: Debounce | None = None,
        batch_events: Batch | None = None,
        priority: Priority | None = None,
        singleton: Singleton | Sequence[Singleton] | None = None,
        timeouts: Timeouts | None = None,
    ) -> Callable[[Callable[..., Any]], Function]:
        """Register ``async def fn(ctx)`` or ``def fn(ctx)`` as a durable function."""
        if retries < 0:
            raise ValueError("retries must be 0 or more")
        triggers = normalise_triggers(trigger)
        for t in triggers:
            if getattr(t, "if_exp", None):
                _cel.check(str(t.if_exp))  # type: ignore[union-attr]
        for c in cancel_on:
            if c.expression:
                _cel.check(c.expression)
        if idempotency:
            _cel.check(idempotency)
        flow = validate_flow(
            id,
            check_cel=_cel.check,
            concurrency=concurrency,
            throttle=throttle,
            rate_limit=rate_limit,
            debounce=debounce,
            batch_events=batch_events,
            priority=priority,
            singleton=singleton,
            timeouts=timeouts,
        )

        def register(handler: Callable[..., Any]) -> Function:
            if id in self.functions:
                raise ValueError(f"function id {id!r} is registered twice in app {self.id!r}")
            fn = Function(
                id=id,
                handler=handler,
                triggers=triggers,
                retries=retries,
                cancel_on=list(cancel_on),
                on_failure=on_failure,
                idempotency=idempotency,
                flow=flow,
            )
            self.functions[id] = fn
            if on_failure is not None:
                self.functions[fn.failure_id] = Function(
                    id=fn.failure_id, handler=on_failure, retries=retries
                )
            return fn

        return register

    def backends(self) -> Backends:
        """The backends one entry-point call uses; made once per call and passed down."""
        return self.backends_provider()

    def _engine(self) -> Engine:
        """The engine's view of this app for one entry-point call."""
        return Engine(
            registry=self,
            realtime=self,
            sender=self,
            hooks=self,
            make_backends=self.backends,
        )

    def get_function(self, function_id: str) -> Function | None:
        return self.functions.get(function_id)

    def functions_for(self, event_name: str) -> list[Function]:
        return [
            fn
            for fn in self.functions.values()
            if any(isinstance(t, TriggerEvent) and t.matches(event_name) for t in fn.triggers)
        ]

    # --- entry points -------------------------------------------------------------------------
    def send(self, events: dict[str, Any] | Event | Sequence[dict[str, Any] | Event]) -> list[str]:
        """Send one event or a list; returns their ids. Raises ``EventValidationError`` or
        ``PayloadTooLargeError`` (naming the field or the sizes) before storing anything."""
        if isinstance(events, Event):
            events = events.model_dump()
        return ingest(self._engine(), validate_events(events))

    async def send_async(
        self, events: dict[str, Any] | Event | Sequence[dict[str, Any] | Event]
    ) -> list[str]:
        """``send`` for async code: the store calls run in a worker thread, not on the loop."""
        return await offload(self.send, events)

    def execute(self, message: dict[str, Any], lambda_context: Any) -> None:
        """Handle one executor queue message (the executor Lambda calls this per record)."""
        execute(self._engine(), message, lambda_context)

    def tick(self, now: datetime | None = None) -> list[str]:
        """Start the cron runs due this minute (the scheduler Lambda calls this every minute)."""
        return tick(self._engine(), now)

    # --- realtime -------------------------------------------------------------------------------
    @property
    def realtime(self) -> Realtime:
        """The app's realtime publisher, created on first use."""
        if self._realtime is None:
            from .realtime import Realtime

            self._realtime = Realtime(self.id)
        return self._realtime

    def realtime_if_available(self, *, create: bool = True) -> Realtime | None:
        """The realtime publisher if the realtime package is installed (and, with
        ``create=False``, already in use)."""
        if self._realtime is not None or not create:
            return self._realtime
        try:
            return self.realtime
        except ImportError:
            return None
