"""Events, waits, cancel records and claims of the in-memory state store, with the same
conditions as the DynamoDB items in ``_state_events.py`` (same sort keys, so the same order and
the same ``events_between`` window)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from ._base import BlobStore, CancelRecord, WaitRecord
from ._dynamo import INLINE_JSON_BYTES


@dataclass(frozen=True)
class _Json:
    """A JSON attribute: inline, or offloaded to the blob store as DynamoDB's are."""

    text: str | None = None
    blob: str | None = None


@dataclass
class _Event:
    """The ``EVT#id`` item: the claim on an event id and its body."""

    received_at: int | None = None
    expires_at: int | None = None
    claimed_until: int | None = None
    done: bool = False
    body: _Json | None = None
    """None for the marker ``finish_event`` leaves on an id that was never claimed."""


class MemoryTables:
    """One lock over every table (records are small, calls are short) and the blob store large
    JSON attributes go to."""

    def __init__(self, blobs: BlobStore) -> None:
        self._blobs = blobs
        self._lock = threading.RLock()

    @property
    def blobs(self) -> BlobStore:
        """Where JSON attributes and step outputs over the inline limit go."""
        return self._blobs

    def _put_json(self, text: str, blob_key: str) -> _Json:
        """Write-once blobs under a fresh key below ``blob_key``, as DynamoState does: a claim
        that then fails leaves an orphan, never an overwritten body."""
        if len(text.encode()) > INLINE_JSON_BYTES:
            blob_key = f"{blob_key}/{uuid.uuid4().hex}"
            self._blobs.put(blob_key, text.encode())
            return _Json(blob=blob_key)
        return _Json(text=text)

    def _get_json(self, cell: _Json | None) -> str | None:
        if cell is None:
            return None
        if cell.text is not None:
            return cell.text
        return self._blobs.get(cell.blob).decode() if cell.blob else None

    def _loads(self, cell: _Json | None) -> Any:
        text = self._get_json(cell)
        return json.loads(text) if text is not None else None


class MemoryEventsAndWaits(MemoryTables):
    """The ingestion side: events by id and by name, waits, cancels and claims."""

    def __init__(self, blobs: BlobStore) -> None:
        super().__init__(blobs)
        self._events: dict[str, _Event] = {}
        self._by_name: dict[str, dict[str, _Json]] = {}
        """``EVTNAME#name``: body by ``received_at#id`` sort key."""
        self._waits: dict[str, dict[str, tuple[WaitRecord, _Json]]] = {}
        self._cancels: dict[str, dict[str, tuple[CancelRecord, _Json]]] = {}
        self._claims: dict[str, tuple[str, int]] = {}

    # --- events -----------------------------------------------------------------------------------
    def claim_event(
        self,
        event: dict[str, Any],
        received_at: int,
        expires_at: int,
        lease_ms: int,
        *,
        takeover: bool = False,
    ) -> int | None:
        event_id = event["id"]
        with self._lock:
            holder = self._events.get(event_id)
            if holder is None or (
                holder.expires_at is not None and holder.expires_at < received_at
            ):
                self._events[event_id] = _Event(
                    received_at=received_at,
                    expires_at=expires_at,
                    claimed_until=received_at + lease_ms,
                    body=self._put_json(json.dumps(event), f"events/{event_id}"),
                )
                return received_at
            if holder.done or holder.claimed_until is None:
                return None
            if holder.claimed_until >= received_at and not takeover:
                return None
            # The first ingestion stopped half way: take it over (the lock makes this the
            # compare-and-set DynamoDB needs a condition for).
            holder.claimed_until = received_at + lease_ms
            return holder.received_at or received_at

    def finish_event(self, event_id: str) -> None:
        with self._lock:
            self._events.setdefault(event_id, _Event()).done = True

    def put_event_by_name(self, event: dict[str, Any], received_at: int) -> None:
        cell = self._put_json(json.dumps(event), f"events/{event['id']}")
        with self._lock:
            self._by_name.setdefault(event["name"], {})[f"{received_at:013d}#{event['id']}"] = cell

    def events_between(self, name: str, since: int, until: int) -> list[dict[str, Any]]:
        low, high = f"{max(0, since):013d}", f"{max(0, until):013d}~"
        with self._lock:
            cells = [
                cell
                for key, cell in sorted(self._by_name.get(name, {}).items())
                if low <= key <= high
            ]
        return [self._loads(cell) for cell in cells]

    def _event_view(self, item: _Event) -> dict[str, Any]:
        event: dict[str, Any] = self._loads(item.body)
        event["received_at"] = item.received_at
        return event

    def get_event(self, event_id: str) -> dict[str, Any] | None:
        with self._lock:
            item = self._events.get(event_id)
            return self._event_view(item) if item is not None and item.body else None

    def recent_events(self, limit: int) -> list[dict[str, Any]]:
        with self._lock:
            listed = sorted(
                (
                    (f"{item.received_at or 0:013d}#{event_id}", item)
                    for event_id, item in self._events.items()
                    if item.body is not None
                ),
                key=lambda pair: pair[0],
                reverse=True,
            )
            # DynamoDB is asked for max(1, limit) items, so a limit of 0 still yields one.
            return [self._event_view(item) for _, item in listed[: max(1, limit)]]

    # --- waits, cancels, claims ------------------------------------------------------------------
    def _put_wait(self, wait: WaitRecord) -> None:
        """Called with the lock held (a checkpoint puts its wait in the same transaction)."""
        stored = WaitRecord(
            event_name=wait.event_name,
            run_id=wait.run_id,
            step_hash=wait.step_hash,
            step_id=wait.step_id,
            expression=wait.expression or None,
            trigger={},
            expires_at=float(wait.expires_at),
            reached_at=int(wait.reached_at),
        )
        trigger = self._put_json(json.dumps(wait.trigger), f"runs/{wait.run_id}/event")
        waits = self._waits.setdefault(wait.event_name, {})
        waits[f"{wait.run_id}#{wait.step_hash}"] = (stored, trigger)

    def waits_for(self, event_name: str) -> list[WaitRecord]:
        with self._lock:
            found = sorted(self._waits.get(event_name, {}).items())
            return [
                replace(wait, trigger=self._loads(trigger) or {}) for _, (wait, trigger) in found
            ]

    def delete_wait(self, wait: WaitRecord) -> None:
        with self._lock:
            self._waits.get(wait.event_name, {}).pop(f"{wait.run_id}#{wait.step_hash}", None)

    def put_cancels(self, cancels: Sequence[CancelRecord]) -> None:
        with self._lock:
            for cancel in cancels:
                stored = CancelRecord(
                    event_name=cancel.event_name,
                    run_id=cancel.run_id,
                    index=int(cancel.index),
                    expression=cancel.expression or None,
                    trigger={},
                    expires_at=float(cancel.expires_at),
                )
                trigger = self._put_json(json.dumps(cancel.trigger), f"runs/{cancel.run_id}/event")
                entries = self._cancels.setdefault(cancel.event_name, {})
                entries[f"{cancel.run_id}#{cancel.index}"] = (stored, trigger)

    def cancels_for(self, event_name: str) -> list[CancelRecord]:
        with self._lock:
            found = sorted(self._cancels.get(event_name, {}).items())
            return [
                replace(cancel, trigger=self._loads(trigger) or {})
                for _, (cancel, trigger) in found
            ]

    def claim_key(self, key: str, value: str, expires_at: int, now: int) -> bool:
        with self._lock:
            holder = self._claims.get(key)
            if holder is None or holder[1] < now:
                self._claims[key] = (value, expires_at)
                return True
            return holder[0] == value
