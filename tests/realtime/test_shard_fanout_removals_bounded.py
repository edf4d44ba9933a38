"""GIVEN a fan-out invocation whose shard names 100 connections that are all gone (half a
channel's sockets dropped at once) WHEN it posts with 256 posts in flight THEN it removes them
from DynamoDB at most ``REMOVALS_IN_FLIGHT`` at a time, within the shared DynamoDB client's
connection pool, so no connection is opened and thrown away ("Connection pool is full", a new
TLS connection per call on AWS); every one is still removed."""

from __future__ import annotations

import logging
import threading
import time

import pytest

from stepstream.local import Provisioned, RunningGateway
from stepstream.realtime._shard_fanout import REMOVALS_IN_FLIGHT, ShardFanout
from stepstream.store import ConnectionsApi, ConnectionStore

from ._shard_records import shard_record

CHANNEL = "gone:many"
GHOSTS = [f"ghost{n}" for n in range(100)]


class OverlapStore(ConnectionStore):
    """The real store, recording how many removals run at once."""

    def __init__(self) -> None:
        super().__init__()
        self.removed: list[str] = []
        self.running = self.most = 0
        self._lock = threading.Lock()

    def remove_connection(self, connection_id: str) -> None:
        with self._lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            time.sleep(0.05)  # holds the slot long enough for the others to pile up behind it
            super().remove_connection(connection_id)
            self.removed.append(connection_id)
        finally:
            with self._lock:
                self.running -= 1


def test_gone_connections_are_removed_within_the_client_pool(
    aws: Provisioned, gateway: RunningGateway, caplog: pytest.LogCaptureFixture
) -> None:
    store = OverlapStore()
    fanout = ShardFanout(store, lambda: ConnectionsApi(pool=256), concurrency=256)
    with caplog.at_level(logging.WARNING, logger="urllib3"):
        report = fanout.handle([shard_record(CHANNEL, 1, GHOSTS)])
    assert sorted(report.gone) == sorted(GHOSTS)
    assert sorted(store.removed) == sorted(GHOSTS)
    assert 1 < store.most <= REMOVALS_IN_FLIGHT
    assert not [r for r in caplog.records if "Connection pool is full" in r.getMessage()]
