"""GIVEN a connection that answered 410 Gone to one fan-out invocation WHEN later shard messages
(already queued, or from a publisher whose subscriber list is still cached) name it again THEN
the same execution environment neither posts to it nor removes it again (API Gateway never
reuses a connection id), while live connections of the same messages still get every frame;
and the memory of gone connections is bounded."""

from __future__ import annotations

from typing import Any

from stepstream.local import Provisioned, RunningGateway
from stepstream.realtime import _shard_fanout
from stepstream.realtime._shard_fanout import ShardFanout
from stepstream.realtime._shards import shard_of
from stepstream.store import ConnectionsApi, ConnectionStore

from ._shard_records import shard_record

CHANNEL = "gone:c"
GHOSTS = [f"ghost{n}" for n in range(400) if shard_of(f"ghost{n}", 1) == 0][:3]


class CountingStore(ConnectionStore):
    """The real store, counting the removals it is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.removed: list[str] = []

    def remove_connection(self, connection_id: str) -> None:
        self.removed.append(connection_id)
        super().remove_connection(connection_id)


class CountingApi(ConnectionsApi):
    """The real ``@connections`` client, counting the posts per connection."""

    def __init__(self) -> None:
        super().__init__()
        self.posts: list[str] = []

    def post(self, connection_id: str, data: bytes) -> bool:
        self.posts.append(connection_id)
        return super().post(connection_id, data)


def test_a_gone_connection_is_forgotten_once_per_environment(
    aws: Provisioned, gateway: RunningGateway
) -> None:
    store, api = CountingStore(), CountingApi()
    fanout = ShardFanout(store, lambda: api, concurrency=4)
    for seq in range(1, 4):  # three invocations naming the same gone connections
        report = fanout.handle([shard_record(CHANNEL, seq, GHOSTS)])
        assert report.response() == {"batchItemFailures": []}
    assert sorted(store.removed) == sorted(GHOSTS)  # each removed once, not once per frame
    assert sorted(api.posts) == sorted(GHOSTS)  # and posted to once: the post that found it gone


def test_the_memory_of_gone_connections_is_bounded(
    aws: Provisioned, gateway: RunningGateway, monkeypatch: Any
) -> None:
    monkeypatch.setattr(_shard_fanout, "REMEMBERED_GONE", 2)
    store, api = CountingStore(), CountingApi()
    fanout = ShardFanout(store, lambda: api, concurrency=1)
    fanout.handle(
        [shard_record(CHANNEL, 1, GHOSTS)]
    )  # three gone; only the last two are remembered
    fanout.handle([shard_record(CHANNEL, 2, GHOSTS)])
    assert sorted(store.removed) == sorted([*GHOSTS, GHOSTS[0]])  # the oldest forgotten again
