"""``ctx``: what a function sees of its run."""

from __future__ import annotations

from typing import Any

from .._event import Event
from ._flow import BATCH_FIELD
from ._invocation import Invocation
from ._logger import ReplayAwareLogger
from ._step import Step, SyncStep


class _RunContext:
    def __init__(self, inv: Invocation) -> None:
        self._inv = inv
        batch = inv.run.event.get(BATCH_FIELD)
        trigger = {k: v for k, v in inv.run.event.items() if k != BATCH_FIELD}
        self.event = Event.model_validate(trigger)
        """The event that started the run (the first of a batch)."""
        self.events = [Event.model_validate(e) for e in batch] if batch else [self.event]
        """All events of the run: a batch's (``batch_events``), else the one event."""
        self.run_id = inv.run.run_id
        self.function_id = inv.fn.id
        self.logger = ReplayAwareLogger(self.run_id, self.function_id, lambda: inv.memo.replaying)

    @property
    def attempt(self) -> int:
        """0-based attempt of the step being retried, or of the function."""
        return self._inv.attempt

    def _publish_args(self, topic_ref: Any) -> dict[str, Any] | None:
        if self._inv.memo.replaying:
            return None
        channel = getattr(topic_ref, "channel", None)
        if isinstance(channel, str):
            self._inv.channels.add(channel)
        return {"run_id": self.run_id, "fn_id": self.function_id}


class Context(_RunContext):
    """The context of an ``async def`` function."""

    def __init__(self, inv: Invocation) -> None:
        super().__init__(inv)
        self.step = Step(inv)

    async def publish(self, topic_ref: Any, data: Any) -> dict[str, Any] | None:
        """Publish a realtime message now (not durable); skipped while replaying."""
        kwargs = self._publish_args(topic_ref)
        if kwargs is None:
            return None
        frame: dict[str, Any] = await self._inv.engine.publisher().publish(
            topic_ref, data, **kwargs
        )
        return frame


class SyncContext(_RunContext):
    """The context of a plain ``def`` function (it runs in a worker thread)."""

    def __init__(self, inv: Invocation) -> None:
        super().__init__(inv)
        self.step = SyncStep(inv)

    def publish(self, topic_ref: Any, data: Any) -> dict[str, Any] | None:
        """Publish a realtime message now (not durable); skipped while replaying."""
        kwargs = self._publish_args(topic_ref)
        if kwargs is None:
            return None
        frame: dict[str, Any] = self._inv.call_sync(
            self._inv.engine.publisher().publish(topic_ref, data, **kwargs)
        )
        return frame
