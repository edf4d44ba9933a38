"""``app.operations``: rerun, replay, bulk cancel and pause, for the HTTP API, the CLI and the
dashboard. Every refusal is an ``OperationError`` raised before anything changed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from .._errors import OperationError
from ..store import OperationRecord, RunRecord
from . import _bulk, _pause, _rerun
from ._ports import Engine


class Operations:
    def __init__(self, engine: Callable[[], Engine]) -> None:
        self._engine = engine

    def rerun(self, run_id: str, from_step: str | None = None) -> RunRecord:
        """A new run of the same function and event; from ``from_step``, keeping the memo of
        the steps before it."""
        engine = self._engine()
        return _rerun.rerun(engine.registry, engine.backends, run_id, from_step)

    def replay_count(
        self, function_id: str, since: datetime, until: datetime, statuses: list[str]
    ) -> int:
        """How many runs ``replay`` would start now."""
        engine = self._engine()
        self._known(engine, function_id)
        return len(_bulk.replay_candidates(engine.backends, function_id, since, until, statuses))

    def replay(
        self, function_id: str, since: datetime, until: datetime, statuses: list[str]
    ) -> OperationRecord:
        """Rerun the runs of ``function_id`` created in the range with one of ``statuses``."""
        engine = self._engine()
        return _bulk.replay(engine.registry, engine.backends, function_id, since, until, statuses)

    def cancel_many(
        self,
        app_id: str,
        function_id: str,
        started_after: datetime,
        started_before: datetime,
        if_exp: str | None = None,
    ) -> OperationRecord:
        engine = self._engine()
        return _bulk.cancel_many(
            engine.registry,
            engine.backends,
            app_id,
            function_id,
            started_after,
            started_before,
            if_exp,
        )

    def get(self, op_id: str, kind: str) -> tuple[OperationRecord, dict[str, Any]]:
        """A replay or cancellation with the progress of its runs."""
        backends = self._engine().backends
        op = backends.state.get_operation(op_id) if 0 < len(op_id) <= 256 else None
        if op is None or op.kind != kind:
            raise OperationError("not_found", f"no {kind} with id {op_id!r}")
        return op, _bulk.progress(backends, op)

    def pause(self, function_id: str, mode: str = _pause.HOLD) -> None:
        """Start no new runs of ``function_id``: ``hold`` keeps them until resume, ``skip``
        drops them. Runs in flight finish."""
        engine = self._engine()
        self._known(engine, function_id)
        _pause.pause(engine.backends, function_id, mode)

    def resume(self, function_id: str) -> list[str]:
        """Unpause; returns the ids of the held runs it started."""
        engine = self._engine()
        self._known(engine, function_id)
        return _pause.resume(engine.backends, function_id)

    def pauses(self) -> dict[str, str]:
        """The pause mode of each paused function."""
        return self._engine().backends.state.pauses()

    @staticmethod
    def _known(engine: Engine, function_id: str) -> None:
        if engine.registry.get_function(function_id) is None:
            raise OperationError("not_found", f"no function {function_id!r} in this app")
