"""The state of one executor invocation of one run: the memo, the lease owner, the interrupts
raised so far and the in-flight step bodies; and the checkpoint that stores a step outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, NoReturn, TypeVar

from .._function import Function
from ..store import CheckpointRejected, RunRecord, StepRecord, WaitRecord
from . import _faults, _traced
from ._backends import Backends
from ._ids import now_ms
from ._interrupts import Cancelled, Handover, Interrupt, LeaseLost, Stopping
from ._io import offload
from ._memo import Memo, memoized
from ._ports import Engine

T = TypeVar("T")


class Invocation:
    def __init__(
        self,
        engine: Engine,
        fn: Function,
        run: RunRecord,
        steps: list[StepRecord],
        owner: str,
        lambda_context: Any,
    ) -> None:
        self.engine = engine
        self.fn = fn
        self.run = run
        self.owner = owner
        self.lambda_context = lambda_context
        self.backends: Backends = engine.backends
        load_output = self.backends.state.load_step_output
        self.memo = Memo(steps, lambda record: offload(load_output, record))
        self.interrupts: list[Interrupt] = []
        self.lost = False
        """Another executor took the run (this one's lease lapsed) before this one let go of it:
        the message that brought this invocation may be that executor's too (SQS redelivers
        a message whose invocation outlived its visibility timeout), and it is acknowledged
        when this invocation returns, so the executor leaves a message that retries the run."""
        self.channels: set[str] = set(run.channels)
        self.step_attempt: int | None = None
        self.new_steps = 0
        self._inflight = 0
        self._idle: asyncio.Event | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        # When the function last came back from a step call (or started): the code between two
        # steps takes no logical time, so a wait reached now covers events from this moment on.
        self.boundary_ms = now_ms()

    # --- control flow -----------------------------------------------------------------------
    def interrupt(self, exc: Interrupt) -> NoReturn:
        self.interrupts.append(exc)
        raise exc

    def before_new_step(self) -> None:
        """Gate in front of every new step: stop if another branch interrupted, hand over if the
        Lambda is nearly out of time (never before the first new step, so a run always moves,
        unless its timeout has passed)."""
        if self.interrupts:
            raise Stopping()
        remaining = self.lambda_context.get_remaining_time_in_millis()
        if self.new_steps > 0 and remaining < self.backends.settings.handover_ms:
            self.interrupt(Handover())
        if remaining <= 0:
            # Past the function's timeout: Lambda would have killed this invocation, and a body
            # started now could outlive the lease (a local invocation the poller gave up on).
            self.interrupt(Handover())
        self.memo.mark_new()
        self.new_steps += 1

    def fault(self, point: str, step_hash: str) -> None:
        """Call the fault hook at ``point``: from sync code that is already off the loop."""
        self.engine.fault(point, self.run.run_id, step_hash)

    async def reach(self, point: str, step_hash: str) -> None:
        """Call the fault hook at ``point`` from the loop (off it: tests do I/O in hooks)."""
        if self.engine.hooks.fault_hook is not None:
            await offload(self.fault, point, step_hash)

    async def step(
        self, hash_: str, run_new: Callable[[StepRecord | None], Awaitable[StepRecord]]
    ) -> Any:
        """Run one step call through the memo check, counting its body as in flight."""

        async def tracked(pending: StepRecord | None) -> StepRecord:
            self._inflight += 1
            try:
                with _traced.step(self.memo, hash_, pending, self.run):
                    return await run_new(pending)
            finally:
                self._inflight -= 1
                if self._inflight == 0 and self._idle is not None:
                    self._idle.set()

        try:
            return await memoized(self.memo, hash_, self.before_new_step, tracked)
        finally:
            self.boundary_ms = now_ms()

    async def drain(self) -> None:
        """Let parallel step bodies that are still running finish and checkpoint."""
        while self._inflight > 0:
            self._idle = asyncio.Event()
            await self._idle.wait()

    def call_sync(self, awaitable: Awaitable[T]) -> T:
        """From a sync function's worker thread, run a step coroutine on the invocation's loop."""
        assert self.loop is not None

        async def wrap() -> T:
            return await awaitable

        coro: Coroutine[Any, Any, T] = wrap()
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    # --- storage --------------------------------------------------------------------------------
    async def checkpoint(
        self, record: StepRecord, *, replace: Sequence[str] = (), wait: WaitRecord | None = None
    ) -> StepRecord:
        """Store ``record`` with one transaction and return what is stored for the step: ours,
        or the record another executor (or an event, or a child run) stored first."""
        try:
            await offload(self._store_checkpoint, record, replace, wait)
        except CheckpointRejected as rejected:
            if rejected.reason == "step_exists" and rejected.existing is not None:
                self.memo.remember(rejected.existing)
                return rejected.existing
            if rejected.reason == "cancelled":
                self.interrupt(Cancelled())
            self.interrupt(LeaseLost())
        self.memo.remember(record)
        return record

    def _store_checkpoint(
        self, record: StepRecord, replace: Sequence[str], wait: WaitRecord | None
    ) -> None:
        self.fault(_faults.BEFORE_CHECKPOINT, record.hash)
        self.backends.state.checkpoint(
            self.run.run_id, self.owner, record, replace=replace, wait=wait
        )
        self.fault(_faults.AFTER_CHECKPOINT, record.hash)

    @property
    def attempt(self) -> int:
        return self.step_attempt if self.step_attempt is not None else self.run.attempt
