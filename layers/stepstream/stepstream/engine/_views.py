"""The read side used by the HTTP API and the dashboard: ``app.runs`` and ``app.events``."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel

from .. import _metrics
from .._event import Event
from .._function import Function
from .._states import RunStatus, StepStatus
from ..cost import estimate
from ..store import RunRecord, StepRecord
from . import _flow
from ._backends import Backends
from ._flow import PendingView, UsageView
from ._followups import resolve_parent
from ._ids import now_ms

_STEP_STATUS: dict[str, RunStatus] = {
    StepStatus.OK: RunStatus.COMPLETED,
    StepStatus.ERROR: RunStatus.FAILED,
    StepStatus.RETRY: RunStatus.RUNNING,
    StepStatus.SLEEPING: RunStatus.SLEEPING,
    StepStatus.WAITING: RunStatus.WAITING,
}
"""A step's status as the API shows it: in the run's words."""


class StepView(BaseModel):
    """One step of a run as the API shows it."""

    id: str
    hash: str
    kind: str
    status: str
    """completed, failed, running (retrying), sleeping or waiting."""
    input: Any = None
    output: Any = None
    error: dict[str, Any] | None = None
    attempt: int = 0
    started_at: int | None = None
    ended_at: int | None = None
    wake_at: float | None = None


class CostView(BaseModel):
    """What a run has cost on AWS so far: its ledger (``units``) and a dollar estimate from the
    price table (``stepstream.cost``) for the region the app runs in."""

    units: dict[str, float]
    """Counted units by name: ``dynamodb_read_units``, ``sqs_billed_requests``, ..."""
    usd: float
    lines: dict[str, float]
    """Dollars by service: dynamodb, sqs, s3, websocket, lambda (and bedrock)."""
    region: str | None
    region_priced: str
    """The region whose prices were used: ``region``, or us-east-1 when the table lacks it."""
    region_fallback: bool
    prices_date: str
    unpriced_models: list[str] = []
    """Models whose tokens are counted but not in the price table."""


class RunView(BaseModel):
    """A run with its steps (ordered by start time)."""

    run_id: str
    function_id: str
    status: str
    """queued, running, sleeping, waiting, completed, failed or cancelled."""
    event_id: str
    event: dict[str, Any]
    attempt: int
    output: Any = None
    error: dict[str, Any] | None = None
    created_at: int
    started_at: int | None = None
    ended_at: int | None = None
    parent_run_id: str | None = None
    held: dict[str, Any] | None = None
    """Why flow control holds the run back, while it does (queued behind a concurrency key,
    throttled, skipped ...): ``reason``, a readable ``label`` and times (ms)."""
    rerun_of: str | None = None
    """The run this one reruns."""
    cost: CostView | None = None
    """The run's cost ledger; None before its first invocation ended (or with the ledger off)."""
    steps: list[StepView] = []


MAX_ID_LENGTH = 256


def _plausible(identifier: str) -> bool:
    """Ids become DynamoDB keys (capped at 1-2 KB); anything longer cannot exist."""
    return isinstance(identifier, str) and 0 < len(identifier) <= MAX_ID_LENGTH


def _loads(text: str | None) -> Any:
    return json.loads(text) if text is not None else None


def _held(run: RunRecord) -> dict[str, Any] | None:
    """The run's flow reason while it still applies: a queued run waiting for a slot or a
    throttle, or a run flow control ended (skipped, rate-limited)."""
    if not run.flow or run.status not in (RunStatus.QUEUED, RunStatus.CANCELLED):
        return None
    return {k: v for k, v in run.flow.items() if k != "sort"}


def _cost(counts: dict[str, float]) -> CostView | None:
    if not counts:
        return None
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return CostView(units=counts, region=region, **estimate(counts, region))


def _view(run: RunRecord, steps: list[StepRecord], backends: Backends) -> RunView:
    ordered = sorted(steps, key=lambda s: (s.started_at or 0, s.ended_at or 0, s.id))
    return RunView(
        run_id=run.run_id,
        function_id=run.function_id,
        status=run.status,
        event_id=run.event_id,
        event=run.event,
        attempt=run.attempt,
        output=_loads(run.output_json),
        error=run.error,
        created_at=run.created_at,
        started_at=run.started_at,
        ended_at=run.ended_at,
        parent_run_id=run.parent_run_id,
        held=_held(run),
        rerun_of=run.rerun_of,
        cost=_cost(run.cost),
        steps=[
            StepView(
                id=s.id,
                hash=s.hash,
                kind=s.kind,
                status=_STEP_STATUS.get(s.status, s.status),
                input=s.detail.get("input"),
                output=_loads(backends.state.load_step_output(s)) if s.final else None,
                error=s.error,
                attempt=s.attempt,
                started_at=s.started_at,
                ended_at=s.ended_at,
                wake_at=s.wake_at,
            )
            for s in ordered
        ],
    )


class Runs:
    """``app.runs``."""

    def __init__(
        self,
        backends: Callable[[], Backends],
        functions: Mapping[str, Function] | None = None,
    ) -> None:
        self._backends = backends
        self._functions = functions if functions is not None else {}

    def pending(self, function_id: str | None = None, limit: int = 50) -> list[PendingView]:
        """Events gathered for a debounce or batch whose run does not exist yet: the open
        windows of one function, or of every function, at most ``limit`` (one Query of at most
        ``limit`` items per debounced or batched function)."""
        limit = max(1, min(int(limit), 500))
        backends = self._backends()
        out: list[PendingView] = []
        for fn in self._functions.values():
            if function_id is None or fn.id == function_id:
                out.extend(_flow.pending(backends, fn, limit))
        out.sort(key=lambda p: p.starts_at)
        return out[:limit]

    def usage(self, function_id: str) -> UsageView | None:
        """The function's current use of its flow-control limits (None: no such function)."""
        fn = self._functions.get(function_id)
        return _flow.usage(self._backends(), fn) if fn is not None else None

    def get(self, run_id: str) -> RunView | None:
        """The run with its steps, or None."""
        if not _plausible(run_id):
            return None
        backends = self._backends()
        run, steps = backends.state.load_run(run_id)
        return _view(run, steps, backends) if run is not None else None

    def for_event(self, event_id: str) -> list[RunView]:
        """The runs an event started."""
        if not _plausible(event_id):
            return []
        backends = self._backends()
        views = []
        for run_id in backends.state.runs_for_event(event_id):
            run, steps = backends.state.load_run(run_id)
            if run is not None:
                views.append(_view(run, steps, backends))
        return views

    def recent(self, limit: int = 50, function_id: str | None = None) -> list[RunView]:
        """Newest runs first, without their steps."""
        backends = self._backends()
        limit = max(1, min(int(limit), 500))
        return [_view(r, [], backends) for r in backends.state.recent_runs(limit, function_id)]

    def cancel(self, run_id: str) -> RunView | None:
        """Cancel a run that has not finished (idempotent); None if there is no such run. A
        sleeping or waiting run is cancelled at once, a running one at its next step."""
        if not _plausible(run_id):
            return None
        backends = self._backends()
        if backends.state.cancel_run(run_id, now_ms()):
            run = backends.state.get_run(run_id)
            _metrics.run_ended(run)
            if run is not None:
                resolve_parent(backends, run)
        return self.get(run_id)


class StoredEvent(Event):
    received_at: int | None = None


class Events:
    """``app.events``."""

    def __init__(self, backends: Callable[[], Backends]) -> None:
        self._backends = backends

    def get(self, event_id: str) -> StoredEvent | None:
        if not _plausible(event_id):
            return None
        data = self._backends().state.get_event(event_id)
        return StoredEvent.model_validate(data) if data is not None else None

    def recent(self, limit: int = 50) -> list[StoredEvent]:
        limit = max(1, min(int(limit), 500))
        return [StoredEvent.model_validate(e) for e in self._backends().state.recent_events(limit)]
