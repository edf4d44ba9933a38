"""The embedded moto under concurrent DynamoDB writes (``local/_moto_server.py``).

Unpatched, moto 5's ``TransactWriteItems`` deep-copies every table it names while other request
threads write to them, and fails with ``RuntimeError: dictionary changed size during iteration``
(HTTP 500): between 2 and 82 of the first test's 240 requests on a 2-core machine, retries off.
A cancelled transaction must still leave every item as it was."""

from __future__ import annotations

import threading
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.devstack._dynamodb_support import pk_sk_table
from tests.support.aws import MotoEndpoint


def _client(url: str) -> Any:
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        # no retries: a request moto fails must show here, not be hidden by botocore
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, max_pool_connections=16),
    )


def test_concurrent_transactions_and_writes_all_succeed(moto_endpoint: MotoEndpoint) -> None:
    db = _client(moto_endpoint.url)
    table = pk_sk_table(db, "tx")
    for start in range(0, 5000, 25):  # a table big enough that copying it takes a while
        db.batch_write_item(
            RequestItems={
                table: [
                    {"PutRequest": {"Item": {"pk": {"S": "seed"}, "sk": {"S": f"{n:05d}"}}}}
                    for n in range(start, start + 25)
                ]
            }
        )
    errors: list[Exception] = []

    def writer(worker: int) -> None:
        for n in range(30):
            item = {"pk": {"S": f"w{worker}"}, "sk": {"S": f"{n:03d}"}}
            try:
                if n % 2:
                    db.put_item(TableName=table, Item=item)
                else:
                    db.transact_write_items(
                        TransactItems=[
                            {
                                "Put": {
                                    "TableName": table,
                                    "Item": item,
                                    "ConditionExpression": "attribute_not_exists(pk)",
                                }
                            }
                        ]
                    )
            except Exception as exc:  # collected: a thread's exception would be lost
                errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    written = sum(
        db.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"w{w}"}},
            Select="COUNT",
        )["Count"]
        for w in range(8)
    )
    assert written == 8 * 30


def test_cancelled_transaction_leaves_every_item_as_it_was(moto_endpoint: MotoEndpoint) -> None:
    db = _client(moto_endpoint.url)
    table = pk_sk_table(db, "tx")
    kept = {
        "pk": {"S": "a"},
        "sk": {"S": "kept"},
        "n": {"N": "1"},
        "doc": {"M": {"list": {"L": [{"S": "x"}, {"N": "2"}]}, "blob": {"B": b"\x00\xff"}}},
    }
    db.put_item(TableName=table, Item=kept)

    with pytest.raises(ClientError) as refused:
        db.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": "a"}, "sk": {"S": "new"}}}},
                {
                    "Update": {
                        "TableName": table,
                        "Key": {"pk": {"S": "a"}, "sk": {"S": "kept"}},
                        "UpdateExpression": "SET n = :two REMOVE doc",
                        "ExpressionAttributeValues": {":two": {"N": "2"}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": {"pk": {"S": "a"}, "sk": {"S": "absent"}},
                        "ConditionExpression": "attribute_exists(pk)",
                    }
                },
            ]
        )

    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    key = {"pk": {"S": "a"}, "sk": {"S": "kept"}}
    assert db.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"] == kept
    new = {"pk": {"S": "a"}, "sk": {"S": "new"}}
    assert "Item" not in db.get_item(TableName=table, Key=new, ConsistentRead=True)


def test_a_committed_transaction_writes_everything(moto_endpoint: MotoEndpoint) -> None:
    db = _client(moto_endpoint.url)
    table = pk_sk_table(db, "tx")
    db.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "b"}, "sk": {"S": str(n)}}}}
            for n in range(3)
        ]
    )
    count = db.query(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": "b"}},
        Select="COUNT",
    )["Count"]
    assert count == 3
