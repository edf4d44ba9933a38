"""Flow control's items in the state table: concurrency counters (``CONC#...`` / ``SLOTS``, a
string set of holding run ids and one ``L#<run id>`` lease attribute per holder), their queues
of waiting runs (``CQ#<counter key>`` / ``<sort>``) and a run's ``flow`` reason."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import ClientError

from .._states import RunStatus
from ._base import Gather, SlotCounter, SlotLimit
from ._dynamo import DynamoTable, Item, _is_conditional_failure, _n, _s, _str

SLOTS_SK = "SLOTS"
WATCH = "watch"
"""The counter's attribute saying when its line's watch message is due (ms)."""


def _lease_name(run_id: str) -> str:
    return f"L#{run_id}"


class FlowItems(DynamoTable):
    """``FlowStore`` on DynamoDB."""

    def _acquire_update(self, run_id: str, limit: SlotLimit, lease_until: int) -> dict[str, Any]:
        values: Item = {
            ":runs": {"SS": [run_id]},
            ":run": _s(run_id),
            ":until": _n(lease_until),
            ":limit": _n(limit.limit),
        }
        listed = ""
        if limit.listing is not None:  # listed in the same write: no request of its own
            listed = ", gsi1pk = :listing, gsi1sk = :key"
            values[":listing"], values[":key"] = _s(limit.listing), _s(limit.key)
        return {
            "TableName": self._table,
            "Key": {"pk": _s(limit.key), "sk": _s(SLOTS_SK)},
            "UpdateExpression": "ADD holders :runs SET #lease = :until" + listed,
            "ConditionExpression": (
                "contains(holders, :run) OR attribute_not_exists(holders) OR size(holders) < :limit"
            ),
            "ExpressionAttributeNames": {"#lease": _lease_name(run_id)},
            "ExpressionAttributeValues": values,
        }

    def acquire_slots(
        self, run_id: str, limits: Sequence[SlotLimit], lease_until: int
    ) -> str | None:
        if len(limits) == 1:
            try:
                self._ddb.update_item(**self._acquire_update(run_id, limits[0], lease_until))
            except ClientError as exc:
                if _is_conditional_failure(exc):
                    return limits[0].key
                raise
            return None
        items = []
        for limit in limits:
            update = self._acquire_update(run_id, limit, lease_until)
            del update["TableName"]
            items.append({"Update": {"TableName": self._table, **update}})
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
            for limit, reason in zip(limits, reasons, strict=False):
                if reason == "ConditionalCheckFailed":
                    return limit.key
            raise
        return None

    def release_slots(self, run_id: str, keys: Sequence[str]) -> None:
        for key in keys:
            self._ddb.update_item(
                TableName=self._table,
                Key={"pk": _s(key), "sk": _s(SLOTS_SK)},
                UpdateExpression="DELETE holders :runs REMOVE #lease",
                ExpressionAttributeNames={"#lease": _lease_name(run_id)},
                ExpressionAttributeValues={":runs": {"SS": [run_id]}},
            )

    def slot_holders(self, key: str) -> dict[str, int]:
        return self.slot_counter(key).holders

    def slot_counter(self, key: str) -> SlotCounter:
        item = self._ddb.get_item(
            TableName=self._table,
            Key={"pk": _s(key), "sk": _s(SLOTS_SK)},
            ConsistentRead=True,
        ).get("Item")
        if not item:
            return SlotCounter({})
        holders = item.get("holders", {}).get("SS", [])
        leases = {
            run_id: int(item.get(_lease_name(run_id), {}).get("N", "0")) for run_id in holders
        }
        watch = item.get(WATCH, {}).get("N")
        return SlotCounter(leases, int(watch) if watch is not None else None)

    def replace_watch(self, key: str, expected: int | None, due: int | None) -> bool:
        values: Item = {}
        if expected is None:
            condition = "attribute_not_exists(#watch)"
        else:
            condition, values[":expected"] = "#watch = :expected", _n(expected)
        if due is None:
            update = "REMOVE #watch"
        else:
            update, values[":due"] = "SET #watch = :due", _n(due)
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key={"pk": _s(key), "sk": _s(SLOTS_SK)},
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames={"#watch": WATCH},
                **({"ExpressionAttributeValues": values} if values else {}),
            )
        except ClientError as exc:
            if _is_conditional_failure(exc):
                return False
            raise
        return True

    def reap_slot(self, key: str, run_id: str, lease_until: int) -> bool:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key={"pk": _s(key), "sk": _s(SLOTS_SK)},
                UpdateExpression="DELETE holders :runs REMOVE #lease",
                ConditionExpression="#lease = :until",
                ExpressionAttributeNames={"#lease": _lease_name(run_id)},
                ExpressionAttributeValues={":runs": {"SS": [run_id]}, ":until": _n(lease_until)},
            )
        except ClientError as exc:
            if _is_conditional_failure(exc):
                return False
            raise
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
        # One UpdateItem cannot ADD to and DELETE from the same set; adding first means the
        # slot is never free between the two writes, so no arrival can take it.
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key={"pk": _s(key), "sk": _s(SLOTS_SK)},
                UpdateExpression="ADD holders :runs SET #to = :to_until",
                ConditionExpression="#mine = :until AND attribute_not_exists(#to)",
                ExpressionAttributeNames={
                    "#mine": _lease_name(run_id),
                    "#to": _lease_name(to_run),
                },
                ExpressionAttributeValues={
                    ":runs": {"SS": [to_run]},
                    ":until": _n(lease_until),
                    ":to_until": _n(to_until),
                },
            )
        except ClientError as exc:
            if _is_conditional_failure(exc):
                return False
            raise
        if handed is not None:
            handed(to_run)
        self.reap_slot(key, run_id, lease_until)
        return True

    def reserve_slot(self, limit: SlotLimit, run_id: str, until: int) -> bool:
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key={"pk": _s(limit.key), "sk": _s(SLOTS_SK)},
                UpdateExpression="ADD holders :runs SET #lease = :until",
                ConditionExpression="attribute_not_exists(#lease) AND "
                "(attribute_not_exists(holders) OR size(holders) < :limit)",
                ExpressionAttributeNames={"#lease": _lease_name(run_id)},
                ExpressionAttributeValues={
                    ":runs": {"SS": [run_id]},
                    ":until": _n(until),
                    ":limit": _n(limit.limit),
                },
            )
        except ClientError as exc:
            if _is_conditional_failure(exc):
                return False
            raise
        return True

    def put_waiter(self, key: str, sort: str, run_id: str) -> None:
        self._ddb.put_item(
            TableName=self._table,
            Item={"pk": _s(f"CQ#{key}"), "sk": _s(sort), "run_id": _s(run_id)},
        )

    def first_waiters(self, key: str, limit: int) -> list[tuple[str, str]]:
        page = self._ddb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": _s(f"CQ#{key}")},
            ConsistentRead=True,
            Limit=limit,
        )
        out: list[tuple[str, str]] = []
        for item in page.get("Items", []):
            out.append((_str(item, "sk") or "", _str(item, "run_id") or ""))
        return out

    def delete_waiter(self, key: str, sort: str) -> None:
        self._ddb.delete_item(TableName=self._table, Key={"pk": _s(f"CQ#{key}"), "sk": _s(sort)})

    def get_claim(self, key: str) -> tuple[str, int] | None:
        item = self._ddb.get_item(
            TableName=self._table,
            Key={"pk": _s(key), "sk": _s("CLAIM")},
            ConsistentRead=True,
        ).get("Item")
        if not item:
            return None
        return _str(item, "value") or "", int(item.get("expires_at", {}).get("N", "0"))

    def replace_claim(
        self,
        key: str,
        expected: str | None,
        value: str,
        expires_at: int,
        *,
        listing: str | None = None,
    ) -> bool:
        condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
        if expected is not None:
            condition = {
                "ConditionExpression": "#value = :expected",
                "ExpressionAttributeNames": {"#value": "value"},
                "ExpressionAttributeValues": {":expected": _s(expected)},
            }
        item: Item = {
            "pk": _s(key),
            "sk": _s("CLAIM"),
            "value": _s(value),
            "expires_at": _n(expires_at),
            "ttl": _n(expires_at // 1000 + 86400),
        }
        if listing is not None:
            item["gsi1pk"], item["gsi1sk"] = _s(listing), _s(key)
        try:
            self._ddb.put_item(TableName=self._table, Item=item, **condition)
        except ClientError as exc:
            if _is_conditional_failure(exc):
                return False
            raise
        return True

    def _gather_from(self, item: Item) -> Gather:
        return Gather(
            gather_id=_str(item, "gather_id") or "",
            event_ids=[cell["S"] for cell in item.get("ids", {}).get("L", [])],
            first_at=int(item.get("first_at", {}).get("N", "0")),
            last_at=int(item.get("last_at", {}).get("N", "0")),
            seq=int(item.get("seq", {}).get("N", "0")),
            sealed="sealed" in item,
        )

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
        ids = "ids = list_append(if_not_exists(ids, :empty), :one)" if keep_all else "ids = :one"
        condition = "attribute_not_exists(sealed)"
        values: Item = {
            ":one": {"L": [_s(event_id)]},
            ":now": _n(now),
            ":gid": _s(new_gather_id),
            ":inc": _n(1),
        }
        if keep_all:
            values[":empty"] = {"L": []}
        if max_size is not None:
            condition += " AND (attribute_not_exists(ids) OR size(ids) < :max)"
            values[":max"] = _n(max_size)
        listed = ""
        if listing is not None:
            listed = ", gsi1pk = :listing, gsi1sk = :key"
            values[":listing"], values[":key"] = _s(listing), _s(key)
        try:
            response = self._ddb.update_item(
                TableName=self._table,
                Key={"pk": _s(key), "sk": _s("GATHER")},
                UpdateExpression=f"SET {ids}, first_at = if_not_exists(first_at, :now), "
                f"last_at = :now, gather_id = if_not_exists(gather_id, :gid){listed} ADD seq :inc",
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if _is_conditional_failure(exc):
                return None
            raise
        return self._gather_from(response["Attributes"])

    def get_gather(self, key: str) -> Gather | None:
        item = self._ddb.get_item(
            TableName=self._table,
            Key={"pk": _s(key), "sk": _s("GATHER")},
            ConsistentRead=True,
        ).get("Item")
        return self._gather_from(item) if item else None

    def seal_gather(self, key: str, gather_id: str, seq: int | None = None) -> Gather | None:
        condition = "gather_id = :gid"
        values: Item = {":gid": _s(gather_id), ":true": {"BOOL": True}}
        if seq is not None:
            condition += " AND seq = :seq"
            values[":seq"] = _n(seq)
        try:
            response = self._ddb.update_item(
                TableName=self._table,
                Key={"pk": _s(key), "sk": _s("GATHER")},
                UpdateExpression="SET sealed = :true",
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if _is_conditional_failure(exc):
                return None
            raise
        return self._gather_from(response["Attributes"])

    def close_gather(self, key: str, gather_id: str, seq: int | None = None) -> bool:
        condition, values = "gather_id = :gid", {":gid": _s(gather_id)}
        if seq is not None:
            condition += " AND seq = :seq"
            values[":seq"] = _n(seq)
        try:
            self._ddb.delete_item(
                TableName=self._table,
                Key={"pk": _s(key), "sk": _s("GATHER")},
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if not _is_conditional_failure(exc):
                raise
            return False
        return True

    def _listed(self, listing: str, limit: int) -> list[Item]:
        page = self._ddb.query(
            TableName=self._table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk",
            ExpressionAttributeValues={":pk": _s(listing)},
            Limit=limit,
        )
        return list(page.get("Items", []))

    def listed_counters(self, listing: str, limit: int) -> list[tuple[str, dict[str, int]]]:
        out = []
        for item in self._listed(listing, limit):
            holders = item.get("holders", {}).get("SS", [])
            leases = {r: int(item.get(_lease_name(r), {}).get("N", "0")) for r in holders}
            out.append((_str(item, "pk") or "", leases))
        return out

    def listed_claims(self, listing: str, limit: int) -> list[tuple[str, str, int]]:
        return [
            (
                _str(item, "pk") or "",
                _str(item, "value") or "",
                int(item.get("expires_at", {}).get("N", "0")),
            )
            for item in self._listed(listing, limit)
        ]

    def listed_gathers(self, listing: str, limit: int) -> list[tuple[str, Gather]]:
        return [
            (_str(item, "pk") or "", self._gather_from(item))
            for item in self._listed(listing, limit)
        ]

    def count_waiters(self, key: str, cap: int) -> int:
        page = self._ddb.query(
            TableName=self._table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": _s(f"CQ#{key}")},
            Select="COUNT",
            Limit=cap,
        )
        return int(page.get("Count", 0))

    def park_run(self, run_id: str, owner: str, reason: dict[str, Any]) -> bool:
        values: Item = {
            ":queued": _s(RunStatus.QUEUED),
            ":flow": _s(json.dumps(reason)),
            ":owner": _s(owner),
            ":running": _s(RunStatus.RUNNING),
        }
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key={"pk": _s(f"RUN#{run_id}"), "sk": _s("RUN")},
                UpdateExpression="SET #status = :queued, flow = :flow "
                "REMOVE lease_owner, lease_until",
                ConditionExpression="#status = :running AND lease_owner = :owner",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if _is_conditional_failure(exc):
                return False
            raise
        return True
