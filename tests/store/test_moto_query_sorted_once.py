"""GIVEN a partition of 400 items written in shuffled order in the embedded moto
WHEN it is queried with and without a sort-key condition, forward, backward and paged
THEN the answers are DynamoDB's (sort-key order, only the items the condition admits, pages that
join up), and moto compares sort keys about once per item rather than n log n times: the stack's
patch hands it the partition already sorted and filtered (``local/_moto_query.py``)."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from stepstream.aws import client
from stepstream.local import Provisioned

ITEMS = 400


@contextmanager
def comparisons() -> Iterator[list[int]]:
    """Count ``DynamoType.__lt__`` calls (moto's sort) while inside."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    less_than = DynamoType.__lt__
    count = [0]
    lock = threading.Lock()

    def counted(self: Any, other: Any) -> bool:
        with lock:
            count[0] += 1
        return less_than(self, other)

    DynamoType.__lt__ = counted  # type: ignore[method-assign]
    try:
        yield count
    finally:
        DynamoType.__lt__ = less_than  # type: ignore[method-assign]


def _keys(**query: Any) -> list[str]:
    keys, start = [], None
    while True:
        page = client("dynamodb").query(**query, **({"ExclusiveStartKey": start} if start else {}))
        keys += [item["sk"]["S"] for item in page["Items"]]
        start = page.get("LastEvaluatedKey")
        if start is None:
            return keys


def test_a_partition_is_sorted_once_and_filtered_before_moto_walks_it(aws: Provisioned) -> None:
    table = aws.environment["STEPSTREAM_STATE_TABLE"]
    names = [f"k{n:04d}" for n in range(ITEMS)]
    for name in random.Random(7).sample(names, len(names)):
        client("dynamodb").put_item(
            TableName=table, Item={"pk": {"S": "QS#1"}, "sk": {"S": name}, "v": {"S": "x" * 50}}
        )
    partition = {"TableName": table, "ExpressionAttributeValues": {":p": {"S": "QS#1"}}}

    with comparisons() as counted:
        everything = _keys(**partition, KeyConditionExpression="pk = :p")
    assert everything == names
    assert counted[0] <= 2 * ITEMS  # moto's sort of a sorted list; n log n would be ~3,500

    after = _keys(
        TableName=table,
        KeyConditionExpression="pk = :p AND sk > :after",
        ExpressionAttributeValues={":p": {"S": "QS#1"}, ":after": {"S": "k0389"}},
    )
    assert after == names[390:]
    between = _keys(
        TableName=table,
        KeyConditionExpression="pk = :p AND sk BETWEEN :a AND :b",
        ExpressionAttributeValues={":p": {"S": "QS#1"}, ":a": {"S": "k0100"}, ":b": {"S": "k0139"}},
        Limit=7,
    )
    assert between == names[100:140]
    backward = _keys(
        TableName=table,
        KeyConditionExpression="pk = :p AND sk < :before",
        ExpressionAttributeValues={":p": {"S": "QS#1"}, ":before": {"S": "k0010"}},
        ScanIndexForward=False,
        Limit=3,
    )
    assert backward == names[9::-1]
