"""GIVEN items holding every DynamoDB attribute type in the embedded moto
WHEN they are read with Query (paged, with consumed capacity), Scan, GetItem (found and not)
and BatchGetItem
THEN each response was written directly as JSON (``local/_moto_reads.py``), its body parses to
exactly what moto's own serializer writes for the same result, and boto3 reads back the items
as they were put."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from stepstream.local import _moto_reads
from tests.devstack._dynamodb_support import pk_sk_table
from tests.support.aws import MotoEndpoint

ITEM: dict[str, Any] = {
    "s": {"S": 'text with "quotes", \\ and ünïcode \u2028'},
    "n": {"N": "-1.50"},
    "b": {"B": b"\x00\xff binary"},
    "t": {"BOOL": True},
    "z": {"NULL": True},
    "m": {"M": {"deep": {"L": [{"S": "x"}, {"N": "2"}, {"M": {}}, {"L": []}]}}},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2.5"]},
    "bs": {"BS": [b"\x01", b"\x02"]},
}


@pytest.fixture
def dynamodb(moto_endpoint: MotoEndpoint) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=moto_endpoint.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_reads_are_written_as_moto_writes_them(
    dynamodb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from moto.core.responses import ActionResult
    from moto.dynamodb.responses import DynamoResult

    table = pk_sk_table(dynamodb, "reads")
    for n in range(5):
        key = {"pk": {"S": "p"}, "sk": {"S": f"{n:02d}"}}
        dynamodb.put_item(TableName=table, Item={**key, **ITEM})

    compared: list[str] = []
    patched = DynamoResult.execute_result

    def both(self: Any, context: Any) -> Any:
        direct = patched(self, context)
        if context.operation_model.name in _moto_reads.READS:
            by_moto = ActionResult.execute_result(self, context)
            assert direct[0] == by_moto[0]
            assert direct[1] == by_moto[1]
            assert json.loads(direct[2]) == json.loads(by_moto[2])
            compared.append(context.operation_model.name)
        return direct

    monkeypatch.setattr(DynamoResult, "execute_result", both)
    before = _moto_reads.written_directly
    key = {"pk": {"S": "p"}, "sk": {"S": "00"}}
    page = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
        Limit=2,
        ReturnConsumedCapacity="TOTAL",
    )
    assert page["Count"] == 2
    assert "LastEvaluatedKey" in page
    assert page["Items"][0] == {**key, **ITEM}
    scanned = dynamodb.scan(TableName=table)
    assert len(scanned["Items"]) == 5
    assert dynamodb.get_item(TableName=table, Key=key)["Item"] == {**key, **ITEM}
    assert "Item" not in dynamodb.get_item(TableName=table, Key={**key, "sk": {"S": "zz"}})
    batch = dynamodb.batch_get_item(RequestItems={table: {"Keys": [key]}})
    assert batch["Responses"][table] == [{**key, **ITEM}]
    counted = dynamodb.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
        Select="COUNT",
    )
    assert counted["Count"] == 5
    assert "Items" not in counted

    assert compared == ["Query", "Scan", "GetItem", "GetItem", "BatchGetItem", "Query"]
    assert _moto_reads.written_directly - before == len(compared)


def test_a_result_json_cannot_write_goes_to_moto() -> None:
    assert _moto_reads.body_of({"Items": [{"when": object()}]}) is None
    assert _moto_reads.body_of(["not", "a", "dict"]) is None
    assert _moto_reads.body_of({"Item": {"b": {"B": b"\x00"}}}) == '{"Item": {"b": {"B": "AA=="}}}'
