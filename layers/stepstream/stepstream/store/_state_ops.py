"""Operating runs in the state table: listing a function's runs by creation time, copying steps
into a rerun, bulk-operation records (``OP#``), pauses (the one ``PAUSES`` item) and the runs a
paused function holds (``HOLD#``)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from botocore.exceptions import ClientError

from ._base import OperationRecord, RunRecord
from ._dynamo import DynamoTable, Item, _int, _is_conditional_failure, _key, _s, _str

PAUSE_PREFIX = "pause:"
"""Each paused function is one attribute of the ``PAUSES`` item, named ``pause:<id>``."""


class RunOperations(DynamoTable):
    def _run_from(self, item: Item) -> RunRecord:
        raise NotImplementedError  # DynamoState reads run items

    # --- listings and reruns ----------------------------------------------------------------
    def runs_between(self, function_id: str, since: int, until: int) -> list[RunRecord]:
        items = self._query(
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :pk AND gsi1sk BETWEEN :since AND :until",
            FilterExpression="function_id = :f",
            ExpressionAttributeValues={
                ":pk": _s("RUNS"),
                ":since": _s(f"{max(0, since):013d}"),
                ":until": _s(f"{until:013d}~"),  # '~' sorts after '#<run id>'
                ":f": _s(function_id),
            },
        )
        return [self._run_from(item) for item in items]

    def copy_steps(self, from_run: str, to_run: str, hashes: Sequence[str]) -> None:
        wanted = set(hashes)
        for item in self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :step)",
            ExpressionAttributeValues={":pk": _s(f"RUN#{from_run}"), ":step": _s("STEP#")},
        ):
            if (_str(item, "sk") or "").removeprefix("STEP#") not in wanted:
                continue
            try:
                self._ddb.put_item(
                    TableName=self._table,
                    Item={**item, "pk": _s(f"RUN#{to_run}")},
                    ConditionExpression="attribute_not_exists(sk)",
                )
            except ClientError as exc:
                if not _is_conditional_failure(exc):
                    raise

    # --- bulk operations ----------------------------------------------------------------------
    def put_operation(self, op: OperationRecord) -> None:
        item: Item = {
            **_key(f"OP#{op.op_id}", "OP"),
            "kind": _s(op.kind),
            "created_at": {"N": str(op.created_at)},
            "request": _s(json.dumps(op.request)),
        }
        self._put_json(item, "run_ids", json.dumps(op.run_ids), f"operations/{op.op_id}")
        self._ddb.put_item(TableName=self._table, Item=item)

    def get_operation(self, op_id: str) -> OperationRecord | None:
        item = self._ddb.get_item(
            TableName=self._table, Key=_key(f"OP#{op_id}", "OP"), ConsistentRead=True
        ).get("Item")
        if item is None:
            return None
        return OperationRecord(
            op_id=op_id,
            kind=_str(item, "kind") or "",
            created_at=_int(item, "created_at") or 0,
            request=json.loads(_str(item, "request") or "{}"),
            run_ids=self._loads(item, "run_ids") or [],
        )

    # --- pauses -------------------------------------------------------------------------------
    def set_pause(self, function_id: str, mode: str | None) -> None:
        names = {"#f": PAUSE_PREFIX + function_id}
        if mode is None:
            self._ddb.update_item(
                TableName=self._table,
                Key=_key("PAUSES", "PAUSES"),
                UpdateExpression="REMOVE #f",
                ExpressionAttributeNames=names,
            )
            return
        self._ddb.update_item(
            TableName=self._table,
            Key=_key("PAUSES", "PAUSES"),
            UpdateExpression="SET #f = :mode",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues={":mode": _s(mode)},
        )

    def pauses(self) -> dict[str, str]:
        item = self._ddb.get_item(
            TableName=self._table, Key=_key("PAUSES", "PAUSES"), ConsistentRead=True
        ).get("Item", {})
        return {
            name.removeprefix(PAUSE_PREFIX): _str(item, name) or ""
            for name in item
            if name.startswith(PAUSE_PREFIX)
        }

    def hold_run(self, function_id: str, run_id: str) -> None:
        self._ddb.put_item(
            TableName=self._table,
            Item={**_key(f"HOLD#{function_id}", run_id), "run_id": _s(run_id)},
        )

    def held_runs(self, function_id: str) -> list[str]:
        return [
            _str(item, "run_id") or ""
            for item in self._query(
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": _s(f"HOLD#{function_id}")},
                ConsistentRead=True,
            )
        ]

    def release_held(self, function_id: str, run_id: str) -> None:
        self._ddb.delete_item(TableName=self._table, Key=_key(f"HOLD#{function_id}", run_id))
