"""GIVEN the stack's embedded moto
WHEN a partition is queried again and again (as a publisher reads its subscribers every second)
THEN moto keeps no copy of the items it answered with (``stop_instance_tracking``).

moto 5.2.5 appends every model object it makes to its class's ``instances_tracked`` and never
lets go, and each Query makes a copy of every item it returns: 20 queries of 100 items left
2,100 ``Item`` objects alive, and the soak's dev process grew for as long as it ran."""

from __future__ import annotations

import gc

import boto3
from moto.dynamodb.models.dynamo_type import Item

from tests.devstack._dynamodb_support import pk_sk_table
from tests.support.aws import MotoEndpoint


def _live_items() -> int:
    gc.collect()
    return sum(1 for o in gc.get_objects() if isinstance(o, Item))


def test_queries_leave_no_item_copies_behind(moto_endpoint: MotoEndpoint) -> None:
    ddb = boto3.client(
        "dynamodb",
        endpoint_url=moto_endpoint.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    table = pk_sk_table(ddb, "history")
    for n in range(100):
        ddb.put_item(TableName=table, Item={"pk": {"S": "channel"}, "sk": {"S": f"{n:03}"}})
    before = _live_items()

    for _ in range(20):
        page = ddb.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": "channel"}},
        )
        assert len(page["Items"]) == 100

    # Unpatched: 2,000 more. Other tests' clients may run meanwhile in this process, hence
    # the margin; it is far below one query's worth of copies.
    assert _live_items() - before < 50
    ddb.delete_table(TableName=table)
