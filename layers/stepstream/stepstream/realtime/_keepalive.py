"""Server-side keepalive: a ``{"kind":"ping"}`` to every open connection every few minutes.

API Gateway closes a WebSocket after 10 minutes without a message, and the official Inngest
client never sends one, so a quiet channel would lose its subscribers. The scheduler Lambda runs
:func:`sweep_keepalive` every minute. Connections are listed in ``CONNS#<shard>`` partitions
(written by ``$connect``, removed on ``$disconnect`` and 410), and each minute sweeps the shards
whose number matches the minute modulo :data:`PING_EVERY_MINUTES`: every connection is pinged
once per :data:`PING_EVERY_MINUTES` minutes whatever else it received (knowing which ones had
traffic would cost a write per post), and one missed tick still leaves it under 10 minutes.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from ..store import CONNECTION_SHARDS, ConnectionsApi, ConnectionStore
from ._frames import PING, dumps

PING_EVERY_MINUTES = 4
"""Each connection is pinged once in this many minutes (API Gateway's idle limit is 10)."""
_PING = dumps(PING).encode("utf-8")
_log = logging.getLogger("stepstream.realtime")


@dataclass(frozen=True)
class SweepResult:
    """What one sweep did."""

    shards: tuple[int, ...]
    """The ``CONNS#`` shards it read."""
    pinged: int
    """Connections that accepted the ping."""
    gone: int
    """Connections that answered 410 Gone and were forgotten."""
    failed: int
    """Posts that failed otherwise (logged; the next sweep tries again)."""


def shards_due(minute: int) -> tuple[int, ...]:
    """The shards to sweep in epoch minute ``minute``: each one comes up every
    :data:`PING_EVERY_MINUTES` minutes."""
    slot = minute % PING_EVERY_MINUTES
    return tuple(s for s in range(CONNECTION_SHARDS) if s % PING_EVERY_MINUTES == slot)


def sweep_keepalive(
    now: datetime | None = None,
    *,
    store: ConnectionStore | None = None,
    api: ConnectionsApi | None = None,
    workers: int = 16,
) -> SweepResult:
    """Ping the open connections of the shards due in the minute of ``now`` (default: this
    minute), concurrently; forget the ones that answer 410. Makes no ``Scan``: one ``Query`` per
    shard. Without a ``@connections`` URL (no WebSocket API configured) there is nothing to ping."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    shards = shards_due(int(moment.timestamp()) // 60)
    if api is None:
        try:
            api = ConnectionsApi()
        except ValueError as exc:
            _log.info("keepalive sweep skipped: %s", exc)
            return SweepResult(shards, 0, 0, 0)
    store = store or ConnectionStore()
    connection_ids = [c.connection_id for s in shards for c in store.open_connections(s)]
    if not connection_ids:
        return SweepResult(shards, 0, 0, 0)
    poster = api

    def ping(connection_id: str) -> str:
        try:
            if poster.post(connection_id, _PING):
                return "pinged"
            store.remove_connection(connection_id)
            return "gone"
        except Exception as exc:  # one bad connection must not stop the sweep
            _log.warning("keepalive ping to %s failed: %s", connection_id, exc)
            return "failed"

    with ThreadPoolExecutor(max(1, min(workers, len(connection_ids)))) as pool:
        outcomes = list(pool.map(ping, connection_ids))
    return SweepResult(
        shards, outcomes.count("pinged"), outcomes.count("gone"), outcomes.count("failed")
    )
