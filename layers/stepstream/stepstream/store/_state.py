"""The engine's state in one DynamoDB table (keys in docs/architecture.md): runs and steps here,
events, waits and claims in ``_state_events.py``."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from .._config import Settings
from .._states import ACTIVE, TERMINAL, RunStatus
from ..cost import charging
from ..cost._units import request_write_units
from ._base import BlobStore, CheckpointRejected, RunRecord, StateStore, StepRecord, WaitRecord
from ._blobs import S3Blobs
from ._dynamo import Item, _float, _int, _is_conditional_failure, _n, _s, _str
from ._flow_state import FlowItems
from ._retention import expire_run_items, mark_outputs_ended, run_expiry
from ._state_events import EventsAndWaits
from ._state_ops import RunOperations

log = logging.getLogger("stepstream.store")
COST_PREFIX = "cost#"
"""Run item attributes holding the cost ledger, one number per unit (``cost#sqs_requests``)."""


def _cost_from(item: Item) -> dict[str, float]:
    return {
        name.removeprefix(COST_PREFIX): float(cell["N"])
        for name, cell in item.items()
        if name.startswith(COST_PREFIX) and "N" in cell
    }


class DynamoState(FlowItems, RunOperations, EventsAndWaits, StateStore):
    def __init__(self, blobs: BlobStore, settings: Settings | None = None) -> None:
        self._settings = settings or Settings.from_env()
        super().__init__(blobs, self._settings)

    # --- runs -------------------------------------------------------------------------------------
    def _run_item(self, run: RunRecord) -> Item:
        item: Item = {
            "pk": _s(f"RUN#{run.run_id}"),
            "sk": _s("RUN"),
            "run_id": _s(run.run_id),
            "function_id": _s(run.function_id),
            "status": _s(run.status),
            "event_id": _s(run.event_id),
            "attempt": _n(run.attempt),
            "created_at": _n(run.created_at),
            "gsi1pk": _s("RUNS"),
            "gsi1sk": _s(f"{run.created_at:013d}#{run.run_id}"),
        }
        self._put_json(item, "event", json.dumps(run.event), f"runs/{run.run_id}/event")
        if run.flow:
            item["flow"] = _s(json.dumps(run.flow))
        if run.parent_run_id and run.parent_step_hash:
            item["parent_run_id"] = _s(run.parent_run_id)
            item["parent_step_hash"] = _s(run.parent_step_hash)
            item["parent_step_id"] = _s(run.parent_step_id or "")
        if run.rerun_of:
            item["rerun_of"] = _s(run.rerun_of)
        return item

    def _run_from(self, item: Item) -> RunRecord:
        error = _str(item, "error")
        return RunRecord(
            run_id=_str(item, "run_id") or "",
            function_id=_str(item, "function_id") or "",
            event=self._loads(item, "event") or {},
            event_id=_str(item, "event_id") or "",
            status=_str(item, "status") or RunStatus.QUEUED,
            attempt=_int(item, "attempt") or 0,
            created_at=_int(item, "created_at") or 0,
            started_at=_int(item, "started_at"),
            ended_at=_int(item, "ended_at"),
            output_json=self._get_json(item, "output"),
            output_type=_str(item, "output_type"),
            error=json.loads(error) if error else None,
            parent_run_id=_str(item, "parent_run_id"),
            parent_step_hash=_str(item, "parent_step_hash"),
            parent_step_id=_str(item, "parent_step_id"),
            lease_owner=_str(item, "lease_owner"),
            lease_until=_int(item, "lease_until"),
            channels=json.loads(_str(item, "channels") or "[]"),
            flow=json.loads(_str(item, "flow") or "null"),
            rerun_of=_str(item, "rerun_of"),
            cost=_cost_from(item),
        )

    def create_run(self, run: RunRecord) -> bool:
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=self._run_item(run),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as exc:
            if _is_conditional_failure(exc):
                return False
            raise
        return True

    def link_event_run(self, event_id: str, run: RunRecord) -> None:
        self._ddb.put_item(
            TableName=self._table,
            Item={
                "pk": _s(f"EVT#{event_id}"),
                "sk": _s(f"RUN#{run.run_id}"),
                "run_id": _s(run.run_id),
                "function_id": _s(run.function_id),
            },
        )

    def claim_run(self, run_id: str, owner: str, lease_until: int, now: int) -> RunRecord | None:
        try:
            response = self._ddb.update_item(
                TableName=self._table,
                Key={"pk": _s(f"RUN#{run_id}"), "sk": _s("RUN")},
                UpdateExpression=(
                    "SET #status = :running, lease_owner = :owner, lease_until = :until, "
                    "started_at = if_not_exists(started_at, :now)"
                ),
                ConditionExpression=(
                    "#status IN (:a0, :a1, :a2, :a3) AND (attribute_not_exists(lease_owner) "
                    "OR lease_until < :now OR lease_owner = :owner)"
                ),
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":running": _s(RunStatus.RUNNING),
                    ":owner": _s(owner),
                    ":until": _n(lease_until),
                    ":now": _n(now),
                    **{f":a{i}": _s(s) for i, s in enumerate(ACTIVE)},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if _is_conditional_failure(exc):
                return None
            raise
        return self._run_from(response["Attributes"])

    def get_run(self, run_id: str) -> RunRecord | None:
        response = self._ddb.get_item(
            TableName=self._table,
            Key={"pk": _s(f"RUN#{run_id}"), "sk": _s("RUN")},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return self._run_from(item) if item else None

    def load_steps(self, run_id: str) -> list[StepRecord]:
        return [
            self._step_from(item)
            for item in self._query(
                KeyConditionExpression="pk = :pk AND begins_with(sk, :step)",
                ExpressionAttributeValues={":pk": _s(f"RUN#{run_id}"), ":step": _s("STEP#")},
                ConsistentRead=True,
            )
        ]

    def load_run(self, run_id: str) -> tuple[RunRecord | None, list[StepRecord]]:
        run, steps = None, []
        for item in self._query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": _s(f"RUN#{run_id}")},
            ConsistentRead=True,
        ):
            if _str(item, "sk") == "RUN":
                run = self._run_from(item)
            else:
                steps.append(self._step_from(item))
        return run, steps

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
        fields: Item = {"status": _s(status)}
        if attempt is not None:
            fields["attempt"] = _n(attempt)
        ended = status in TERMINAL
        if ended:
            fields["ended_at"] = _n(now)
            fields["ttl"] = _n(run_expiry(now / 1000, self._settings))
        if output_json is not None:
            self._put_json(fields, "output", output_json, f"runs/{run_id}/output")
        if output_type:
            fields["output_type"] = _s(output_type)
        if error is not None:
            fields["error"] = _s(json.dumps(error))
        if channels is not None:
            fields["channels"] = _s(json.dumps(sorted(channels)))
        sets = [f"#f{i} = :f{i}" for i in range(len(fields))]
        names = {f"#f{i}": name for i, name in enumerate(fields)}
        values: dict[str, Any] = {f":f{i}": cell for i, cell in enumerate(fields.values())}
        names["#status"] = "status"
        values.update({":owner": _s(owner), ":running": _s(RunStatus.RUNNING)})
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key={"pk": _s(f"RUN#{run_id}"), "sk": _s("RUN")},
                UpdateExpression="SET " + ", ".join(sets) + " REMOVE lease_owner, lease_until",
                ConditionExpression="#status = :running AND lease_owner = :owner",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if _is_conditional_failure(exc):
                return False
            raise
        if ended:
            self._start_retention(run_id, now)
        return True

    def add_cost(
        self, run_id: str, counts: Mapping[str, float], *, total: bool = False
    ) -> dict[str, float] | None:
        # This request is the ledger's last: it counts itself (one request, its own write
        # units) and is kept out of the meter, which could only count it after the fact.
        counts = {unit: amount for unit, amount in counts.items() if amount}
        counts["dynamodb_requests"] = counts.get("dynamodb_requests", 0) + 1
        written = counts.get("dynamodb_write_units", 0)
        units = 1
        while True:
            counts["dynamodb_write_units"] = written + units
            request = self._cost_update(run_id, counts, total)
            if request_write_units("UpdateItem", request) == units:
                break
            units = request_write_units("UpdateItem", request)
        try:
            with charging(None):
                response = self._ddb.update_item(**request)
        except ClientError as exc:
            if not _is_conditional_failure(exc):
                raise
            return None
        return _cost_from(response.get("Attributes", {})) if total else None

    def _cost_update(self, run_id: str, counts: dict[str, float], total: bool) -> dict[str, Any]:
        return {
            "TableName": self._table,
            "Key": {"pk": _s(f"RUN#{run_id}"), "sk": _s("RUN")},
            "UpdateExpression": "ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(counts))),
            "ConditionExpression": "attribute_exists(pk)",
            "ExpressionAttributeNames": {
                f"#c{i}": COST_PREFIX + unit for i, unit in enumerate(counts)
            },
            "ExpressionAttributeValues": {
                f":c{i}": {"N": f"{amount:.9g}"} for i, amount in enumerate(counts.values())
            },
            "ReturnValues": "ALL_NEW" if total else "NONE",
        }

    def cancel_run(self, run_id: str, now: int, reason: dict[str, Any] | None = None) -> bool:
        flow: Item = {":flow": _s(json.dumps(reason))} if reason is not None else {}
        try:
            self._ddb.update_item(
                TableName=self._table,
                Key={"pk": _s(f"RUN#{run_id}"), "sk": _s("RUN")},
                UpdateExpression="SET #status = :cancelled, ended_at = :now, #ttl = :ttl"
                + (", flow = :flow" if flow else ""),
                ConditionExpression="#status IN (:a0, :a1, :a2, :a3)",
                ExpressionAttributeNames={"#status": "status", "#ttl": "ttl"},
                ExpressionAttributeValues={
                    ":cancelled": _s(RunStatus.CANCELLED),
                    ":now": _n(now),
                    ":ttl": _n(run_expiry(now / 1000, self._settings)),
                    **{f":a{i}": _s(s) for i, s in enumerate(ACTIVE)},
                    **flow,
                },
            )
        except ClientError as exc:
            if _is_conditional_failure(exc):
                return False
            raise
        self._start_retention(run_id, now)
        return True

    def _start_retention(self, run_id: str, ended_at_ms: int) -> None:
        """The run ended (its item got its ``ttl`` in the same update): give its steps the same
        expiry and start its S3 objects' retention clock (docs/deploy.md, "Retention"). A
        failure here is logged, not raised: the run's end is already recorded, and its records
        and objects are then kept until removed by hand, never lost early."""
        try:
            keys = expire_run_items(
                self._table, run_id, run_expiry(ended_at_ms / 1000, self._settings)
            )
            if keys and isinstance(self._blobs, S3Blobs):
                mark_outputs_ended(keys, ended_at_ms / 1000, bucket=self._blobs.bucket)
        except Exception:
            log.exception("run %s ended, but its retention could not be set", run_id)

    def recent_runs(self, limit: int, function_id: str | None) -> list[RunRecord]:
        kwargs: dict[str, Any] = {
            "IndexName": "gsi1",
            "KeyConditionExpression": "gsi1pk = :pk",
            "ExpressionAttributeValues": {":pk": _s("RUNS")},
            "ScanIndexForward": False,
            "Limit": max(1, limit),
        }
        if function_id:
            kwargs["FilterExpression"] = "function_id = :f"
            kwargs["ExpressionAttributeValues"][":f"] = _s(function_id)
        out: list[RunRecord] = []
        for item in self._query(**kwargs):
            out.append(self._run_from(item))
            if len(out) >= limit:
                break
        return out

    def runs_for_event(self, event_id: str) -> list[str]:
        return [
            _str(item, "run_id") or ""
            for item in self._query(
                KeyConditionExpression="pk = :pk AND begins_with(sk, :run)",
                ExpressionAttributeValues={":pk": _s(f"EVT#{event_id}"), ":run": _s("RUN#")},
            )
        ]

    # --- steps ------------------------------------------------------------------------------------
    def _step_item(self, run_id: str, step: StepRecord) -> Item:
        item: Item = {
            "pk": _s(f"RUN#{run_id}"),
            "sk": _s(f"STEP#{step.hash}"),
            "id": _s(step.id),
            "kind": _s(step.kind),
            "status": _s(step.status),
            "attempt": _n(step.attempt),
        }
        if step.output_json is not None:
            if step.blob_key:
                self._blobs.put(step.blob_key, step.output_json.encode())
                item["blob"] = _s(step.blob_key)
            else:
                item["output"] = _s(step.output_json)
        if step.output_type:
            item["output_type"] = _s(step.output_type)
        if step.error is not None:
            item["error"] = _s(json.dumps(step.error))
        for name in ("started_at", "ended_at"):
            value = getattr(step, name)
            if value is not None:
                item[name] = _n(value)
        if step.wake_at is not None:
            item["wake_at"] = _n(float(step.wake_at))
        if step.detail:
            item["detail"] = _s(json.dumps(step.detail))
        return item

    def _step_from(self, item: Item) -> StepRecord:
        error = _str(item, "error")
        detail = _str(item, "detail")
        return StepRecord(
            hash=(_str(item, "sk") or "").removeprefix("STEP#"),
            id=_str(item, "id") or "",
            kind=_str(item, "kind") or "run",
            status=_str(item, "status") or "",
            output_json=_str(item, "output"),
            output_type=_str(item, "output_type"),
            blob_key=_str(item, "blob"),
            error=json.loads(error) if error else None,
            attempt=_int(item, "attempt") or 0,
            started_at=_int(item, "started_at"),
            ended_at=_int(item, "ended_at"),
            wake_at=_float(item, "wake_at"),
            detail=json.loads(detail) if detail else {},
        )

    def load_step_output(self, step: StepRecord) -> str | None:
        if step.output_json is None and step.blob_key:
            step.output_json = self._blobs.get(step.blob_key).decode()
        return step.output_json

    def _get_step(self, run_id: str, step_hash: str) -> StepRecord | None:
        response = self._ddb.get_item(
            TableName=self._table,
            Key={"pk": _s(f"RUN#{run_id}"), "sk": _s(f"STEP#{step_hash}")},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return self._step_from(item) if item else None

    def _step_condition(self, replace: Sequence[str]) -> tuple[str, dict[str, Any]]:
        if not replace:
            return "attribute_not_exists(sk)", {}
        names = [f":r{i}" for i in range(len(replace))]
        return (
            f"attribute_not_exists(sk) OR #status IN ({', '.join(names)})",
            {name: _s(s) for name, s in zip(names, replace, strict=True)},
        )

    def checkpoint(
        self,
        run_id: str,
        owner: str,
        step: StepRecord,
        *,
        replace: Sequence[str] = (),
        wait: WaitRecord | None = None,
    ) -> None:
        condition, values = self._step_condition(replace)
        put: dict[str, Any] = {
            "TableName": self._table,
            "Item": self._step_item(run_id, step),
            "ConditionExpression": condition,
        }
        if values:
            put["ExpressionAttributeNames"] = {"#status": "status"}
            put["ExpressionAttributeValues"] = values
        items: list[dict[str, Any]] = [
            {"Put": put},
            {
                "ConditionCheck": {
                    "TableName": self._table,
                    "Key": {"pk": _s(f"RUN#{run_id}"), "sk": _s("RUN")},
                    "ConditionExpression": "#status = :running AND lease_owner = :owner",
                    "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {
                        ":running": _s(RunStatus.RUNNING),
                        ":owner": _s(owner),
                    },
                }
            },
        ]
        if wait is not None:
            items.append({"Put": {"TableName": self._table, "Item": self._wait_item(wait)}})
        try:
            self._ddb.transact_write_items(TransactItems=items)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            self._explain_rejection(run_id, owner, step, exc)

    def _explain_rejection(
        self, run_id: str, owner: str, step: StepRecord, exc: ClientError
    ) -> None:
        reasons = [r.get("Code") for r in exc.response.get("CancellationReasons", [])]
        step_failed = bool(reasons) and reasons[0] == "ConditionalCheckFailed"
        run_failed = len(reasons) > 1 and reasons[1] == "ConditionalCheckFailed"
        if step_failed or not reasons:
            existing = self._get_step(run_id, step.hash)
            if existing is not None and (step_failed or existing.final):
                raise CheckpointRejected("step_exists", existing) from exc
        if run_failed or not reasons:
            run = self.get_run(run_id)
            # Only a cancel ends a run that an executor holds. Any other status means another
            # executor took the run after this one's lease lapsed, and may have suspended or
            # finished it: this one stops without taking that for a cancel.
            if run is None or run.status == RunStatus.CANCELLED:
                raise CheckpointRejected("cancelled") from exc
            raise CheckpointRejected("lease_lost") from exc
        raise exc

    def resolve_step(
        self, run_id: str, step: StepRecord, *, expect: Sequence[str], allow_missing: bool = False
    ) -> bool:
        names = [f":e{i}" for i in range(len(expect))]
        condition = f"#status IN ({', '.join(names)})"
        if allow_missing:
            condition = "attribute_not_exists(sk) OR " + condition
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=self._step_item(run_id, step),
                ConditionExpression=condition,
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={n: _s(s) for n, s in zip(names, expect, strict=True)},
            )
        except ClientError as exc:
            if _is_conditional_failure(exc):
                return False
            raise
        return True
