"""Events, waits, cancel records and claims in the state table."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from ._base import CancelRecord, WaitRecord
from ._dynamo import DynamoTable, Item, _float, _int, _is_conditional_failure, _n, _s, _str


class EventsAndWaits(DynamoTable):
    """The ingestion side of the state table: ``EVT#``, ``EVTNAME#``, ``WAIT#``, ``CANCEL#`` and
    claim items."""

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
        item: Item = {
            "pk": _s(f"EVT#{event['id']}"),
            "sk": _s("EVT"),
            "name": _s(event["name"]),
            "received_at": _n(received_at),
            "expires_at": _n(expires_at),
            "claimed_until": _n(received_at + lease_ms),
            "ttl": _n(expires_at // 1000 + 86400),
            "gsi1pk": _s("EVENTS"),
            "gsi1sk": _s(f"{received_at:013d}#{event['id']}"),
        }
        self._put_json(item, "body", json.dumps(event), f"events/{event['id']}")
        holder = self.claim_item(item, received_at)
        if holder is None:
            return received_at
        claimed_until = _int(holder, "claimed_until")
        if "done" in holder or claimed_until is None:
            return None
        if claimed_until >= received_at and not takeover:
            return None
        # The first ingestion of this id stopped half way (a crash or timeout): take it over,
        # once, with a compare-and-set on its claim.
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key={"pk": item["pk"], "sk": item["sk"]},
                UpdateExpression="SET claimed_until = :until",
                ConditionExpression="attribute_not_exists(done) AND claimed_until = :seen",
                ExpressionAttributeValues={
                    ":until": _n(received_at + lease_ms),
                    ":seen": _n(claimed_until),
                },
            )
        except ClientError as exc:
            if _is_conditional_failure(exc):
                return None
            raise
        return _int(holder, "received_at") or received_at

    def finish_event(self, event_id: str) -> None:
        self._ddb.update_item(
            TableName=self._table,
            Key={"pk": _s(f"EVT#{event_id}"), "sk": _s("EVT")},
            UpdateExpression="SET done = :yes",
            ExpressionAttributeValues={":yes": {"BOOL": True}},
        )

    def put_event_by_name(self, event: dict[str, Any], received_at: int) -> None:
        item: Item = {
            "pk": _s(f"EVTNAME#{event['name']}"),
            "sk": _s(f"{received_at:013d}#{event['id']}"),
            "ttl": _n(received_at // 1000 + 2 * 86400),
        }
        self._put_json(item, "body", json.dumps(event), f"events/{event['id']}")
        self._ddb.put_item(TableName=self._table, Item=item)

    def events_between(self, name: str, since: int, until: int) -> list[dict[str, Any]]:
        return [
            self._loads(item, "body")
            for item in self._query(
                KeyConditionExpression="pk = :pk AND sk BETWEEN :since AND :until",
                ExpressionAttributeValues={
                    ":pk": _s(f"EVTNAME#{name}"),
                    ":since": _s(f"{max(0, since):013d}"),
                    ":until": _s(f"{max(0, until):013d}~"),
                },
                ConsistentRead=True,
            )
        ]

    def get_event(self, event_id: str) -> dict[str, Any] | None:
        response = self._ddb.get_item(
            TableName=self._table, Key={"pk": _s(f"EVT#{event_id}"), "sk": _s("EVT")}
        )
        item = response.get("Item")
        if not item:
            return None
        event: dict[str, Any] = self._loads(item, "body")
        event["received_at"] = _int(item, "received_at")
        return event

    def recent_events(self, limit: int) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for item in self._query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": _s("EVENTS")},
            ScanIndexForward=False,
            Limit=max(1, limit),
        ):
            event: dict[str, Any] = self._loads(item, "body")
            event["received_at"] = _int(item, "received_at")
            out.append(event)
            if len(out) >= limit:
                break
        return out

    # --- waits, cancels, claims ------------------------------------------------------------------
    def _wait_item(self, wait: WaitRecord) -> Item:
        item: Item = {
            "pk": _s(f"WAIT#{wait.event_name}"),
            "sk": _s(f"{wait.run_id}#{wait.step_hash}"),
            "run_id": _s(wait.run_id),
            "step_hash": _s(wait.step_hash),
            "step_id": _s(wait.step_id),
            "expires_at": _n(wait.expires_at),
            "reached_at": _n(wait.reached_at),
            "ttl": _n(int(wait.expires_at) + 86400),
        }
        if wait.expression:
            item["expression"] = _s(wait.expression)
        self._put_json(item, "trigger", json.dumps(wait.trigger), f"runs/{wait.run_id}/event")
        return item

    def waits_for(self, event_name: str) -> list[WaitRecord]:
        return [
            WaitRecord(
                event_name=event_name,
                run_id=_str(item, "run_id") or "",
                step_hash=_str(item, "step_hash") or "",
                step_id=_str(item, "step_id") or "",
                expression=_str(item, "expression"),
                trigger=self._loads(item, "trigger") or {},
                expires_at=_float(item, "expires_at") or 0.0,
                reached_at=_int(item, "reached_at") or 0,
            )
            for item in self._query(
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": _s(f"WAIT#{event_name}")},
                ConsistentRead=True,
            )
        ]

    def delete_wait(self, wait: WaitRecord) -> None:
        self._ddb.delete_item(
            TableName=self._table,
            Key={"pk": _s(f"WAIT#{wait.event_name}"), "sk": _s(f"{wait.run_id}#{wait.step_hash}")},
        )

    def put_cancels(self, cancels: Sequence[CancelRecord]) -> None:
        for cancel in cancels:
            item: Item = {
                "pk": _s(f"CANCEL#{cancel.event_name}"),
                "sk": _s(f"{cancel.run_id}#{cancel.index}"),
                "run_id": _s(cancel.run_id),
                "index": _n(cancel.index),
                "expires_at": _n(cancel.expires_at),
                "ttl": _n(int(cancel.expires_at) + 86400),
            }
            if cancel.expression:
                item["expression"] = _s(cancel.expression)
            self._put_json(
                item, "trigger", json.dumps(cancel.trigger), f"runs/{cancel.run_id}/event"
            )
            self._ddb.put_item(TableName=self._table, Item=item)

    def cancels_for(self, event_name: str) -> list[CancelRecord]:
        return [
            CancelRecord(
                event_name=event_name,
                run_id=_str(item, "run_id") or "",
                index=_int(item, "index") or 0,
                expression=_str(item, "expression"),
                trigger=self._loads(item, "trigger") or {},
                expires_at=_float(item, "expires_at") or 0.0,
            )
            for item in self._query(
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": _s(f"CANCEL#{event_name}")},
                ConsistentRead=True,
            )
        ]

    def claim_key(self, key: str, value: str, expires_at: int, now: int) -> bool:
        item: Item = {
            "pk": _s(key),
            "sk": _s("CLAIM"),
            "value": _s(value),
            "expires_at": _n(expires_at),
            "ttl": _n(expires_at // 1000 + 86400),
        }
        holder = self.claim_item(item, now)
        return holder is None or _str(holder, "value") == value
