"""GIVEN a run on DynamoDB and S3 with a step output and its own output offloaded to S3
WHEN the run ends (released terminal, or cancelled) THEN the run item and its steps get a ``ttl``
RunRetentionDays after the end, and its S3 objects are re-written with the tag the bucket's
lifecycle expires by; a run that is only released to wait (not ended) gets neither. (The
in-memory store keeps no expiry: there is nothing to observe through the StateStore interface,
so this is not part of the contract suite.)"""

from __future__ import annotations

from typing import Any

import pytest

from stepstream import aws as _aws
from stepstream._states import RunStatus
from stepstream.config import Settings
from stepstream.local import Provisioned
from stepstream.store import DynamoState, S3Blobs, StepRecord
from stepstream.store._dynamo import INLINE_JSON_BYTES
from stepstream.store._retention import DAY_SECONDS

from .test_state_runs_contract import LEASE_MS, new_run

NOW_MS = 1_800_000_000_000
BIG = '"' + "x" * (INLINE_JSON_BYTES + 10) + '"'


@pytest.fixture
def state(aws: Provisioned, monkeypatch: pytest.MonkeyPatch) -> DynamoState:
    monkeypatch.setenv("STEPSTREAM_RUN_RETENTION_DAYS", "7")
    settings = Settings.from_env()
    store = DynamoState(S3Blobs(settings), settings)
    assert store.create_run(new_run("r1"))
    assert store.claim_run("r1", "me", NOW_MS + LEASE_MS, NOW_MS) is not None
    blob = StepRecord("h1", "id-h1", "run", "ok", output_json='"big"', blob_key="runs/r1/h1")
    store.checkpoint("r1", "me", blob)
    store.checkpoint("r1", "me", StepRecord("h2", "id-h2", "run", "ok", output_json='"small"'))
    return store


def _ttls(aws: Provisioned) -> dict[str, int | None]:
    items = _aws.client("dynamodb").query(
        TableName=aws.tables["StateTable"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "RUN#r1"}},
    )["Items"]
    return {i["sk"]["S"]: int(i["ttl"]["N"]) if "ttl" in i else None for i in items}


def _tags(aws: Provisioned) -> dict[str, list[dict[str, Any]]]:
    s3, bucket = _aws.client("s3"), aws.buckets["OutputsBucket"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {k: s3.get_object_tagging(Bucket=bucket, Key=k)["TagSet"] for k in keys}


EXPIRY = NOW_MS // 1000 + 7 * DAY_SECONDS
ENDED = [{"Key": "stepstream-run", "Value": "ended"}]


def test_a_completed_run_expires_with_its_steps_and_objects(
    state: DynamoState, aws: Provisioned
) -> None:
    assert state.release("r1", "me", RunStatus.COMPLETED, output_json=BIG, now=NOW_MS)

    assert _ttls(aws) == {"RUN": EXPIRY, "STEP#h1": EXPIRY, "STEP#h2": EXPIRY}
    tags = _tags(aws)
    # a large output goes under a fresh key below runs/r1/output (write-once blobs)
    (output_key,) = [key for key in tags if key.startswith("runs/r1/output/")]
    assert tags == {"runs/r1/h1": ENDED, output_key: ENDED}
    run = state.get_run("r1")
    assert run is not None
    assert run.output_json == BIG  # the copy keeps the content


def test_a_cancelled_run_expires_too(state: DynamoState, aws: Provisioned) -> None:
    assert state.cancel_run("r1", NOW_MS)

    assert _ttls(aws) == {"RUN": EXPIRY, "STEP#h1": EXPIRY, "STEP#h2": EXPIRY}
    assert _tags(aws) == {"runs/r1/h1": ENDED}


def test_a_run_released_to_sleep_keeps_everything(state: DynamoState, aws: Provisioned) -> None:
    assert state.release("r1", "me", RunStatus.SLEEPING, now=NOW_MS)

    assert _ttls(aws) == {"RUN": None, "STEP#h1": None, "STEP#h2": None}
    assert _tags(aws) == {"runs/r1/h1": []}
