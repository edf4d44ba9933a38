"""Flow control's items in memory, with the same conditions as ``_flow_state.py``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from .._states import RunStatus
from ._base import BlobStore, Gather, SlotCounter, SlotLimit
from ._memory_events import MemoryTables


class MemoryFlowItems(MemoryTables):
    """``FlowStore`` in memory: counters as dicts of holder → lease end, waiter queues as
    sorted dicts."""

    _runs: dict[str, Any]
    """``MemoryState``'s run items (the flow reason is set on the stored record)."""

    _claims: dict[str, tuple[str, int]]
    """``MemoryEventsAndWaits``' claim items: value and expiry by key."""

    def __init__(self, blobs: BlobStore) -> None:
        super().__init__(blobs)
        self._slots: dict[str, dict[str, int]] = {}
        self._waiters: dict[str, dict[str, str]] = {}
        self._watches: dict[str, int] = {}
        self._gathers: dict[str, Gather] = {}
        self._listings: dict[str, set[str]] = {}
        """GSI1 in memory: the keys listed under each ``gsi1pk``."""

    def _list(self, listing: str | None, key: str) -> None:
        if listing is not None:
            self._listings.setdefault(listing, set()).add(key)

    def _listed(self, listing: str, limit: int, present: Any) -> list[str]:
        keys = sorted(k for k in self._listings.get(listing, set()) if k in present)
        return keys[:limit]

    def acquire_slots(
        self, run_id: str, limits: Sequence[SlotLimit], lease_until: int
    ) -> str | None:
        with self._lock:
            for limit in limits:
                holders = self._slots.get(limit.key, {})
                if run_id not in holders and len(holders) >= limit.limit:
                    return limit.key
            for limit in limits:
                self._slots.setdefault(limit.key, {})[run_id] = lease_until
                self._list(limit.listing, limit.key)
            return None

    def release_slots(self, run_id: str, keys: Sequence[str]) -> None:
        with self._lock:
            for key in keys:
                self._slots.get(key, {}).pop(run_id, None)

    def slot_holders(self, key: str) -> dict[str, int]:
        with self._lock:
            return dict(self._slots.get(key, {}))

    def slot_counter(self, key: str) -> SlotCounter:
        with self._lock:
            return SlotCounter(dict(self._slots.get(key, {})), self._watches.get(key))

    def replace_watch(self, key: str, expected: int | None, due: int | None) -> bool:
        with self._lock:
            if self._watches.get(key) != expected:
                return False
            if due is None:
                self._watches.pop(key, None)
            else:
                self._watches[key] = due
            return True

    def reap_slot(self, key: str, run_id: str, lease_until: int) -> bool:
        with self._lock:
            holders = self._slots.get(key, {})
            if holders.get(run_id) != lease_until:
                return False
            del holders[run_id]
            return True

    def hand_slot(
        self,
        key: str,
        run_id: str,
        lease_until: int,
        to_run: str,
        to_until: int,
        handed: Callable[[str], None] | None = None,
    ) -> bool:
        with self._lock:
            holders = self._slots.get(key, {})
            if holders.get(run_id) != lease_until or to_run in holders:
                return False
            del holders[run_id]
            holders[to_run] = to_until
        if handed is not None:
            handed(to_run)
        return True

    def reserve_slot(self, limit: SlotLimit, run_id: str, until: int) -> bool:
        with self._lock:
            holders = self._slots.setdefault(limit.key, {})
            if run_id in holders or len(holders) >= limit.limit:
                return False
            holders[run_id] = until
            return True

    def put_waiter(self, key: str, sort: str, run_id: str) -> None:
        with self._lock:
            self._waiters.setdefault(key, {})[sort] = run_id

    def first_waiters(self, key: str, limit: int) -> list[tuple[str, str]]:
        with self._lock:
            queue = self._waiters.get(key, {})
            return [(sort, queue[sort]) for sort in sorted(queue)[:limit]]

    def delete_waiter(self, key: str, sort: str) -> None:
        with self._lock:
            self._waiters.get(key, {}).pop(sort, None)

    def get_claim(self, key: str) -> tuple[str, int] | None:
        with self._lock:
            return self._claims.get(key)

    def replace_claim(
        self,
        key: str,
        expected: str | None,
        value: str,
        expires_at: int,
        *,
        listing: str | None = None,
    ) -> bool:
        with self._lock:
            holder = self._claims.get(key)
            if (holder is None) != (expected is None) or (holder and holder[0] != expected):
                return False
            self._claims[key] = (value, expires_at)
            self._list(listing, key)
            return True

    def _copy(self, gather: Gather | None) -> Gather | None:
        return replace(gather, event_ids=list(gather.event_ids)) if gather else None

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
        with self._lock:
            self._list(listing, key)
            gather = self._gathers.get(key)
            if gather is None:
                gather = Gather(new_gather_id, [], now, now, 0)
            elif gather.sealed or (max_size is not None and len(gather.event_ids) >= max_size):
                return None
            gather.event_ids = [*gather.event_ids, event_id] if keep_all else [event_id]
            gather.last_at, gather.seq = now, gather.seq + 1
            self._gathers[key] = gather
            return self._copy(gather)

    def get_gather(self, key: str) -> Gather | None:
        with self._lock:
            return self._copy(self._gathers.get(key))

    def seal_gather(self, key: str, gather_id: str, seq: int | None = None) -> Gather | None:
        with self._lock:
            gather = self._gathers.get(key)
            if gather is None or gather.gather_id != gather_id:
                return None
            if seq is not None and gather.seq != seq:
                return None
            gather.sealed = True
            return self._copy(gather)

    def close_gather(self, key: str, gather_id: str, seq: int | None = None) -> bool:
        with self._lock:
            gather = self._gathers.get(key)
            if gather is None or gather.gather_id != gather_id:
                return False
            if seq is not None and gather.seq != seq:
                return False
            del self._gathers[key]
            return True

    def listed_counters(self, listing: str, limit: int) -> list[tuple[str, dict[str, int]]]:
        with self._lock:
            keys = self._listed(listing, limit, self._slots)
            return [(k, dict(self._slots[k])) for k in keys]

    def listed_claims(self, listing: str, limit: int) -> list[tuple[str, str, int]]:
        with self._lock:
            keys = self._listed(listing, limit, self._claims)
            return [(k, *self._claims[k]) for k in keys]

    def listed_gathers(self, listing: str, limit: int) -> list[tuple[str, Gather]]:
        with self._lock:
            keys = self._listed(listing, limit, self._gathers)
            return [
                (k, replace(self._gathers[k], event_ids=list(self._gathers[k].event_ids)))
                for k in keys
            ]

    def count_waiters(self, key: str, cap: int) -> int:
        with self._lock:
            return min(cap, len(self._waiters.get(key, {})))

    def park_run(self, run_id: str, owner: str, reason: dict[str, Any]) -> bool:
        with self._lock:
            item = self._runs.get(run_id)
            if item is None:
                return False
            run = item.record
            if run.status != RunStatus.RUNNING or run.lease_owner != owner:
                return False
            run.status = RunStatus.QUEUED
            run.flow = dict(reason)
            run.lease_owner = run.lease_until = None
            return True
