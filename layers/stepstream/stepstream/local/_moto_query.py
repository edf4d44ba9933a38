"""moto's DynamoDB Query at the cost of the partition it reads, not of the whole table.

moto (5.2) answers every Query by sorting *every* item of the table (``Table.all_items``, a
Python-level comparison per pair) and then filtering it: a Query on one run's steps costs
O(n log n) in the table's size, 15 times a GetItem at 5,000 items, and it grows as a local stack
or a test fills its table. DynamoDB reads only the partition. Under the embedded server's
DynamoDB lock (``_moto_server``) that cost is paid one request at a time, so it capped the 500-run
flow fault test at a few invocations a second.

The patch hands ``Table.query`` only what it reads anyway: a base-table Query gets the items
of its partition, a GSI Query every item unsorted (``query`` sorts its candidates itself, by the
index's keys then the table's, a total order, so the result and its pages are the same).
Scans and everything else still see ``all_items`` as moto made it.

A base-table Query also gets its partition already in range-key order, sorted on each key's
value (moto's own sort then finds it sorted: one comparison per item instead of n log n
``DynamoType.__lt__`` calls), and, when it names a range-key condition, only the items that meet
it: moto would skip the others anyway, after computing each one's size. Under ``bench.soak``
(a channel of 1,000 subscriptions, 500 frames of history, 500 sockets replaying it) those sorts
and sizes were the largest share of the dev process's GIL."""

from __future__ import annotations

import inspect
import threading
from typing import Any

_installed = threading.Lock()
_patched = False
_scope = threading.local()
"""The table (and partition) the current thread's Query is reading, while it runs."""


def patch_queries() -> None:
    """Install the patch into moto's DynamoDB models (once per process)."""
    global _patched
    with _installed:
        if _patched:
            return
        from moto.dynamodb.models.table import Table

        original_query = Table.query
        original_all_items = Table.all_items
        signature = inspect.signature(original_query)

        def query(self: Any, *args: Any, **kwargs: Any) -> Any:
            bound = signature.bind(self, *args, **kwargs).arguments
            _scope.reading = (
                self,
                bound.get("index_name"),
                bound.get("hash_key"),
                None if bound.get("range_key_conditions") else bound.get("range_comparison"),
                bound.get("range_objs"),
            )
            try:
                return original_query(self, *args, **kwargs)
            finally:
                _scope.reading = None

        def all_items(self: Any) -> Any:
            reading = getattr(_scope, "reading", None)
            if reading is None or reading[0] is not self:
                return original_all_items(self)
            _, index_name, hash_key, range_comparison, range_objs = reading
            if index_name:
                return _unsorted(self)
            found = self.items.get(hash_key) if hash_key is not None else None
            if found is None:
                return []
            if not self.range_key_attr:
                return [found]
            items = list(found.values())
            if range_comparison:
                items = [i for i in items if i.range_key.compare(range_comparison, range_objs)]
            # The same order as moto's sort (DynamoType.__lt__ compares cast_value), stable too.
            items.sort(key=lambda item: item.range_key.cast_value)
            return items

        Table.query = query  # type: ignore[method-assign]
        Table.all_items = all_items  # type: ignore[method-assign]
        _patched = True


def _unsorted(table: Any) -> list[Any]:
    if not table.range_key_attr:
        return list(table.items.values())
    return [item for partition in table.items.values() for item in partition.values()]
