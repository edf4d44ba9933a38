"""What follows a run's end, each step idempotent so it can be redone after a crash: resolve
the parent's ``step.invoke`` and start the ``on_failure`` run."""

from __future__ import annotations

from .._states import TERMINAL, RunStatus, StepStatus
from ..store import RunRecord, StepRecord
from . import _flow, _serde
from ._backends import Backends
from ._ids import now_ms, ulid
from ._ports import FunctionRegistry
from ._start import start_run


def after_terminal(registry: FunctionRegistry, backends: Backends, run: RunRecord) -> None:
    resolve_parent(backends, run)
    fn = registry.get_function(run.function_id)
    if fn is not None:
        _flow.release_singleton(backends, fn, run)
    if run.status == RunStatus.FAILED:
        start_on_failure(registry, backends, run)


def resolve_parent(backends: Backends, run: RunRecord) -> None:
    """Store the child's outcome as the parent's invoke step (a conditional put over the waiting
    record, so a timeout and the child cannot both win) and wake the parent."""
    if not (run.parent_run_id and run.parent_step_hash and run.status in TERMINAL):
        return
    completed = run.status == RunStatus.COMPLETED
    record = StepRecord(
        run.parent_step_hash,
        run.parent_step_id or "",
        "invoke",
        StepStatus.OK if completed else StepStatus.ERROR,
        ended_at=now_ms(),
        detail={"child_run_id": run.run_id, "function_id": run.function_id},
    )
    if completed:
        record.output_json, record.output_type = run.output_json or "null", run.output_type
        if len(record.output_json.encode()) > _serde.INLINE_OUTPUT_BYTES:
            record.blob_key = f"runs/{run.parent_run_id}/{run.parent_step_hash}/{ulid()}"
    elif run.status == RunStatus.CANCELLED:
        record.error = {"name": "Cancelled", "message": f"invoked {run.function_id} was cancelled"}
    else:
        error = run.error or {}
        record.error = {
            "name": error.get("name", "Error"),
            "message": f"invoked {run.function_id} failed: {error.get('message', '')}",
        }
    if backends.state.resolve_step(run.parent_run_id, record, expect=(StepStatus.WAITING,)):
        backends.queue.send({"run_id": run.parent_run_id, "kind": "resume"})


def start_on_failure(registry: FunctionRegistry, backends: Backends, run: RunRecord) -> None:
    """Start the function's ``on_failure`` run; its id is derived from the failed run's, so it
    starts once however often this is called."""
    fn = registry.get_function(run.function_id)
    handler = registry.get_function(fn.failure_id) if fn is not None else None
    if fn is None or handler is None:
        return
    event = {
        "name": "stepstream/function.failed",
        "id": f"{run.run_id}-failed",
        "ts": now_ms(),
        "data": {
            "function_id": run.function_id,
            "run_id": run.run_id,
            "error": run.error,
            "event": run.event,
        },
    }
    start_run(backends, handler, event, run_id=f"{run.run_id}-failure")
