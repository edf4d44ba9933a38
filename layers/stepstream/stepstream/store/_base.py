"""The engine's store interface and the records it keeps. Adapters implement it with boto3."""

from __future__ import annotations

import abc
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._states import ACTIVE, FINAL_STEP, TERMINAL, RunStatus

__all__ = ["ACTIVE", "FINAL_STEP", "TERMINAL"]


@dataclass
class RunRecord:
    """One execution of a function for one event."""

    run_id: str
    function_id: str
    event: dict[str, Any]
    event_id: str = ""
    status: str = RunStatus.QUEUED
    attempt: int = 0
    created_at: int = 0
    started_at: int | None = None
    ended_at: int | None = None
    output_json: str | None = None
    output_type: str | None = None
    error: dict[str, Any] | None = None
    parent_run_id: str | None = None
    parent_step_hash: str | None = None
    parent_step_id: str | None = None
    lease_owner: str | None = None
    lease_until: int | None = None
    channels: list[str] = field(default_factory=list)
    rerun_of: str | None = None
    """The run this one reruns (``POST /v1/runs/{id}/rerun``, a replay)."""
    """Realtime channels the run has published to, so later invocations can send run frames."""
    flow: dict[str, Any] | None = None
    """Why flow control holds the run back (``reason``: concurrency, throttled, ...), as the
    last parking of the run left it; meaningful while the run is queued."""
    cost: dict[str, float] = field(default_factory=dict)
    """The run's cost ledger so far: AWS units by name (``stepstream.cost.UNITS``)."""


@dataclass
class StepRecord:
    """The stored outcome (or pending state) of one step of a run."""

    hash: str
    id: str
    kind: str
    status: str
    output_json: str | None = None
    output_type: str | None = None
    blob_key: str | None = None
    error: dict[str, Any] | None = None
    attempt: int = 0
    started_at: int | None = None
    ended_at: int | None = None
    wake_at: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def final(self) -> bool:
        return self.status in FINAL_STEP


@dataclass
class WaitRecord:
    """A run waiting for an event named ``event_name``."""

    event_name: str
    run_id: str
    step_hash: str
    step_id: str
    expression: str | None
    trigger: dict[str, Any]
    expires_at: float
    reached_at: int = 0
    """When the run reached the wait (ms); events received before it do not resume it."""


@dataclass
class CancelRecord:
    """A run that an event named ``event_name`` matching ``expression`` cancels."""

    event_name: str
    run_id: str
    index: int
    expression: str | None
    trigger: dict[str, Any]
    expires_at: float


@dataclass
class OperationRecord:
    """A bulk operation on runs (a replay or a cancellation): its request and the runs it
    started or cancelled."""

    op_id: str
    kind: str
    """``replay`` or ``cancellation``."""
    created_at: int
    request: dict[str, Any]
    run_ids: list[str] = field(default_factory=list)


class CheckpointRejected(Exception):
    """A checkpoint transaction was cancelled. ``reason`` is ``step_exists`` (``existing`` holds
    the stored record), ``cancelled`` (the run is cancelled or gone) or ``lease_lost`` (another
    executor holds the run, or took it and let go of it)."""

    def __init__(self, reason: str, existing: StepRecord | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.existing = existing


@dataclass(frozen=True)
class SlotLimit:
    """A concurrency slot counter (``key``, e.g. ``CONC#fn#<function id>#<value>``) and its
    limit."""

    key: str
    limit: int
    listing: str | None = None
    """Where the counter is listed for the usage view (GSI1 ``gsi1pk``; ``listed_counters``)."""


@dataclass(frozen=True)
class SlotCounter:
    """A slot counter as read: its holders' run ids with their lease ends (ms), and when its
    line's watch message is due (ms), if one is armed."""

    holders: dict[str, int]
    watch: int | None = None


@dataclass
class Gather:
    """Events gathered for one run under a debounce or batch key: ``event_ids`` (all of them
    for a batch, the last one for a debounce), when the first and last arrived (ms), how many
    arrived (``seq``) and whether a flush has ``sealed`` it against further events."""

    gather_id: str
    event_ids: list[str]
    first_at: int
    last_at: int
    seq: int
    sealed: bool = False


class FlowStore(abc.ABC):
    """Flow control's items: concurrency slot counters and their queues of waiting runs, and
    the reason a run is held back (``store/_flow_state.py``)."""

    @abc.abstractmethod
    def acquire_slots(
        self, run_id: str, limits: Sequence[SlotLimit], lease_until: int
    ) -> str | None:
        """Take a slot of every counter for ``run_id`` until ``lease_until``, all or none: one
        conditional UpdateItem per counter (``ADD holders :run``, on ``contains(holders, :run)
        OR size(holders) < :limit``), in one TransactWriteItems when there are two. A run that
        holds a slot already takes it again (a redelivery after its executor died). Returns
        None when taken, else the key of the counter that is full."""

    @abc.abstractmethod
    def release_slots(self, run_id: str, keys: Sequence[str]) -> None:
        """UpdateItem per counter: ``DELETE holders :run`` and drop its lease."""

    @abc.abstractmethod
    def slot_holders(self, key: str) -> dict[str, int]:
        """Consistent GetItem of a counter: its holders' run ids and lease ends (ms)."""

    @abc.abstractmethod
    def slot_counter(self, key: str) -> SlotCounter:
        """Consistent GetItem of a counter: its holders and its line's watch."""

    @abc.abstractmethod
    def replace_watch(self, key: str, expected: int | None, due: int | None) -> bool:
        """Conditional UpdateItem of a counter's line watch (when its watch message is due, ms):
        set it to ``due`` (or remove it, ``None``) if it is ``expected`` (``None``: if none is
        armed). False if another watch was armed or cleared meanwhile."""

    @abc.abstractmethod
    def reap_slot(self, key: str, run_id: str, lease_until: int) -> bool:
        """Conditional UpdateItem: drop the holder ``run_id`` if its lease still ends at
        ``lease_until`` (its executor died and nobody took the slot again). True if dropped."""

    @abc.abstractmethod
    def hand_slot(
        self,
        key: str,
        run_id: str,
        lease_until: int,
        to_run: str,
        to_until: int,
        handed: Callable[[str], None] | None = None,
    ) -> bool:
        """Give ``run_id``'s slot (held under ``lease_until``) to ``to_run``, reserved for it
        until ``to_until``, so no other run can take it in between. Two conditional
        UpdateItems: add ``to_run`` if ``run_id``'s lease is still ``lease_until`` (the counter
        then holds one run over its limit, which only makes arrivals wait), then drop
        ``run_id`` as ``reap_slot`` does; ``handed(to_run)`` is called in between, as soon as
        the slot is ``to_run``'s (to wake it without waiting for the second write). False
        (nothing changed) if the lease was lost or ``to_run`` holds a slot already (its lease
        is never overwritten)."""

    @abc.abstractmethod
    def reserve_slot(self, limit: SlotLimit, run_id: str, until: int) -> bool:
        """Conditional UpdateItem: make ``run_id`` a holder until ``until`` if the counter has
        room and ``run_id`` holds no slot yet (a slot taken for a woken run)."""

    @abc.abstractmethod
    def put_waiter(self, key: str, sort: str, run_id: str) -> None:
        """PutItem ``CQ#<key> / <sort>``: ``run_id`` waits for a slot of ``key``."""

    @abc.abstractmethod
    def first_waiters(self, key: str, limit: int) -> list[tuple[str, str]]:
        """Consistent Query of ``CQ#<key>``, first ``limit`` by sort key: (sort, run_id)."""

    @abc.abstractmethod
    def delete_waiter(self, key: str, sort: str) -> None:
        """DeleteItem ``CQ#<key> / <sort>``."""

    @abc.abstractmethod
    def get_claim(self, key: str) -> tuple[str, int] | None:
        """Consistent GetItem of a claim item (``claim_key``'s): its value and expiry."""

    @abc.abstractmethod
    def replace_claim(
        self,
        key: str,
        expected: str | None,
        value: str,
        expires_at: int,
        *,
        listing: str | None = None,
    ) -> bool:
        """PutItem of a claim item on ``attribute_not_exists(pk)`` (``expected`` None) or on
        its value still being ``expected``: a compare-and-set. True if written. With
        ``listing``, the item is listed under it (``listed_claims``)."""

    @abc.abstractmethod
    def gather_event(
        self,
        key: str,
        event_id: str,
        now: int,
        new_gather_id: str,
        *,
        max_size: int | None = None,
        keep_all: bool = True,
        listing: str | None = None,
    ) -> Gather | None:
        """One UpdateItem on ``key`` / ``GATHER`` (listed under ``listing``, the same write):
        add ``event_id`` (append it, or with ``keep_all=False`` replace the last one), count
        it, and start the gather with ``new_gather_id`` and ``first_at = now`` if none is
        open; on ``attribute_not_exists(sealed)`` and, with ``max_size``, fewer ids than that.
        Returns the gather after it, or None if it was sealed or full."""

    @abc.abstractmethod
    def get_gather(self, key: str) -> Gather | None:
        """Consistent GetItem of the open gather on ``key``."""

    @abc.abstractmethod
    def seal_gather(self, key: str, gather_id: str, seq: int | None = None) -> Gather | None:
        """UpdateItem ``SET sealed`` if the gather is still ``gather_id`` (and, given ``seq``,
        has counted exactly that many events): nothing can join it any more. Returns it, or
        None if the condition failed."""

    @abc.abstractmethod
    def close_gather(self, key: str, gather_id: str, seq: int | None = None) -> bool:
        """DeleteItem if the gather is still ``gather_id`` (and, given ``seq``, has counted
        exactly that many events); a later gather, or a later event, is left alone. True if
        deleted."""

    @abc.abstractmethod
    def listed_counters(self, listing: str, limit: int) -> list[tuple[str, dict[str, int]]]:
        """Query GSI1 ``listing``, at most ``limit`` items: slot counters (key, holders with
        their lease ends), in key order. Eventually consistent: for people, not decisions."""

    @abc.abstractmethod
    def listed_claims(self, listing: str, limit: int) -> list[tuple[str, str, int]]:
        """Query GSI1 ``listing``, at most ``limit`` items: claim items (key, value, expiry)."""

    @abc.abstractmethod
    def listed_gathers(self, listing: str, limit: int) -> list[tuple[str, Gather]]:
        """Query GSI1 ``listing``, at most ``limit`` items: the open gathers (key, gather)."""

    @abc.abstractmethod
    def count_waiters(self, key: str, cap: int) -> int:
        """Query ``CQ#<key>`` with ``Select=COUNT``, reading at most ``cap`` entries: how many
        runs are in line (``cap`` means at least that many)."""

    @abc.abstractmethod
    def park_run(self, run_id: str, owner: str, reason: dict[str, Any]) -> bool:
        """UpdateItem: back to ``queued`` with ``flow = reason`` and no lease, if the run is
        running and leased by ``owner``. False if the condition failed."""


class StateStore(FlowStore):
    """Runs, steps, events, waits and claims. Every method is one or two requests; the docstring
    names the DynamoDB request so the cost model in docs/architecture.md stays checkable."""

    # --- runs ---
    @abc.abstractmethod
    def create_run(self, run: RunRecord) -> bool:
        """PutItem if absent (run ids of derived runs are deterministic). True if created."""

    @abc.abstractmethod
    def link_event_run(self, event_id: str, run: RunRecord) -> None:
        """PutItem ``EVT#id / RUN#run_id``."""

    @abc.abstractmethod
    def claim_run(self, run_id: str, owner: str, lease_until: int, now: int) -> RunRecord | None:
        """One conditional UpdateItem: set running and the lease if the run is active and the
        lease is free, expired or ours. Returns the run, or None if refused."""

    @abc.abstractmethod
    def get_run(self, run_id: str) -> RunRecord | None:
        """Consistent GetItem."""

    @abc.abstractmethod
    def load_steps(self, run_id: str) -> list[StepRecord]:
        """Query ``pk=RUN#id, sk begins_with STEP#`` (paged)."""

    @abc.abstractmethod
    def load_run(self, run_id: str) -> tuple[RunRecord | None, list[StepRecord]]:
        """Query ``pk=RUN#id``: the run and its steps in one request (paged)."""

    @abc.abstractmethod
    def checkpoint(
        self,
        run_id: str,
        owner: str,
        step: StepRecord,
        *,
        replace: Sequence[str] = (),
        wait: WaitRecord | None = None,
    ) -> None:
        """One TransactWriteItems: put the step if absent (or if its stored status is in
        ``replace``), check the run is running and leased by ``owner``, and put ``wait``.
        Raises ``CheckpointRejected``."""

    @abc.abstractmethod
    def resolve_step(
        self, run_id: str, step: StepRecord, *, expect: Sequence[str], allow_missing: bool = False
    ) -> bool:
        """Conditional PutItem of a final record over a pending one (status in ``expect``).
        True if this call won."""

    @abc.abstractmethod
    def load_step_output(self, step: StepRecord) -> str | None:
        """The output JSON of a step, fetched from the blob store if it was offloaded."""

    @abc.abstractmethod
    def release(
        self,
        run_id: str,
        owner: str,
        status: str,
        *,
        attempt: int | None = None,
        output_json: str | None = None,
        output_type: str | None = None,
        error: dict[str, Any] | None = None,
        now: int = 0,
        channels: Sequence[str] | None = None,
    ) -> bool:
        """UpdateItem: set ``status`` (and output/error/ended_at when terminal, and the run's
        realtime ``channels`` when given) and drop the lease, if we still hold it and the run is
        running. False if the condition failed."""

    @abc.abstractmethod
    def add_cost(
        self, run_id: str, counts: Mapping[str, float], *, total: bool = False
    ) -> dict[str, float] | None:
        """UpdateItem ``ADD`` each count to the run's ``cost#<unit>`` attribute, if the run
        exists: the executor's one ledger write per invocation. With ``total``, returns the
        run's whole ledger after the write (``ReturnValues``, no read)."""

    @abc.abstractmethod
    def cancel_run(self, run_id: str, now: int, reason: dict[str, Any] | None = None) -> bool:
        """Conditional UpdateItem to ``cancelled`` from an active status, with ``flow = reason``
        when given (why flow control ended it). True if it changed."""

    @abc.abstractmethod
    def recent_runs(self, limit: int, function_id: str | None) -> list[RunRecord]:
        """Query GSI1 ``RUNS``, newest first."""

    @abc.abstractmethod
    def runs_for_event(self, event_id: str) -> list[str]:
        """Query ``pk=EVT#id, sk begins_with RUN#``."""

    # --- events ---
    @abc.abstractmethod
    def claim_event(
        self,
        event: dict[str, Any],
        received_at: int,
        expires_at: int,
        lease_ms: int,
        *,
        takeover: bool = False,
    ) -> int | None:
        """Claim an event id for processing: a conditional PutItem ``attribute_not_exists(pk)
        OR expires_at < now``, or the takeover (compare-and-set UpdateItem) of a claim whose
        processing never finished within ``lease_ms`` (or at once with ``takeover``: the caller
        knows the first ingestion died). Returns the ``received_at`` to process it under (the
        original one on a takeover), or None for a duplicate."""

    @abc.abstractmethod
    def finish_event(self, event_id: str) -> None:
        """UpdateItem: the event's effects are all applied; duplicates are now plain duplicates."""

    @abc.abstractmethod
    def put_event_by_name(self, event: dict[str, Any], received_at: int) -> None:
        """PutItem ``EVTNAME#name / received_at#id``."""

    @abc.abstractmethod
    def events_between(self, name: str, since: int, until: int) -> list[dict[str, Any]]:
        """Consistent Query of ``EVTNAME#name`` received in ``[since, until]`` (ms)."""

    @abc.abstractmethod
    def get_event(self, event_id: str) -> dict[str, Any] | None:
        """GetItem ``EVT#id``."""

    @abc.abstractmethod
    def recent_events(self, limit: int) -> list[dict[str, Any]]:
        """Query GSI1 ``EVENTS``, newest first."""

    # --- waits, cancels, claims ---
    @abc.abstractmethod
    def waits_for(self, event_name: str) -> list[WaitRecord]:
        """Consistent Query ``WAIT#name``."""

    @abc.abstractmethod
    def delete_wait(self, wait: WaitRecord) -> None:
        """DeleteItem; best effort cleanup after a wait resolved."""

    @abc.abstractmethod
    def put_cancels(self, cancels: Sequence[CancelRecord]) -> None:
        """PutItem per entry (a run has few)."""

    @abc.abstractmethod
    def cancels_for(self, event_name: str) -> list[CancelRecord]:
        """Consistent Query ``CANCEL#name``."""

    # --- operating runs: reruns, bulk operations, pauses ---
    @abc.abstractmethod
    def runs_between(self, function_id: str, since: int, until: int) -> list[RunRecord]:
        """Query GSI1 ``RUNS`` with ``gsi1sk`` between the two creation times (ms, inclusive),
        filtered to ``function_id``; oldest first (paged)."""

    @abc.abstractmethod
    def copy_steps(self, from_run: str, to_run: str, hashes: Sequence[str]) -> None:
        """Query ``pk=RUN#from_run`` steps, then PutItem if absent of each one in ``hashes``
        under ``RUN#to_run`` (offloaded outputs keep pointing at their immutable blobs)."""

    @abc.abstractmethod
    def put_operation(self, op: OperationRecord) -> None:
        """PutItem ``OP#id``."""

    @abc.abstractmethod
    def get_operation(self, op_id: str) -> OperationRecord | None:
        """GetItem ``OP#id``."""

    @abc.abstractmethod
    def set_pause(self, function_id: str, mode: str | None) -> None:
        """UpdateItem of the one ``PAUSES`` item: set ``function_id``'s pause mode, or remove
        it when ``mode`` is None."""

    @abc.abstractmethod
    def pauses(self) -> dict[str, str]:
        """Consistent GetItem ``PAUSES``: the pause mode of every paused function."""

    @abc.abstractmethod
    def hold_run(self, function_id: str, run_id: str) -> None:
        """PutItem ``HOLD#function_id / run_id``: a run kept until its function resumes."""

    @abc.abstractmethod
    def held_runs(self, function_id: str) -> list[str]:
        """Consistent Query ``HOLD#function_id``, oldest run id first (paged)."""

    @abc.abstractmethod
    def release_held(self, function_id: str, run_id: str) -> None:
        """DeleteItem ``HOLD#function_id / run_id``."""

    @abc.abstractmethod
    def claim_key(self, key: str, value: str, expires_at: int, now: int) -> bool:
        """Conditional PutItem ``attribute_not_exists(pk) OR expires_at < now`` on ``key``. True
        if the claim is ours: newly taken, or already held with the same ``value`` (a retry)."""


class BlobStore(abc.ABC):
    """Large payloads by key."""

    @abc.abstractmethod
    def put(self, key: str, body: bytes) -> None: ...

    @abc.abstractmethod
    def get(self, key: str) -> bytes: ...


class Queue(abc.ABC):
    """The executor queue."""

    @abc.abstractmethod
    def send(self, body: dict[str, Any], delay_seconds: int = 0) -> None: ...
