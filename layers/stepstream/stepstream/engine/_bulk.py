"""Operations on many runs of one function in a time range: replay (rerun the failed ones, or
those of other statuses) and bulk cancel (Inngest's ``POST /v1/cancellations``). Each is checked
whole before it changes anything, acts at once, and is kept as an ``OP#`` record so its result
and progress can be read back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .. import _metrics
from .._errors import OperationError
from .._states import ACTIVE, TERMINAL, RunStatus
from ..store import OperationRecord, RunRecord
from . import _cel
from ._backends import Backends
from ._followups import resolve_parent
from ._ids import now_ms, ulid
from ._ports import FunctionRegistry
from ._rerun import rerun

MAX_RANGE_DAYS = 31
MAX_RUNS = 1000
"""Runs one operation may act on; the request answers 422 past it (narrow the range)."""
REPLAYABLE = (RunStatus.FAILED, RunStatus.CANCELLED, RunStatus.COMPLETED)


def _range(since: datetime, until: datetime) -> tuple[int, int]:
    if since.tzinfo is None or until.tzinfo is None:
        raise OperationError("invalid", "times need a timezone, e.g. 2026-01-21T18:00:00Z")
    if until <= since:
        raise OperationError("invalid", "the range is empty: its end is not after its start")
    if (until - since).total_seconds() > MAX_RANGE_DAYS * 86400:
        raise OperationError(
            "invalid", f"the range is {until - since}; at most {MAX_RANGE_DAYS} days at a time"
        )
    return int(since.timestamp() * 1000), int(until.timestamp() * 1000)


def _selected(runs: list[RunRecord]) -> list[RunRecord]:
    if len(runs) > MAX_RUNS:
        raise OperationError(
            "invalid",
            f"{len(runs)} runs match; one operation acts on at most {MAX_RUNS}: narrow the range",
        )
    return runs


def replay_candidates(
    backends: Backends, function_id: str, since: datetime, until: datetime, statuses: list[str]
) -> list[RunRecord]:
    """The runs a replay would rerun (what the dashboard counts before asking to confirm)."""
    wrong = [s for s in statuses if s not in REPLAYABLE]
    if not statuses or wrong:
        raise OperationError(
            "invalid", f"statuses must be some of {', '.join(REPLAYABLE)}; got {statuses!r}"
        )
    start, end = _range(since, until)
    runs = backends.state.runs_between(function_id, start, end)
    return _selected([r for r in runs if r.status in statuses])


def replay(
    registry: FunctionRegistry,
    backends: Backends,
    function_id: str,
    since: datetime,
    until: datetime,
    statuses: list[str],
) -> OperationRecord:
    if registry.get_function(function_id) is None:
        raise OperationError("not_found", f"no function {function_id!r} in this app")
    candidates = replay_candidates(backends, function_id, since, until, statuses)
    started = [rerun(registry, backends, r.run_id).run_id for r in candidates]
    op = OperationRecord(
        op_id=ulid(),
        kind="replay",
        created_at=now_ms(),
        request={
            "function_id": function_id,
            "started_after": since.isoformat(),
            "started_before": until.isoformat(),
            "statuses": statuses,
            "replayed": [r.run_id for r in candidates],
        },
        run_ids=started,
    )
    backends.state.put_operation(op)
    return op


def cancel_many(
    registry: FunctionRegistry,
    backends: Backends,
    app_id: str,
    function_id: str,
    started_after: datetime,
    started_before: datetime,
    if_exp: str | None,
) -> OperationRecord:
    """Cancel the active runs of ``function_id`` created in the range whose event matches
    ``if_exp`` (CEL over ``event``); finished runs are left as they are."""
    if registry.get_function(function_id) is None:
        raise OperationError("not_found", f"no function {function_id!r} in app {app_id!r}")
    if if_exp:
        try:
            _cel.check(if_exp)
        except _cel.ExpressionError as exc:
            raise OperationError("invalid", f"'if': {exc}") from None
    start, end = _range(started_after, started_before)
    runs = _selected(
        [
            r
            for r in backends.state.runs_between(function_id, start, end)
            if r.status in ACTIVE and _cel.matches(if_exp, event=r.event)
        ]
    )
    cancelled = []
    for run in runs:
        if backends.state.cancel_run(run.run_id, now_ms()):
            cancelled.append(run.run_id)
            now_cancelled = backends.state.get_run(run.run_id)
            _metrics.run_ended(now_cancelled)
            if now_cancelled is not None and now_cancelled.parent_run_id:
                resolve_parent(backends, now_cancelled)
    op = OperationRecord(
        op_id=ulid(),
        kind="cancellation",
        created_at=now_ms(),
        request={
            "app_id": app_id,
            "function_id": function_id,
            "started_after": started_after.isoformat(),
            "started_before": started_before.isoformat(),
            "if": if_exp,
        },
        run_ids=cancelled,
    )
    backends.state.put_operation(op)
    return op


def progress(backends: Backends, op: OperationRecord) -> dict[str, Any]:
    """How many of the operation's runs are in each status now (one GetItem per run)."""
    counts: dict[str, int] = {}
    for run_id in op.run_ids:
        run = backends.state.get_run(run_id)
        status = run.status if run is not None else "missing"
        counts[status] = counts.get(status, 0) + 1
    done = sum(n for status, n in counts.items() if status in TERMINAL)
    return {"total": len(op.run_ids), "finished": done, "by_status": counts}
