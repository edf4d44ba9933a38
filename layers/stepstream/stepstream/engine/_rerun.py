"""Rerunning a run: a new run of the same function for the same event, linked to the original
by ``rerun_of``. From a step (DBOS calls it forking), the new run starts with copies of the
original's final step records from before that step, so replay returns their memo and runs
the step and everything after it anew."""

from __future__ import annotations

from .._errors import OperationError
from ..store import RunRecord, StepRecord
from ._backends import Backends
from ._ids import ulid
from ._ports import FunctionRegistry
from ._start import start_run


def rerun(
    registry: FunctionRegistry, backends: Backends, run_id: str, from_step: str | None = None
) -> RunRecord:
    """Start the rerun and return it; ``OperationError`` (changing nothing) for an unknown run,
    a function no longer in the app, or a ``from_step`` the run does not have."""
    original, steps = backends.state.load_run(run_id)
    if original is None:
        raise OperationError("not_found", f"no run with id {run_id!r} to rerun")
    fn = registry.get_function(original.function_id)
    if fn is None:
        raise OperationError(
            "conflict",
            f"run {run_id!r} is of function {original.function_id!r}, which this app no "
            "longer registers; deploy it again to rerun its runs",
        )
    keep = [] if from_step is None else _steps_before(run_id, steps, from_step)
    run = start_run(backends, fn, original.event, run_id=ulid(), rerun=(run_id, keep))
    if run is None:
        raise OperationError(
            "conflict", f"function {fn.id!r} is paused with mode 'skip'; resume it to rerun"
        )
    return run


def _steps_before(run_id: str, steps: list[StepRecord], from_step: str) -> list[str]:
    """Hashes of the final records started before ``from_step``, the steps the rerun keeps."""
    target = next((s for s in steps if s.id == from_step), None)
    if target is None:
        known = ", ".join(repr(s.id) for s in _ordered(steps)) or "none"
        raise OperationError(
            "invalid",
            f"run {run_id!r} has no step {from_step!r}; its steps are: {known}",
        )
    cutoff = _when(target)
    return [s.hash for s in steps if s.final and s.hash != target.hash and _when(s) < cutoff]


def _when(step: StepRecord) -> tuple[int, str]:
    # A wait resolved by an event is stored by ingestion without started_at; its end orders it.
    return (step.started_at or step.ended_at or 0, step.id)


def _ordered(steps: list[StepRecord]) -> list[StepRecord]:
    return sorted(steps, key=_when)
