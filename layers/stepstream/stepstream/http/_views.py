"""Turn the engine's read models (``RunView``, ``StepView``, ``Event``, ``Function``) into this
API's response models. The engine's names are its own; Inngest's names are decided here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .._function import TriggerCron, TriggerEvent, match_expression
from ._models import INNGEST_STATUS, CancelOnOut, EventOut, FunctionOut, RunOut, StepOut, TriggerOut

if TYPE_CHECKING:
    from pydantic import BaseModel

    from .._function import Function


def _time(value: Any) -> datetime | None:
    """Engine timestamps are epoch milliseconds; ISO strings and datetimes pass through."""
    if value is None or value == 0:
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    return datetime.fromisoformat(str(value))


def _duration_ms(started: datetime | None, ended: datetime | None) -> float | None:
    if started is None or ended is None:
        return None
    return round((ended - started).total_seconds() * 1000, 3)


def step_out(step: dict[str, Any]) -> StepOut:
    started, ended = _time(step.get("started_at")), _time(step.get("ended_at"))
    return StepOut(
        id=step["id"],
        kind=step["kind"],
        status=step["status"],
        attempt=step.get("attempt") or 0,
        started_at=started,
        ended_at=ended,
        duration_ms=_duration_ms(started, ended),
        output=step.get("output"),
        error=step.get("error"),
    )


def run_out(view: BaseModel) -> RunOut:
    run = view.model_dump(mode="json")
    state = run["status"]
    return RunOut(
        run_id=run["run_id"],
        function_id=run["function_id"],
        event_id=run.get("event_id") or None,
        status=INNGEST_STATUS[state],
        state=state,
        created_at=_time(run.get("created_at")),
        run_started_at=_time(run.get("started_at")),
        ended_at=_time(run.get("ended_at")),
        output=run.get("output"),
        error=run.get("error"),
        steps=[step_out(s) for s in run.get("steps") or ()],
    )


def event_out(event: BaseModel) -> EventOut:
    return EventOut.model_validate(event.model_dump(mode="json"))


def function_out(function: Function) -> FunctionOut:
    triggers = []
    for trigger in function.triggers:
        if isinstance(trigger, TriggerEvent):
            triggers.append(TriggerOut(event=trigger.event, if_exp=trigger.if_exp))
        elif isinstance(trigger, TriggerCron):
            triggers.append(TriggerOut(cron=trigger.cron, tz=trigger.tz))
    return FunctionOut(
        id=function.id,
        triggers=triggers,
        retries=function.retries,
        cancel_on=[
            CancelOnOut(event=c.event, if_exp=match_expression(c.if_exp, c.match))
            for c in function.cancel_on
        ],
        idempotency=function.idempotency,
        has_on_failure=function.on_failure is not None,
    )
