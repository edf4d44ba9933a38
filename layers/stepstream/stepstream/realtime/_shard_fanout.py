"""The fan-out function's work: post a batch of shard messages to their shards' connections.

A batch (Lambda's SQS event) holds messages of one or more FIFO groups, one group per shard, in
each group's order. Per shard: one ``Query`` of its range of the channel's connection index, then
every connection of the shard gets the batch's frames it wants, in order, one post after the
other (coalesced into ``batch`` frames for a connection that asked, as the publisher's lanes do);
different connections, and different shards, are posted to concurrently. A 410 forgets the
connection; any other failed post is logged and that frame skipped, as in the publisher.

A shard whose ``Query`` fails is reported in ``batchItemFailures`` (all of its messages, so SQS
gives them back in order); the others are acknowledged. A message this version did not write is
refused: logged with the reason and acknowledged, since the same bytes would be refused again.
"""

from __future__ import annotations

import contextvars
import json
import logging
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..store import Subscription
from ._fanout import Poster
from ._frames import coalesce
from ._shards import ShardMessage, ShardMessageError, shard_of, sort_key_range

_log = logging.getLogger("stepstream.realtime")
DEFAULT_CONCURRENCY = 64
"""Posts in flight per invocation: a shard of ~128 connections is two round trips."""


class ShardStore(Protocol):
    def subscribers_between(self, channel: str, low: str, high: str) -> list[Subscription]: ...
    def remove_connection(self, connection_id: str) -> None: ...


@dataclass
class ShardReport:
    """What one invocation did."""

    posted: int = 0
    gone: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    """Message ids of refused (malformed) messages."""
    failed: list[str] = field(default_factory=list)
    """Message ids handed back to SQS (their shard's ``Query`` failed)."""

    def response(self) -> dict[str, Any]:
        """Lambda's partial batch response."""
        return {"batchItemFailures": [{"itemIdentifier": i} for i in self.failed]}


@dataclass
class _Shard:
    channel: str
    shard: int
    shards: int
    messages: list[tuple[str, ShardMessage]] = field(default_factory=list)


class ShardFanout:
    """Posts shard messages; one per execution environment (its thread pool is reused)."""

    def __init__(
        self,
        store: ShardStore,
        poster: Callable[[], Poster],
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
    ) -> None:
        self._store = store
        self._poster_factory = poster
        self._poster: Poster | None = None
        self._pool = ThreadPoolExecutor(max(1, concurrency), thread_name_prefix="stepstream-shard")

    def handle(self, records: Sequence[Any]) -> ShardReport:
        report = ShardReport()
        shards: dict[tuple[str, int, int], _Shard] = {}
        for record in records:
            message_id = str(record.get("messageId", "?")) if isinstance(record, dict) else "?"
            try:
                message = ShardMessage.from_record(record)
            except ShardMessageError as exc:
                _log.error("refusing fan-out message %s: %s", message_id, exc)
                report.refused.append(message_id)
                continue
            key = (message.channel, message.shard, message.shards)
            shards.setdefault(key, _Shard(*key)).messages.append((message_id, message))
        lanes: list[tuple[str, list[bytes], bool]] = []
        for shard in shards.values():
            try:
                lanes.extend(self._lanes(shard))
            except Exception as exc:
                _log.warning(
                    "fan-out shard %d/%d of %r: reading its connections failed (%s); "
                    "its %d messages go back to the queue",
                    shard.shard,
                    shard.shards,
                    shard.channel,
                    exc,
                    len(shard.messages),
                )
                report.failed.extend(message_id for message_id, _ in shard.messages)
        if self._poster is None and lanes:
            self._poster = self._poster_factory()
        # Each post runs in this invocation's context: the local IAM emulation checks it as
        # this function's call, as Lambda's role would.
        futures = [
            self._pool.submit(contextvars.copy_context().run, self._post_lane, lane)
            for lane in lanes
        ]
        for future in futures:
            posted, gone = future.result()
            report.posted += posted
            if gone is not None:
                report.gone.append(gone)
        return report

    def _lanes(self, shard: _Shard) -> list[tuple[str, list[bytes], bool]]:
        low, high = sort_key_range(shard.shard, shard.shards)
        subscribers = [
            s
            for s in self._store.subscribers_between(shard.channel, low, high)
            if shard_of(s.connection_id, shard.shards) == shard.shard
        ]
        frames = [
            (m, json.loads(m.frame).get("seq"), m.frame.encode("utf-8")) for _, m in shard.messages
        ]
        lanes = []
        for subscription in subscribers:
            wanted = [
                data
                for message, seq, data in frames
                if (message.topic is None or message.topic in subscription.topics)
                # a replay in progress gets no data frame (docs/realtime.md, "History and resume")
                and (seq is None or not subscription.held)
            ]
            if wanted:
                lanes.append((subscription.connection_id, wanted, subscription.coalesce))
        return lanes

    def _post_lane(self, lane: tuple[str, list[bytes], bool]) -> tuple[int, str | None]:
        """Post one connection's frames in order; ``(posts, the connection if it is gone)``."""
        assert self._poster is not None
        connection_id, frames, coalesced = lane
        waiting = deque(frames)
        posted = 0
        while waiting:
            if coalesced and len(waiting) > 1:
                data, taken = coalesce(waiting)
            else:
                data, taken = waiting[0], 1
            for _ in range(taken):
                waiting.popleft()
            try:
                if not self._poster.post(connection_id, data):
                    self._forget(connection_id)
                    return posted, connection_id
            except Exception as exc:  # one undeliverable frame must not stop the later ones
                _log.warning("posting to connection %s failed: %s", connection_id, exc)
                continue
            posted += 1
        return posted, None

    def _forget(self, connection_id: str) -> None:
        try:
            self._store.remove_connection(connection_id)
        except Exception as exc:
            _log.warning("could not remove gone connection %s: %s", connection_id, exc)
