"""Bulk-operation records, pauses and held runs of the in-memory state store, with the same
shapes as ``_state_ops.py``'s items. (Listing runs and copying steps live with the runs in
``_memory_state.py``.)"""

from __future__ import annotations

import json

from ._base import BlobStore, OperationRecord
from ._memory_events import MemoryTables


class MemoryRunOperations(MemoryTables):
    def __init__(self, blobs: BlobStore) -> None:
        super().__init__(blobs)
        self._operations: dict[str, str] = {}
        """``OP#id`` items, as JSON (a read returns a copy, as from DynamoDB)."""
        self._pauses: dict[str, str] = {}
        self._holds: dict[str, dict[str, None]] = {}

    def put_operation(self, op: OperationRecord) -> None:
        with self._lock:
            self._operations[op.op_id] = json.dumps(
                [op.kind, op.created_at, op.request, op.run_ids]
            )

    def get_operation(self, op_id: str) -> OperationRecord | None:
        with self._lock:
            text = self._operations.get(op_id)
        if text is None:
            return None
        kind, created_at, request, run_ids = json.loads(text)
        return OperationRecord(op_id, kind, created_at, request, run_ids)

    def set_pause(self, function_id: str, mode: str | None) -> None:
        with self._lock:
            pauses = self._pauses
            if mode is None:
                pauses.pop(function_id, None)
            else:
                pauses[function_id] = mode

    def pauses(self) -> dict[str, str]:
        with self._lock:
            return dict(self._pauses)

    def hold_run(self, function_id: str, run_id: str) -> None:
        with self._lock:
            self._holds.setdefault(function_id, {})[run_id] = None

    def held_runs(self, function_id: str) -> list[str]:
        with self._lock:
            return sorted(self._holds.get(function_id, {}))

    def release_held(self, function_id: str, run_id: str) -> None:
        with self._lock:
            self._holds.get(function_id, {}).pop(run_id, None)
