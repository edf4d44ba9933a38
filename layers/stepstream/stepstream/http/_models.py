"""The shapes this API returns, as pydantic models so the OpenAPI schema is the real contract.

Read responses follow Inngest's REST API v1: a ``data`` envelope with ``metadata.fetched_at``,
runs with ``run_id``, ``function_id``, ``event_id``, ``status`` in Inngest's vocabulary
(``Queued``, ``Running``, ``Completed``, ``Failed``, ``Cancelled``), ``run_started_at``,
``ended_at`` and ``output``. Ours add ``state`` (the engine's finer status: a sleeping or waiting
run is ``Running`` to Inngest) and ``steps`` with their timings.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from .._durations import MAX_DURATION
from .._event import MAX_TS, MIN_TS
from .._states import RunStatus

T = TypeVar("T")
_PRINTABLE = r"[^\u0000-\u001f\u007f-\u009f]"
"""A character ``_wire`` accepts in names and ids: no control characters."""
_VISIBLE = r"[^\s\u0000-\u001f\u007f-\u009f]"
"""A printable character that is not white space: a name needs one."""

InngestStatus = Literal["Queued", "Running", "Completed", "Failed", "Cancelled"]
EngineState = Literal[
    "queued", "running", "sleeping", "waiting", "completed", "failed", "cancelled"
]

INNGEST_STATUS: dict[str, InngestStatus] = {
    RunStatus.QUEUED: "Queued",
    RunStatus.RUNNING: "Running",
    RunStatus.SLEEPING: "Running",
    RunStatus.WAITING: "Running",
    RunStatus.COMPLETED: "Completed",
    RunStatus.FAILED: "Failed",
    RunStatus.CANCELLED: "Cancelled",
}


def _ts_schema(schema: dict[str, Any]) -> None:
    """``ts`` as ingestion checks it. The one-year horizon is taken when the document is made,
    which is never later than a request checked against it, so the document never promises a
    ``ts`` the API refuses."""
    horizon = int(time.time() * 1000) + int(MAX_DURATION.total_seconds() * 1000)
    schema.clear()
    schema["anyOf"] = [
        {"const": 0},
        {"type": "integer", "minimum": MIN_TS, "maximum": min(MAX_TS, horizon)},
        {"type": "null"},
    ]


class EventIn(BaseModel):
    """An event as ``POST /e/{event_key}`` accepts it (unknown fields are ignored)."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(
        min_length=1,
        max_length=256,
        examples=["app/user.created"],
        # Printable, not blank, and not under the reserved prefix (as ``_wire`` checks).
        json_schema_extra={"pattern": rf"^(?!stepstream/){_PRINTABLE}*{_VISIBLE}{_PRINTABLE}*$"},
    )
    """Event name; ``stepstream/`` is reserved."""
    data: dict[str, Any] | None = None
    """Any JSON object, nested at most 32 levels."""
    id: str | None = Field(
        default=None, max_length=256, json_schema_extra={"pattern": rf"^{_PRINTABLE}*$"}
    )
    """Deduplication id: a second event with this id within 24 hours starts no run."""
    ts: int | None = Field(default=None, json_schema_extra=_ts_schema)
    """When it happened, Unix epoch milliseconds from 1980 to 2100 (as Inngest bounds it) and at
    most a year ahead (a future ``ts`` delays the runs it starts); 0 or absent: when it was
    received."""
    user: dict[str, Any] | None = None
    """Who caused it (Inngest's ``user`` field)."""
    v: str | None = Field(
        default=None, max_length=64, json_schema_extra={"pattern": rf"^{_PRINTABLE}*$"}
    )
    """Schema version (Inngest's field): checked, then not stored."""


class SendResult(BaseModel):
    """The answer to ``POST /e/{event_key}``, as Inngest's event API gives it."""

    ids: list[str]
    """One id per event sent, in order."""
    status: int = 200


class Metadata(BaseModel):
    fetched_at: datetime = Field(default_factory=lambda: datetime.now(UTC))


class Envelope(BaseModel, Generic[T]):
    """Inngest's REST v1 response wrapper."""

    data: T
    metadata: Metadata = Field(default_factory=Metadata)


class StepOut(BaseModel):
    id: str
    """The step id the function gave, with its ``:n`` suffix when repeated."""
    kind: str
    """``run``, ``sleep``, ``wait_for_event``, ``send_event``, ``invoke``, ``publish`` ..."""
    status: str
    """``completed``, ``failed``, ``running`` (being retried), ``sleeping`` or ``waiting``."""
    attempt: int = 0
    started_at: datetime | None = None
    ended_at: datetime | None = None
    duration_ms: int | None = None
    """``ended_at - started_at`` in milliseconds, when both are known."""
    wake_at: datetime | None = None
    """When a sleeping step (or a wait's timeout) fires."""
    output: Any = None
    error: dict[str, Any] | None = None


class HeldOut(BaseModel):
    """Why flow control holds a queued run back, or why a run never ran."""

    reason: str
    """``concurrency`` (queued behind a full key), ``throttled`` (starts at ``until``),
    ``rate_limited`` or ``singleton`` (skipped: the run is ``cancelled`` and ran nothing),
    ``start_timeout`` or ``finish_timeout`` (cancelled by its ``timeouts``)."""
    label: str = ""
    """The limit in words, e.g. ``limit 2 event.data.user = 'u1'``."""
    key: str | None = None
    """The concurrency counter the run waits for."""
    since: datetime | None = None
    until: datetime | None = None


class CostOut(BaseModel):
    """What the run has cost on AWS so far, counted as its invocations made their requests
    (docs/execution-model.md, "Cost ledger"), and a dollar estimate at list prices."""

    units: dict[str, float]
    """Counted units: ``dynamodb_requests``, ``dynamodb_read_units``, ``dynamodb_write_units``,
    ``sqs_requests``, ``sqs_billed_requests`` (64 KB chunks), ``s3_put_requests``,
    ``s3_get_requests``, ``s3_bytes_in``, ``s3_bytes_out``, ``websocket_messages``,
    ``websocket_units`` (32 KB), ``lambda_invocations``, ``lambda_gb_seconds``, and
    ``bedrock_input_tokens#<model>`` / ``bedrock_output_tokens#<model>``; absent means 0."""
    usd: float
    """The estimate in US dollars: the sum of ``lines``."""
    lines: dict[str, float]
    """Dollars by service: ``dynamodb``, ``sqs``, ``s3``, ``websocket``, ``lambda``,
    ``bedrock``."""
    region: str | None = None
    """The region the API runs in (``AWS_REGION``)."""
    region_priced: str
    """The region whose prices were used: ``region``, or ``us-east-1`` when the table has none
    for it (then ``region_fallback`` is true)."""
    region_fallback: bool
    prices_date: str
    """When the price table was copied from AWS's pricing pages (YYYY-MM-DD)."""
    unpriced_models: list[str] = Field(default_factory=list)
    """Models whose tokens are counted but have no price in the table."""


class RunOut(BaseModel):
    run_id: str
    function_id: str
    event_id: str | None = None
    status: InngestStatus
    state: EngineState
    attempt: int = 0
    """The function attempt (0-based) the run is on."""
    parent_run_id: str | None = None
    """The run that started this one with ``step.invoke``."""
    rerun_of: str | None = None
    """The run this one reruns (``POST /v1/runs/{id}/rerun`` or a replay)."""
    created_at: datetime | None = None
    run_started_at: datetime | None = None
    ended_at: datetime | None = None
    output: Any = None
    error: dict[str, Any] | None = None
    held: HeldOut | None = None
    """Why the run is not running (flow control), while that holds."""
    cost: CostOut | None = None
    """The run's AWS cost ledger and its estimate; null until its first invocation ended."""
    steps: list[StepOut] = Field(default_factory=list)


class EventOut(BaseModel):
    id: str
    name: str
    data: dict[str, Any] = Field(default_factory=dict)
    ts: int = 0
    user: dict[str, Any] = Field(default_factory=dict)
    received_at: int | None = None
    """When the API stored it, Unix epoch milliseconds."""


class TriggerOut(BaseModel):
    event: str | None = None
    if_exp: str | None = None
    cron: str | None = None
    tz: str | None = None


class CancelOnOut(BaseModel):
    event: str
    if_exp: str | None = None


class FunctionOut(BaseModel):
    id: str
    triggers: list[TriggerOut]
    retries: int
    cancel_on: list[CancelOnOut] = Field(default_factory=list)
    idempotency: str | None = None
    has_on_failure: bool = False
    flow: dict[str, Any] = Field(default_factory=dict)
    """Flow-control options by name (``concurrency``, ``throttle``, ...), durations in
    seconds; absent options are left out."""


class PendingOut(BaseModel):
    """Events gathered for a debounced or batched function whose run does not exist yet."""

    function_id: str
    kind: Literal["debounce", "batch"]
    key: str | None = None
    """The option's key expression (None: one window for the whole function)."""
    key_value: str
    """The key's value for these events."""
    events: int
    """How many events arrived (a debounce starts its run with the last one)."""
    first_event_at: datetime
    last_event_at: datetime
    last_event_id: str | None = None
    starts_at: datetime
    """When the run starts at the latest: after the debounce's quiet period (or its timeout),
    or at the batch's timeout."""
    max_size: int | None = None
    """A batch starts as soon as it holds this many events."""
    label: str
    """In words: ``debounced until T (last event X)``, ``batch of N events, starts at T or
    at max_size``."""


class KeyUsageOut(BaseModel):
    value: str
    """The concurrency key's value (empty without a key)."""
    running: int
    """Slots held: runs executing steps, or a slot handed to a run being woken."""
    queued: int | None = None
    """Runs in line for the key, counted up to 100."""


class LimitUsageOut(BaseModel):
    limit: int
    key: str | None = None
    scope: str
    keys_read: int
    """Counters read for this view (at most 20, in key order)."""
    busiest: list[KeyUsageOut] = Field(default_factory=list)
    """Keys with slots held among those read, busiest first, at most 5."""


class ThrottleKeyOut(BaseModel):
    value: str
    next_allowed_at: datetime
    """When the next run of this key may start."""


class UsageOut(BaseModel):
    """A function's current use of its flow-control limits, from a bounded number of reads."""

    function_id: str
    concurrency: list[LimitUsageOut] = Field(default_factory=list)
    throttle: list[ThrottleKeyOut] = Field(default_factory=list)
    """Keys whose next run must wait (of at most 20 read), the latest first."""
    pending: list[PendingOut] = Field(default_factory=list)
    """Open debounce or batch windows (at most 20)."""
    reads: int
    """DynamoDB requests this answer made."""
    at: datetime


class Health(BaseModel):
    status: Literal["ok"] = "ok"
