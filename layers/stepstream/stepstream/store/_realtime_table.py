"""The realtime table's plumbing, shared by its item families: which table, the request counter,
paged consistent queries and batched writes."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from .. import _aws
from .._config import Settings
from ._dynamo import Item

_BATCH = 25  # BatchWriteItem's limit

RequestCounter = Callable[[str], None]
"""Called with the operation name before each DynamoDB request (benchmarks count them)."""


class RealtimeTable:
    """The realtime table (``STEPSTREAM_REALTIME_TABLE`` unless named)."""

    def __init__(self, table: str | None = None, *, on_request: RequestCounter | None = None):
        self.table = table or Settings.from_env().realtime_table
        self._on_request = on_request

    def _db(self, operation: str) -> Any:
        if self._on_request is not None:
            self._on_request(operation)
        return _aws.client("dynamodb")

    def _get(self, key: Item) -> Item | None:
        """One consistent ``GetItem``: the item, or ``None``."""
        item: Item | None = (
            self._db("GetItem")
            .get_item(TableName=self.table, Key=key, ConsistentRead=True)
            .get("Item")
        )
        return item

    def _query(self, **kwargs: Any) -> Iterable[Item]:
        """One consistent ``Query``, and another per 1 MB page."""
        while True:
            page = self._db("Query").query(TableName=self.table, ConsistentRead=True, **kwargs)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        """``BatchWriteItem``s of 25, each retried until DynamoDB has processed all of it."""
        for start in range(0, len(requests), _BATCH):
            pending = {self.table: requests[start : start + _BATCH]}
            for attempt in range(8):
                result = self._db("BatchWriteItem").batch_write_item(RequestItems=pending)
                pending = result.get("UnprocessedItems") or {}
                if not pending:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))  # back off as DynamoDB asks
            else:
                raise RuntimeError("DynamoDB left writes unprocessed after 8 attempts")
