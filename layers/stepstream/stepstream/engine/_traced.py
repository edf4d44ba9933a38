"""Where the engine meets tracing (``stepstream._tracing``): a span per step that runs, and what
an invocation left its run as. Replayed steps get no span: nothing of theirs runs."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

from .. import _tracing
from .._states import TERMINAL, StepStatus
from ..store import RunRecord, StepRecord
from ._interrupts import Interrupt, RetryLater, Suspend
from ._memo import Memo


@contextlib.contextmanager
def step(memo: Memo, hash_: str, pending: StepRecord | None, run: RunRecord) -> Iterator[None]:
    """A subsegment named after the step, annotated with its id, kind, attempt and outcome (the
    status stored for it, or the interrupt that stopped it) and the run's ids."""
    if not _tracing.enabled():
        yield
        return
    step_id = memo.id_of(hash_)
    retrying = pending is not None and pending.status == StepStatus.RETRY
    with _tracing.span(
        f"step {step_id}",
        step_id=step_id,
        attempt=pending.attempt if pending is not None and retrying else 0,
        function_id=run.function_id,
        run_id=run.run_id,
    ):
        stopped: str | None = None
        try:
            yield
        except Interrupt as exc:
            if not isinstance(exc, Suspend | RetryLater):  # those store the step's status first
                stopped = type(exc).__name__.lower()
            raise
        except Exception:
            stopped = "exception"
            raise
        finally:
            record = memo.get(hash_)
            _tracing.annotate(
                step_kind=record.kind if record is not None else None,
                outcome=stopped or (str(record.status) if record is not None else "unknown"),
            )


def annotate_run(run: RunRecord, interrupts: Sequence[Interrupt], new_steps: int) -> None:
    """What this invocation left the run as: its final status, the interrupts that suspended it
    (``sleeping``, ``waiting``, ``retrylater``, ``handover``, ``leaselost``), or ``retry`` for a
    failed attempt to be retried."""
    if not _tracing.enabled():
        return
    if run.status in TERMINAL:
        outcome = str(run.status)
    else:
        kinds = {
            str(i.status) if isinstance(i, Suspend) else type(i).__name__.lower()
            for i in interrupts
        }
        outcome = ",".join(sorted(kinds)) or "retry"
    _tracing.annotate(outcome=outcome, new_steps=new_steps)
