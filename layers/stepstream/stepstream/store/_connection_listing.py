"""``CONNS#<shard>`` / ``<connection id>``: every open connection, in a few fixed partitions,
so the keepalive sweep lists them with one ``Query`` per shard instead of a table scan.

The listing item is written and deleted together with the connection's subscriptions (see
``_subscriptions``); this module only reads it."""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass

from ._dynamo import Item, _key
from ._realtime_table import RealtimeTable

CONNECTION_SHARDS = 8
"""Partitions of the ``CONNS#`` listing: enough to spread writes, few enough to sweep cheaply."""


def connection_shard(connection_id: str) -> int:
    """The ``CONNS#`` partition of a connection: a stable hash (``hash()`` is salted per
    process), so every Lambda finds the same one."""
    return zlib.crc32(connection_id.encode("utf-8")) % CONNECTION_SHARDS


def listing_key(connection_id: str) -> Item:
    """The key of the connection's ``CONNS#`` item."""
    return _key(f"CONNS#{connection_shard(connection_id)}", connection_id)


@dataclass(frozen=True)
class OpenConnection:
    """One entry of the ``CONNS#`` listing."""

    connection_id: str
    """API Gateway's connection id."""
    expires_at: int
    """Epoch seconds after which API Gateway has closed it for sure (its 2 h limit)."""


class ConnectionListing(RealtimeTable):
    """Reads the ``CONNS#`` listing."""

    def open_connections(self, shard: int) -> list[OpenConnection]:
        """The unexpired connections listed in ``CONNS#<shard>`` (one ``Query``, paged)."""
        if not 0 <= shard < CONNECTION_SHARDS:
            raise ValueError(f"shard must be in 0..{CONNECTION_SHARDS - 1}, got {shard}")
        now = int(time.time())
        found = []
        for item in self._query(
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": f"CONNS#{shard}"}},
        ):
            expires_at = int(item.get("expires_at", {"N": "0"})["N"])
            if expires_at > now:  # TTL deletes lazily
                found.append(OpenConnection(item["sk"]["S"], expires_at))
        return found
