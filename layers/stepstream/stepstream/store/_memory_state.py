"""The engine's state in memory: ``StateStore`` with exactly the DynamoDB store's conditions,
for the engine's semantic tests and a dev stack without AWS. Runs and steps here; events, waits
and claims in ``_memory_events.py``. Every record goes in and out as a copy, the way items go
through DynamoDB, so a caller that mutates a returned record changes nothing stored."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._base import (
    ACTIVE,
    TERMINAL,
    BlobStore,
    CheckpointRejected,
    RunRecord,
    StateStore,
    StepRecord,
    WaitRecord,
)
from ._memory_blobs import MemoryBlobs
from ._memory_events import MemoryEventsAndWaits, _Json
from ._memory_flow import MemoryFlowItems
from ._memory_ops import MemoryRunOperations


def _json_copy(value: Any) -> Any:
    return json.loads(json.dumps(value)) if value is not None else None


@dataclass
class _Run:
    """The ``RUN`` item: the record without its JSON attributes, which live in cells."""

    record: RunRecord
    event: _Json
    output: _Json | None = None


class MemoryState(MemoryFlowItems, MemoryRunOperations, MemoryEventsAndWaits, StateStore):
    def __init__(self, blobs: BlobStore | None = None) -> None:
        super().__init__(blobs if blobs is not None else MemoryBlobs())
        self._runs: dict[str, _Run] = {}
        self._steps: dict[str, dict[str, StepRecord]] = {}
        """``RUN#id / STEP#hash`` items, as stored (an offloaded output has ``output_json`` None).
        Like the DynamoDB items they do not need their run to exist."""
        self._event_runs: dict[str, dict[str, str]] = {}
        """``EVT#id / RUN#run_id``: function id by run id."""

    # --- runs -------------------------------------------------------------------------------------
    def _run_view(self, item: _Run) -> RunRecord:
        run = item.record
        return RunRecord(
            run_id=run.run_id,
            function_id=run.function_id,
            event=self._loads(item.event) or {},
            event_id=run.event_id,
            status=run.status,
            attempt=run.attempt,
            created_at=run.created_at,
            started_at=run.started_at,
            ended_at=run.ended_at,
            output_json=self._get_json(item.output),
            output_type=run.output_type,
            error=_json_copy(run.error),
            parent_run_id=run.parent_run_id,
            parent_step_hash=run.parent_step_hash,
            parent_step_id=run.parent_step_id,
            lease_owner=run.lease_owner,
            lease_until=run.lease_until,
            channels=list(run.channels),
            flow=_json_copy(run.flow),
            rerun_of=run.rerun_of,
            cost=dict(run.cost),
        )

    def create_run(self, run: RunRecord) -> bool:
        # Only what DynamoState's PutItem writes is kept: lease, output and times come later.
        parent = bool(run.parent_run_id and run.parent_step_hash)
        record = RunRecord(
            run_id=run.run_id,
            function_id=run.function_id,
            event={},
            event_id=run.event_id,
            status=str(run.status),
            attempt=int(run.attempt),
            created_at=int(run.created_at),
            parent_run_id=run.parent_run_id if parent else None,
            parent_step_hash=run.parent_step_hash if parent else None,
            parent_step_id=(run.parent_step_id or "") if parent else None,
            flow=_json_copy(run.flow),
            rerun_of=run.rerun_of or None,
        )
        with self._lock:
            if run.run_id in self._runs:
                return False
            event = self._put_json(json.dumps(run.event), f"runs/{run.run_id}/event")
            self._runs[run.run_id] = _Run(record, event)
            return True

    def link_event_run(self, event_id: str, run: RunRecord) -> None:
        with self._lock:
            self._event_runs.setdefault(event_id, {})[run.run_id] = run.function_id

    def claim_run(self, run_id: str, owner: str, lease_until: int, now: int) -> RunRecord | None:
        with self._lock:
            item = self._runs.get(run_id)
            if item is None:
                return None
            run = item.record
            lease_free = run.lease_owner is None or (run.lease_until or 0) < now
            if run.status not in ACTIVE or not (lease_free or run.lease_owner == owner):
                return None
            run.status = "running"
            run.lease_owner, run.lease_until = owner, int(lease_until)
            if run.started_at is None:
                run.started_at = int(now)
            return self._run_view(item)

    def get_run(self, run_id: str) -> RunRecord | None:
        with self._lock:
            item = self._runs.get(run_id)
            return self._run_view(item) if item is not None else None

    def load_steps(self, run_id: str) -> list[StepRecord]:
        with self._lock:
            return [_step_copy(step) for _, step in sorted(self._steps.get(run_id, {}).items())]

    def load_run(self, run_id: str) -> tuple[RunRecord | None, list[StepRecord]]:
        with self._lock:
            item = self._runs.get(run_id)
            run = self._run_view(item) if item is not None else None
            return run, self.load_steps(run_id)

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
        with self._lock:
            item = self._runs.get(run_id)
            if item is None:
                return False
            run = item.record
            if run.status != "running" or run.lease_owner is None or run.lease_owner != owner:
                return False
            run.status = str(status)
            if attempt is not None:
                run.attempt = int(attempt)
            if status in TERMINAL:
                run.ended_at = int(now)
            if output_json is not None:
                item.output = self._put_json(output_json, f"runs/{run_id}/output")
            if output_type:
                run.output_type = output_type
            if error is not None:
                run.error = _json_copy(error)
            if channels is not None:
                run.channels = sorted(channels)
            run.lease_owner = run.lease_until = None
            return True

    def add_cost(
        self, run_id: str, counts: Mapping[str, float], *, total: bool = False
    ) -> dict[str, float] | None:
        with self._lock:
            item = self._runs.get(run_id)
            if item is None:
                return None
            for unit, amount in counts.items():
                if amount:
                    item.record.cost[unit] = item.record.cost.get(unit, 0) + float(amount)
            return dict(item.record.cost) if total else None

    def cancel_run(self, run_id: str, now: int, reason: dict[str, Any] | None = None) -> bool:
        with self._lock:
            item = self._runs.get(run_id)
            if item is None or item.record.status not in ACTIVE:
                return False
            item.record.status = "cancelled"
            item.record.ended_at = int(now)
            if reason is not None:
                item.record.flow = dict(reason)
            return True

    def recent_runs(self, limit: int, function_id: str | None) -> list[RunRecord]:
        with self._lock:
            listed = sorted(
                self._runs.values(),
                key=lambda item: f"{item.record.created_at:013d}#{item.record.run_id}",
                reverse=True,
            )
            matching = [i for i in listed if not function_id or i.record.function_id == function_id]
            # DynamoDB is asked for max(1, limit) items, so a limit of 0 still yields one.
            return [self._run_view(item) for item in matching[: max(1, limit)]]

    def runs_between(self, function_id: str, since: int, until: int) -> list[RunRecord]:
        with self._lock:
            found = sorted(
                (item for item in self._runs.values() if item.record.function_id == function_id),
                key=lambda item: f"{item.record.created_at:013d}#{item.record.run_id}",
            )
            return [
                self._run_view(item)
                for item in found
                if max(0, since) <= item.record.created_at <= until
            ]

    def copy_steps(self, from_run: str, to_run: str, hashes: Sequence[str]) -> None:
        with self._lock:
            source = self._steps.get(from_run, {})
            target = self._steps.setdefault(to_run, {})
            for hash_ in hashes:
                if hash_ in source and hash_ not in target:
                    target[hash_] = _step_copy(source[hash_])

    def runs_for_event(self, event_id: str) -> list[str]:
        with self._lock:
            return sorted(self._event_runs.get(event_id, {}))

    # --- steps ------------------------------------------------------------------------------------
    def _stored_step(self, step: StepRecord) -> StepRecord:
        """The step as DynamoState's item keeps it; an output with a ``blob_key`` goes to the
        blob store and only the key stays."""
        stored = _step_copy(step)
        if step.output_json is None:
            stored.blob_key = None
        elif step.blob_key:
            self._blobs.put(step.blob_key, step.output_json.encode())
            stored.output_json = None
        stored.output_type = step.output_type or None
        return stored

    def load_step_output(self, step: StepRecord) -> str | None:
        if step.output_json is None and step.blob_key:
            step.output_json = self._blobs.get(step.blob_key).decode()
        return step.output_json

    def checkpoint(
        self,
        run_id: str,
        owner: str,
        step: StepRecord,
        *,
        replace: Sequence[str] = (),
        wait: WaitRecord | None = None,
    ) -> None:
        stored = self._stored_step(step)
        with self._lock:
            item = self._runs.get(run_id)
            existing = self._steps.get(run_id, {}).get(step.hash)
            # The same precedence as DynamoState's reading of the cancellation reasons: a
            # stored step wins over the run's state.
            if existing is not None and existing.status not in replace:
                raise CheckpointRejected("step_exists", _step_copy(existing))
            if item is None or item.record.status == "cancelled":
                raise CheckpointRejected("cancelled")
            if item.record.status != "running" or item.record.lease_owner != owner:
                raise CheckpointRejected("lease_lost")
            self._steps.setdefault(run_id, {})[step.hash] = stored
            if wait is not None:
                self._put_wait(wait)

    def resolve_step(
        self, run_id: str, step: StepRecord, *, expect: Sequence[str], allow_missing: bool = False
    ) -> bool:
        stored = self._stored_step(step)
        with self._lock:
            steps = self._steps.setdefault(run_id, {})
            existing = steps.get(step.hash)
            if existing is None and not allow_missing:
                return False
            if existing is not None and existing.status not in expect:
                return False
            steps[step.hash] = stored
            return True


def _step_copy(step: StepRecord) -> StepRecord:
    return StepRecord(
        hash=step.hash,
        id=step.id,
        kind=step.kind,
        status=str(step.status),
        output_json=step.output_json,
        output_type=step.output_type,
        blob_key=step.blob_key,
        error=_json_copy(step.error),
        attempt=int(step.attempt),
        started_at=int(step.started_at) if step.started_at is not None else None,
        ended_at=int(step.ended_at) if step.ended_at is not None else None,
        wake_at=float(step.wake_at) if step.wake_at is not None else None,
        detail=_json_copy(step.detail) or {},
    )
