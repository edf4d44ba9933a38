"""Turn the engine's read models (``RunView``, ``StepView``, stored events, ``Function``) into
this API's response models. The engine's names are its own; Inngest's names are decided here."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .._flow import describe_flow
from .._function import TriggerCron, TriggerEvent, match_expression
from ._models import (
    INNGEST_STATUS,
    CancelOnOut,
    CostOut,
    EventOut,
    FunctionOut,
    HeldOut,
    KeyUsageOut,
    LimitUsageOut,
    PendingOut,
    RunOut,
    StepOut,
    ThrottleKeyOut,
    TriggerOut,
    UsageOut,
)

if TYPE_CHECKING:
    from .._event import Event
    from .._function import Function
    from ..engine._flow import PendingView, UsageView
    from ..engine._views import RunView, StepView


def _time(epoch_ms: float | None) -> datetime | None:
    """Engine timestamps are epoch milliseconds; 0 and None mean "not yet"."""
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC) if epoch_ms else None


def step_out(step: StepView) -> StepOut:
    duration = None
    if step.started_at is not None and step.ended_at is not None:
        duration = step.ended_at - step.started_at
    return StepOut(
        id=step.id,
        kind=step.kind,
        status=step.status,
        attempt=step.attempt,
        started_at=_time(step.started_at),
        ended_at=_time(step.ended_at),
        duration_ms=duration,
        wake_at=_time(step.wake_at * 1000) if step.wake_at else None,
        output=step.output,
        error=step.error,
    )


def _held(held: dict[str, Any] | None) -> HeldOut | None:
    if not held:
        return None
    return HeldOut(
        reason=str(held.get("reason", "")),
        label=str(held.get("label", "")),
        key=held.get("key"),
        since=_time(held.get("since")),
        until=_time(held.get("until")),
    )


def run_out(run: RunView) -> RunOut:
    return RunOut(
        run_id=run.run_id,
        function_id=run.function_id,
        event_id=run.event_id or None,
        status=INNGEST_STATUS[run.status],
        state=run.status,  # type: ignore[arg-type]  # validated against the Literal by pydantic
        attempt=run.attempt,
        parent_run_id=run.parent_run_id,
        rerun_of=run.rerun_of,
        created_at=_time(run.created_at),
        run_started_at=_time(run.started_at),
        ended_at=_time(run.ended_at),
        output=run.output,
        error=run.error,
        held=_held(run.held),
        cost=CostOut.model_validate(run.cost.model_dump()) if run.cost is not None else None,
        steps=[step_out(s) for s in run.steps],
    )


def pending_out(item: PendingView) -> PendingOut:
    return PendingOut(
        function_id=item.function_id,
        kind=item.kind,  # type: ignore[arg-type]  # validated against the Literal by pydantic
        key=item.key,
        key_value=item.key_value,
        events=item.events,
        first_event_at=_at(item.first_event_at),
        last_event_at=_at(item.last_event_at),
        last_event_id=item.last_event_id,
        starts_at=_at(item.starts_at),
        max_size=item.max_size,
        label=item.label,
    )


def usage_out(view: UsageView) -> UsageOut:
    return UsageOut(
        function_id=view.function_id,
        concurrency=[
            LimitUsageOut(
                limit=c.limit,
                key=c.key,
                scope=c.scope,
                keys_read=c.keys_read,
                busiest=[
                    KeyUsageOut(value=k.value, running=k.running, queued=k.queued)
                    for k in c.busiest
                ],
            )
            for c in view.concurrency
        ],
        throttle=[
            ThrottleKeyOut(value=t.value, next_allowed_at=_at(t.next_allowed_at))
            for t in view.throttle
        ],
        pending=[pending_out(p) for p in view.pending],
        reads=view.reads,
        at=_at(view.at),
    )


def _at(epoch_ms: float) -> datetime:
    return datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)


def event_out(event: Event) -> EventOut:
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
        flow=describe_flow(function.flow),
    )
