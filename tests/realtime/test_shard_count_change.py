"""GIVEN a sharded channel whose subscriber count changes between publishes, THEN the bound that
docs/realtime.md ("Fan-out past one Lambda", Order) states holds: a connection changes message
group only when the channel's shard count changes, every message of the frames before a change is
sent before any of the frames after it (so only a frame still queued in the old group can be
overtaken, and only by frames published after the change), and the count does not flip while the
subscribers hover around a boundary, nor the channel between the queue and direct posts while
they hover around the threshold."""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Sequence
from typing import Any

from stepstream.realtime._fanout import Fanout, Sharding
from stepstream.realtime._shards import shard_of
from stepstream.store import Subscription
from stepstream.store._fanout_queue import FanoutEntry

SHARD_SIZE = 128
THRESHOLD = 500


class _Store:
    """A channel whose subscribers the test sets before each publish."""

    def __init__(self) -> None:
        self.count = 0

    def subscribers(self, channel: str) -> list[Subscription]:
        return [
            Subscription(f"c{n:05}", channel, frozenset({"t"}), expires_at=2**40, coalesce=True)
            for n in range(self.count)
        ]

    def remove_connection(self, connection_id: str) -> None:
        pass

    def keep(self, channel: str, frames: Sequence[dict[str, Any]], *, ttl: int) -> None:
        pass


class _Queue:
    def __init__(self) -> None:
        self.sent: list[FanoutEntry] = []
        self._lock = threading.Lock()

    def send(self, entries: Sequence[FanoutEntry]) -> None:
        with self._lock:
            self.sent.extend(entries)


class _Poster:
    def __init__(self) -> None:
        self.posted: set[str] = set()

    def post(self, connection_id: str, data: bytes) -> bool:
        self.posted.add(connection_id)
        return True


def _publisher() -> tuple[Fanout, _Store, _Queue, _Poster]:
    store, queue, poster = _Store(), _Queue(), _Poster()
    sharding = Sharding(queue, threshold=THRESHOLD, shard_size=SHARD_SIZE)
    fanout = Fanout(store, lambda: poster, cache_seconds=0, workers=4, sharding=sharding)
    return fanout, store, queue, poster


def _publish(fanout: Fanout, store: _Store, subscribers: int, seq: int) -> None:
    store.count = subscribers
    frame = {"kind": "data", "channel": "wide", "topic": "t", "data": seq, "seq": seq, "id": seq}
    fanout.submit("wide", frame, topic="t", keep_until=None)
    fanout.flush(timeout=30)


def _shard_counts(entries: list[FanoutEntry]) -> dict[int, set[int]]:
    """seq -> the shard counts its messages used."""
    found: dict[int, set[int]] = {}
    for entry in entries:
        found.setdefault(json.loads(entry.body)["seq"], set()).add(
            int(entry.attributes["shards"]["StringValue"])
        )
    return found


def test_a_connection_changes_group_only_with_the_count_and_after_every_earlier_frame() -> None:
    fanout, store, queue, _ = _publisher()
    # GIVEN 600 subscribers (8 shards), THEN 1,100 (16 shards)
    for seq, subscribers in enumerate([600, 600, 1100, 1100], start=1):
        _publish(fanout, store, subscribers, seq)
    fanout.close()
    assert _shard_counts(queue.sent) == {1: {8}, 2: {8}, 3: {16}, 4: {16}}
    # THEN each connection's frames, in the order the queue took them, change group once at most
    groups: dict[str, list[tuple[int, str]]] = {}
    for entry in queue.sent:
        seq = json.loads(entry.body)["seq"]
        for connection_id, _ in json.loads(entry.attributes["connections"]["StringValue"]):
            groups.setdefault(connection_id, []).append((seq, entry.group))
            shards = int(entry.attributes["shards"]["StringValue"])
            assert entry.group.endswith(f".{shards}.{shard_of(connection_id, shards)}")
    for connection_id, seen in groups.items():
        assert [seq for seq, _ in seen] == sorted(seq for seq, _ in seen), connection_id
        changes = sum(1 for a, b in itertools.pairwise(seen) if a[1] != b[1])
        assert changes <= 1, connection_id
    # AND every message of the frames before the change was sent before any after it
    seqs = [json.loads(entry.body)["seq"] for entry in queue.sent]
    assert seqs == sorted(seqs)


def test_the_count_holds_while_subscribers_hover_around_a_boundary() -> None:
    fanout, store, queue, _ = _publisher()
    # 1,100 wants 16 shards, 1,000 wants 8: once at 16, it stays until a quarter would do
    for seq, subscribers in enumerate([1100, 1000, 1100, 1000, 900, 520], start=1):
        _publish(fanout, store, subscribers, seq)
    fanout.close()
    counts = _shard_counts(queue.sent)
    assert [counts[seq] for seq in range(1, 7)] == [{16}, {16}, {16}, {16}, {16}, {16}]
    # (520 subscribers want 8 shards: still more than a quarter of 16)


def test_the_count_shrinks_when_a_quarter_would_do() -> None:
    fanout, store, queue, _ = _publisher()
    for seq, subscribers in enumerate([2000, 512], start=1):
        _publish(fanout, store, subscribers, seq)
    fanout.close()
    assert _shard_counts(queue.sent) == {1: {16}, 2: {4}}


def test_a_sharded_channel_stays_on_the_queue_until_half_the_threshold() -> None:
    fanout, store, queue, poster = _publisher()
    # GIVEN a channel that went over the threshold
    _publish(fanout, store, 600, 1)
    # WHEN it falls a little under it, THEN its frames still go through the queue
    _publish(fanout, store, 400, 2)
    _publish(fanout, store, 250, 3)
    assert set(_shard_counts(queue.sent)) == {1, 2, 3}
    assert not poster.posted
    # AND under half of it, the publisher posts them itself
    _publish(fanout, store, 249, 4)
    fanout.close()
    assert set(_shard_counts(queue.sent)) == {1, 2, 3}
    assert len(poster.posted) == 249
    # AND a channel never sharded is posted directly up to the threshold
    fresh, fresh_store, fresh_queue, fresh_poster = _publisher()
    _publish(fresh, fresh_store, 499, 1)
    fresh.close()
    assert not fresh_queue.sent
    assert len(fresh_poster.posted) == 499
