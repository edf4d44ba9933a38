"""bench.cost's UnitCounter counts DynamoDB write units from the request botocore really sends.

Its hook runs on ``before-call``, which sees the serialized request, not the API parameters: an
earlier version read ``TransactItems`` from the wrong dict and priced every transaction at 0
write units."""

from __future__ import annotations

from bench.cost import UnitCounter
from stepstream.aws import session
from stepstream.local import Provisioned


def test_transactions_and_batches_are_counted_by_item(aws: Provisioned) -> None:
    table = next(iter(aws.tables.values()))
    counter = UnitCounter()
    ddb = session().client("dynamodb")
    ddb.meta.events.register("before-call.dynamodb", counter)
    items = [{"pk": {"S": f"unit-counter-{n}"}, "sk": {"S": "x"}} for n in range(3)]

    ddb.transact_write_items(
        TransactItems=[{"Put": {"TableName": table, "Item": i}} for i in items]
    )
    ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": i}} for i in items[:2]]})
    ddb.put_item(TableName=table, Item=items[0])

    requests, write_units, _ = counter.take()
    assert requests["dynamodb:TransactWriteItems"] == 1
    assert write_units == 2 * 3 + 2 + 1
