"""Shards of a channel's subscribers, and the message that hands one shard a frame.

A connection's shard is ``crc32(connection id) % n`` (a stable hash: every publisher process and
Lambda agrees), with ``n`` a power of two, so when a channel grows from ``n`` to ``2n`` shards each
shard splits in two. The publisher already holds the channel's subscribers (its cached
``Query``), so each shard message carries the connections it is for, already filtered by topic
and replay hold: the fan-out function posts without reading DynamoDB. Reading the shard there
instead would cost a ``Query`` per shard per frame (docs/realtime.md, "Fan-out past one
Lambda").

The hand-over is one SQS FIFO message per shard per frame: the body is the frame exactly as a
socket receives it, the attributes say which channel and shard, and which connections (with
whether each takes coalesced frames).
"""

from __future__ import annotations

import hashlib
import json
import math
import zlib
from dataclasses import dataclass
from typing import Any

MAX_SHARDS = 1024
"""Shards one channel is split into at most (100,000 subscribers in shards of ~100)."""
MAX_CONNECTIONS = 1000
"""Connections one shard message may name (the attribute stays well under SQS's size limit)."""
FORMAT_VERSION = 1


class ShardMessageError(ValueError):
    """A fan-out message that is not one this version wrote: it is refused, never retried
    (the same bytes would be refused again)."""


def shard_count(subscribers: int, shard_size: int) -> int:
    """The power of two of shards that keeps each near ``shard_size`` connections."""
    if shard_size < 1:
        raise ValueError(f"shard_size must be at least 1, got {shard_size}")
    wanted = max(1, math.ceil(subscribers / shard_size))
    return min(MAX_SHARDS, 1 << (wanted - 1).bit_length())


def _check(shard: int, shards: int) -> None:
    if not 1 <= shards <= MAX_SHARDS or shards & (shards - 1):
        raise ValueError(f"shards must be a power of two from 1 to {MAX_SHARDS}, got {shards}")
    if not 0 <= shard < shards:
        raise ValueError(f"shard must be in 0..{shards - 1}, got {shard}")


def shard_of(connection_id: str, shards: int) -> int:
    """The shard a connection belongs to when its channel has ``shards`` shards."""
    _check(0, shards)
    return zlib.crc32(connection_id.encode("utf-8")) % shards


@dataclass(frozen=True)
class ShardMessage:
    """One frame for one shard of a channel."""

    channel: str
    shard: int
    shards: int
    connections: tuple[tuple[str, bool], ...]
    """The shard's connections that get the frame, each with whether it takes coalesced
    frames."""
    frame: str
    """The frame's JSON, as posted to each socket."""

    @property
    def group(self) -> str:
        """SQS FIFO's ``MessageGroupId``: one group per shard, so a shard's frames are handled
        one batch at a time, in order. Hashed: a channel name may be longer than the 128
        characters a group id allows, or hold characters it does not."""
        digest = hashlib.sha256(self.channel.encode("utf-8")).hexdigest()[:40]
        return f"{digest}.{self.shards}.{self.shard}"

    def deduplication_id(self, frame_id: str) -> str:
        """SQS FIFO's ``MessageDeduplicationId``: a send that boto3 retries is taken once."""
        key = f"{self.channel}\0{frame_id}\0{self.shards}\0{self.shard}"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()

    def attributes(self) -> dict[str, dict[str, str]]:
        """SQS message attributes (``SendMessage``'s shape)."""
        found = {
            "v": {"DataType": "Number", "StringValue": str(FORMAT_VERSION)},
            "channel": {"DataType": "String", "StringValue": self.channel},
            "shard": {"DataType": "Number", "StringValue": str(self.shard)},
            "shards": {"DataType": "Number", "StringValue": str(self.shards)},
        }
        found["connections"] = {
            "DataType": "String",
            "StringValue": json.dumps(
                [[c, co] for c, co in self.connections], separators=(",", ":")
            ),
        }
        return found

    @classmethod
    def from_record(cls, record: Any) -> ShardMessage:
        """Read a Lambda SQS record; :class:`ShardMessageError` says what is wrong with one
        this version did not write."""
        if not isinstance(record, dict):
            raise ShardMessageError(f"a record is an object, got {type(record).__name__}")
        attributes = record.get("messageAttributes")
        if not isinstance(attributes, dict):
            raise ShardMessageError("the record has no messageAttributes")

        def text(name: str) -> str:
            value = attributes.get(name)
            found = value.get("stringValue") if isinstance(value, dict) else None
            if not isinstance(found, str) or not found:
                raise ShardMessageError(f"message attribute {name!r} is missing or empty")
            return found

        def number(name: str) -> int:
            raw = text(name)
            if not raw.isdigit() or len(raw) > 6:
                raise ShardMessageError(f"message attribute {name!r} is not a small integer")
            return int(raw)

        if number("v") != FORMAT_VERSION:
            raise ShardMessageError(f"format version {text('v')} is not {FORMAT_VERSION}")
        channel = text("channel")
        shard, shards = number("shard"), number("shards")
        try:
            _check(shard, shards)
        except ValueError as exc:
            raise ShardMessageError(str(exc)) from None
        connections = _connections(text("connections"), shard, shards)
        body = record.get("body")
        if not isinstance(body, str):
            raise ShardMessageError("the record has no body")
        try:
            frame = json.loads(body)
        except ValueError:
            raise ShardMessageError("the body is not JSON") from None
        if not isinstance(frame, dict) or frame.get("channel") != channel:
            raise ShardMessageError("the body is not a frame of the channel the attributes name")
        return cls(channel, shard, shards, connections, body)


def _connections(raw: str, shard: int, shards: int) -> tuple[tuple[str, bool], ...]:
    try:
        found = json.loads(raw)
    except ValueError:
        raise ShardMessageError("message attribute 'connections' is not JSON") from None
    if not isinstance(found, list) or not 0 < len(found) <= MAX_CONNECTIONS:
        raise ShardMessageError(
            f"message attribute 'connections' is not a list of 1 to {MAX_CONNECTIONS} connections"
        )
    connections = []
    for entry in found:
        if (
            not isinstance(entry, list)
            or len(entry) != 2
            or not isinstance(entry[0], str)
            or not 0 < len(entry[0]) <= 128
            or not isinstance(entry[1], bool)
        ):
            raise ShardMessageError(f"connection {str(entry)[:60]} is not [id, coalesce]")
        if shard_of(entry[0], shards) != shard:
            raise ShardMessageError(f"connection {entry[0]!r} is not in shard {shard} of {shards}")
        connections.append((entry[0], entry[1]))
    return tuple(connections)
