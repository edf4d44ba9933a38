"""What the engine asks of the app that runs it, as narrow protocols, and ``Engine``: those
collaborators bundled for one entry-point call.

``Stepstream`` implements every protocol (it is the registry, the realtime source, the event
sender and the holder of the fault hook) and builds an ``Engine`` per call; no engine module
knows the app's class, so the imports point one way: ``_app`` → ``engine``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from .._function import Function
from ._backends import Backends
from ._faults import FaultHook


class FunctionRegistry(Protocol):
    """The functions an app registered."""

    @property
    def functions(self) -> Mapping[str, Function]:
        """Every function by id (``on_failure`` handlers included)."""
        ...

    def get_function(self, function_id: str) -> Function | None: ...

    def functions_for(self, event_name: str) -> list[Function]:
        """The functions an event of this name triggers (before their ``if`` expressions)."""
        ...


class RealtimePublisher(Protocol):
    """Publishing to realtime channels: what the engine uses of ``stepstream.Realtime``."""

    async def publish(
        self,
        ref: Any,
        data: Any,
        *,
        run_id: str | None = None,
        fn_id: str | None = None,
        message_id: str | None = None,
        durable: bool = False,
    ) -> dict[str, Any]: ...

    async def run_status(
        self,
        *,
        run_id: str,
        fn_id: str,
        status: str,
        channels: Sequence[str] = (),
        output: Any = None,
        error: dict[str, Any] | None = None,
    ) -> None: ...

    async def flush(self) -> None: ...


class RealtimeSource(Protocol):
    """Where the engine gets the app's publisher, which is made on first use."""

    @property
    def realtime(self) -> RealtimePublisher:
        """The publisher, made now if needed (``ImportError`` if realtime is not installed)."""
        ...

    def realtime_if_available(self, *, create: bool = True) -> RealtimePublisher | None:
        """The publisher if realtime is installed and (with ``create=False``) already in use."""
        ...


class EventSender(Protocol):
    """Sends events as ``app.send`` does (``step.send_event`` uses it)."""

    def send(self, events: Any) -> list[str]: ...


class FaultHooks(Protocol):
    """Holds the test hook called at named points (``_faults.py``); read at each point, so a
    test may set or clear it between calls."""

    @property
    def fault_hook(self) -> FaultHook | None: ...


class Engine:
    """The app as the engine sees it during one entry-point call (one event sent, one executor
    message, one cron tick). The call's backends are made on first use and then shared by
    everything the call does."""

    def __init__(
        self,
        *,
        registry: FunctionRegistry,
        realtime: RealtimeSource,
        sender: EventSender,
        hooks: FaultHooks,
        make_backends: Callable[[], Backends],
    ) -> None:
        self.registry = registry
        self.sender = sender
        self.hooks = hooks
        self._realtime = realtime
        self._make_backends = make_backends

    @functools.cached_property
    def backends(self) -> Backends:
        return self._make_backends()

    def publisher(self) -> RealtimePublisher:
        """The app's realtime publisher, made on first use."""
        return self._realtime.realtime

    def publisher_if_available(self, *, create: bool) -> RealtimePublisher | None:
        """The publisher if realtime is installed and (``create=False``) already in use."""
        return self._realtime.realtime_if_available(create=create)

    def fault(self, point: str, run_id: str, step_hash: str = "") -> None:
        """Call the fault hook, if one is set, at ``point``."""
        hook = self.hooks.fault_hook
        if hook is not None:
            hook(point, run_id, step_hash)
