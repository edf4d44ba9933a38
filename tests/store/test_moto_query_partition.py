"""GIVEN the embedded moto, whose DynamoDB Query reads only the partition it names (the stack's
patch: moto itself sorts the whole table per Query) WHEN base-table and GSI queries run, forward
and backward, filtered and paged THEN they answer exactly as DynamoDB does: the partition's
items in sort-key order, the index's in its key order, pages that join up without a gap or a
repeat; and a Scan still sees every item."""

from __future__ import annotations

from typing import Any

from stepstream.aws import client
from stepstream.local import Provisioned


def _pages(**query: Any) -> list[list[str]]:
    pages, start = [], None
    while True:
        page = client("dynamodb").query(**query, **({"ExclusiveStartKey": start} if start else {}))
        pages.append([item["sk"]["S"] for item in page["Items"]])
        start = page.get("LastEvaluatedKey")
        if start is None:
            return pages


def test_queries_read_their_partition_in_order_and_page(aws: Provisioned) -> None:
    from moto.dynamodb.models.table import Table

    assert Table.query.__qualname__.startswith("patch_queries"), "the stack's moto is patched"
    table = aws.environment["STEPSTREAM_STATE_TABLE"]
    ddb = client("dynamodb")
    for p in range(5):
        for n in (3, 0, 4, 1, 2):  # written out of order
            item = {"pk": {"S": f"QT#{p}"}, "sk": {"S": f"s{n}"}, "n": {"N": str(n)}}
            if p == 2:
                item |= {"gsi1pk": {"S": "QT-INDEX"}, "gsi1sk": {"S": f"i{4 - n}"}}
            ddb.put_item(TableName=table, Item=item)

    forward = _pages(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "QT#3"}},
        Limit=2,
    )
    assert forward == [["s0", "s1"], ["s2", "s3"], ["s4"]]
    backward = _pages(
        TableName=table,
        KeyConditionExpression="pk = :p AND begins_with(sk, :s)",
        ExpressionAttributeValues={":p": {"S": "QT#1"}, ":s": {"S": "s"}, ":odd": {"N": "1"}},
        FilterExpression="n = :odd",
        ScanIndexForward=False,
    )
    assert backward == [["s1"]]
    assert _pages(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "QT#none"}},
    ) == [[]]
    indexed = _pages(
        TableName=table,
        IndexName="gsi1",
        KeyConditionExpression="gsi1pk = :p",
        ExpressionAttributeValues={":p": {"S": "QT-INDEX"}},
        Limit=3,
    )
    assert indexed == [["s4", "s3", "s2"], ["s1", "s0"]]  # by gsi1sk: i0 (s4) first
    scanned = client("dynamodb").scan(
        TableName=table,
        FilterExpression="begins_with(pk, :p)",
        ExpressionAttributeValues={":p": {"S": "QT#"}},
    )
    assert len(scanned["Items"]) == 25
