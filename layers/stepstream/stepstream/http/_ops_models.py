"""Request and response bodies of the operations API: rerun, replays, cancellations, pauses."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class RerunIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_step: str | None = Field(default=None, min_length=1, max_length=256)
    """Keep the memo of the steps before this step id and run from it; absent: from the top."""


class RerunOut(BaseModel):
    run_id: str
    """The new run."""
    rerun_of: str
    function_id: str
    from_step: str | None = None


class ReplayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    function_id: str = Field(min_length=1, max_length=256)
    started_after: AwareDatetime
    started_before: AwareDatetime
    """At most 31 days after ``started_after``."""
    statuses: list[Literal["failed", "cancelled", "completed"]] = Field(default=["failed"])
    dry_run: bool = False
    """Only count the runs it would rerun (the dashboard asks before confirming)."""


class Progress(BaseModel):
    total: int
    finished: int
    by_status: dict[str, int]


class ReplayOut(BaseModel):
    id: str | None
    """Absent for a dry run."""
    function_id: str
    started_after: datetime
    started_before: datetime
    statuses: list[str]
    count: int
    """How many runs it started (or, for a dry run, would start)."""
    run_ids: list[str] = Field(default_factory=list)
    progress: Progress | None = None


class CancellationIn(BaseModel):
    """Inngest's bulk cancellation request."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    app_id: str | None = Field(default=None, min_length=1, max_length=256)
    """Inngest requires it; here it defaults to the app this API serves."""
    function_id: str = Field(min_length=1, max_length=256)
    started_after: AwareDatetime
    started_before: AwareDatetime
    if_exp: str | None = Field(default=None, alias="if", max_length=4096)
    """CEL over ``event``, the run's triggering event."""


class CancellationOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str
    app_id: str
    function_id: str
    started_after: datetime
    started_before: datetime
    if_exp: str | None = Field(default=None, serialization_alias="if")
    cancelled: int
    """How many runs it cancelled."""
    run_ids: list[str] = Field(default_factory=list)


class PauseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["hold", "skip"] = "hold"
    """``hold``: keep the events' runs and start them on resume; ``skip``: start none."""


class PauseOut(BaseModel):
    function_id: str
    paused: Literal["hold", "skip"] | None
    started: list[str] = Field(default_factory=list)
    """On resume: the held runs it started."""


def op_times(request: dict[str, Any]) -> tuple[datetime, datetime]:
    return (
        datetime.fromisoformat(request["started_after"]),
        datetime.fromisoformat(request["started_before"]),
    )
