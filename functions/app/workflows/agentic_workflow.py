"""Seed 001, "Human in the loop": do a task, ask the user on ``agentic-workflow`` to confirm,
then wait up to 15 minutes for ``agentic-workflow/confirmation`` with the same
``confirmationUUid``. The reply's ``data.confirmed`` says confirm (true, or absent, as in the
seed where any matching event continues) or reject (false).

Every outcome is published on the same ``messages`` topic, with the same ``confirmationUUid``, so
a page showing the request can show how it ended. ``data.confirmationTimeout`` shortens the wait
(a duration such as ``"5s"``, at most the seed's 15 minutes) so the timeout path can be shown.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from stepstream import Context, NonRetriableError
from stepstream.durations import to_seconds

from ..channels import agentic_workflow_channel
from ..client import app

CONFIRMATION_TIMEOUT = "15m"
MAX_TIMEOUT_SECONDS = 15 * 60


def confirmation_timeout(data: dict[str, Any]) -> str | timedelta:
    raw = data.get("confirmationTimeout")
    if raw is None:
        return CONFIRMATION_TIMEOUT
    try:
        seconds = to_seconds(raw)
    except (TypeError, ValueError) as exc:
        raise NonRetriableError(f"event.data.confirmationTimeout: {exc}") from None
    if not 1 <= seconds <= MAX_TIMEOUT_SECONDS:
        raise NonRetriableError(
            f"event.data.confirmationTimeout must be between 1s and 15m, got {raw!r}"
        )
    return timedelta(seconds=seconds)


def run_task(task: Any) -> str:
    """The work before the question; the seed leaves it out (``step.run(/* ... */)``)."""
    what = task if isinstance(task, str) and task.strip() else "draft the reply"
    return f"Prepared: {what[:200]}"


@app.function(id="agentic-workflow", trigger="agentic-workflow/start")
async def agentic_workflow(ctx: Context) -> dict[str, str]:
    timeout = confirmation_timeout(ctx.event.data)
    prepared = await ctx.step.run("run-task", run_task, ctx.event.data.get("task"))
    confirmation_uuid = await ctx.step.run("get-confirmation-uuid", lambda: str(uuid.uuid4()))
    messages = agentic_workflow_channel().messages
    await ctx.publish(
        messages, {"message": "Confirm to proceed?", "confirmationUUid": confirmation_uuid}
    )

    confirmation = await ctx.step.wait_for_event(
        "wait-for-confirmation",
        event="agentic-workflow/confirmation",
        timeout=timeout,
        if_exp=f'async.data.confirmationUUid == "{confirmation_uuid}"',
    )

    if confirmation is None:
        outcome, message = "timed-out", "No answer in time: the workflow stopped."
    elif confirmation.data.get("confirmed") is False:
        outcome, message = "rejected", "Rejected: the workflow stopped."
    else:
        outcome = "confirmed"
        message = await ctx.step.run("continue-workflow", lambda: f"Confirmed. {prepared}, done.")
    await ctx.step.realtime.publish(
        "publish-outcome", messages, {"message": message, "confirmationUUid": confirmation_uuid}
    )
    return {"outcome": outcome, "confirmationUUid": confirmation_uuid}
