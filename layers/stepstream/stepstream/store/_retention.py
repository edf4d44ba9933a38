"""How long a finished run is kept: its records get a DynamoDB TTL and its S3 objects a tag the
bucket's lifecycle expires by, both ``RUN_RETENTION_DAYS`` after the run ended.

S3 lifecycle ages count from an object's creation, so tagging an object that is already older
than the retention would expire it at once, before its run's records. :func:`mark_outputs_ended`
therefore copies each object onto itself with the tag: the copy is a new object whose age starts
at the run's end (the old version is removed a day later by the noncurrent-version rule). Until
then nothing expires, however long the run sleeps. template.yaml's ``expire-outputs-of-ended-runs``
rule and docs/deploy.md ("Retention") describe the same contract.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from .._aws import client
from .._config import Settings

ENDED_TAG = "stepstream-run=ended"
"""The object tag the bucket's lifecycle expires by (``Key=Value``, as S3's Tagging takes it)."""
DAY_SECONDS = 86_400


def run_expiry(ended_at: float | None = None, settings: Settings | None = None) -> int:
    """The ``ttl`` (epoch seconds) of a run's records once it ended at ``ended_at`` (now)."""
    settings = settings or Settings.from_env()
    ended = time.time() if ended_at is None else ended_at
    return int(ended) + settings.run_retention_days * DAY_SECONDS


def mark_outputs_ended(
    keys: Iterable[str],
    ended_at: float | None = None,
    settings: Settings | None = None,
    *,
    bucket: str | None = None,
) -> int:
    """Start the retention clock of a finished run's objects: one S3 ``CopyObject`` per key
    (onto itself, tagged :data:`ENDED_TAG`). Returns how many were marked."""
    bucket = bucket or (settings or Settings.from_env()).bucket
    ended = int(time.time() if ended_at is None else ended_at)
    s3: Any = client("s3")
    marked = 0
    for key in keys:
        s3.copy_object(
            Bucket=bucket,
            Key=key,
            CopySource={"Bucket": bucket, "Key": key},
            # S3 refuses a copy onto itself that changes nothing but tags; the end time is the
            # change (and a useful one to read back).
            MetadataDirective="REPLACE",
            Metadata={"run-ended-at": str(ended)},
            TaggingDirective="REPLACE",
            Tagging=ENDED_TAG,
        )
        marked += 1
    return marked


def expire_run_items(table: str, run_id: str, ttl: int) -> list[str]:
    """Give every item of the run's partition (its steps; the run item gets its ``ttl`` in the
    update that ends the run) the ``ttl``, and return the S3 keys the items point at (the run's
    event and output, large step outputs). One ``Query`` per MB of the partition and one
    ``BatchWriteItem`` per 25 items; the run has ended, so nothing writes the items meanwhile."""
    ddb: Any = client("dynamodb")
    items: list[dict[str, Any]] = []
    query: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"RUN#{run_id}"}},
        "ConsistentRead": True,
    }
    while True:
        page = ddb.query(**query)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    keys = sorted(
        {
            cell["S"]
            for item in items
            for name, cell in item.items()
            if (name == "blob" or name.endswith("_blob")) and "S" in cell
        }
    )
    puts = [
        {"PutRequest": {"Item": {**item, "ttl": {"N": str(ttl)}}}}
        for item in items
        if item.get("sk", {}).get("S") != "RUN"
    ]
    for start in range(0, len(puts), 25):
        _write_all(ddb, table, puts[start : start + 25])
    return keys


def _write_all(ddb: Any, table: str, requests: list[dict[str, Any]]) -> None:
    pending = {table: requests}
    for attempt in range(8):
        left = ddb.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        if not left:
            return
        pending = left
        time.sleep(0.05 * 2**attempt)  # DynamoDB asks to back off before resending
    raise RuntimeError(f"DynamoDB left {len(pending[table])} retention writes unprocessed")
