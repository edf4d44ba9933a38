"""Shards of a channel's connection index, and the message that hands one shard a frame.

A channel's subscriptions are ``CH#<channel>`` / ``CONN#<connection id>``. Shard ``k`` of ``n``
is a fixed range of those sort keys, so the shard function reads its part with one ``Query``
(``sk BETWEEN``) and no one ever lists the whole channel to split it. Connection ids are
random base64 (API Gateway's standard alphabet, the local gateway's URL-safe one), so the ranges
split the 66 x 66 two-character prefixes of both alphabets evenly. ``n`` is a power of two:
when a channel grows, shard ``k`` of ``n`` becomes shards ``2k`` and ``2k + 1`` of ``2n``.

Every connection id, in or out of those alphabets, belongs to exactly one shard
(:func:`shard_of`), and the shard function keeps only the connections that
:func:`shard_of` puts in its shard, so the ``BETWEEN`` bounds (inclusive at both ends) can never
post one connection from two shards.

The hand-over is one SQS FIFO message per shard per frame: the body is the frame exactly as a
socket receives it, the attributes say which channel, shard and topic (docs/realtime.md,
"Fan-out past one Lambda")."""

from __future__ import annotations

import bisect
import functools
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

MAX_SHARDS = 1024
"""Shards one channel is split into at most (100,000 subscribers in shards of ~100)."""
FORMAT_VERSION = 1
_ALPHABET = "".join(sorted(set(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_="
)))  # fmt: skip
_PREFIXES = len(_ALPHABET) ** 2


class ShardMessageError(ValueError):
    """A fan-out message that is not one this version wrote: it is refused, never retried
    (the same bytes would be refused again)."""


def shard_count(subscribers: int, shard_size: int) -> int:
    """The power of two of shards that keeps each near ``shard_size`` connections."""
    if shard_size < 1:
        raise ValueError(f"shard_size must be at least 1, got {shard_size}")
    wanted = max(1, math.ceil(subscribers / shard_size))
    return min(MAX_SHARDS, 1 << (wanted - 1).bit_length())


@functools.lru_cache(maxsize=16)
def _boundaries(shards: int) -> tuple[str, ...]:
    """The lowest connection id of shards 1..n-1 (shard 0 starts below every id)."""
    found = []
    for k in range(1, shards):
        index = k * _PREFIXES // shards
        found.append(_ALPHABET[index // len(_ALPHABET)] + _ALPHABET[index % len(_ALPHABET)])
    return tuple(found)


def _check(shard: int, shards: int) -> None:
    if not 1 <= shards <= MAX_SHARDS or shards & (shards - 1):
        raise ValueError(f"shards must be a power of two from 1 to {MAX_SHARDS}, got {shards}")
    if not 0 <= shard < shards:
        raise ValueError(f"shard must be in 0..{shards - 1}, got {shard}")


def shard_of(connection_id: str, shards: int) -> int:
    """The shard a connection belongs to when its channel has ``shards`` shards."""
    _check(0, shards)
    return bisect.bisect_right(_boundaries(shards), connection_id)


def sort_key_range(shard: int, shards: int) -> tuple[str, str]:
    """``(low, high)`` sort keys for ``sk BETWEEN low AND high`` over shard ``shard``."""
    _check(shard, shards)
    bounds = _boundaries(shards)
    low = "CONN#" + (bounds[shard - 1] if shard > 0 else "")
    high = "CONN#" + bounds[shard] if shard < shards - 1 else "CONN$"  # '$' follows '#'
    return low, high


@dataclass(frozen=True)
class ShardMessage:
    """One frame for one shard of a channel."""

    channel: str
    shard: int
    shards: int
    topic: str | None
    """The frame's topic; None for a ``run`` frame, which goes to every subscriber."""
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
        if self.topic is not None:
            found["topic"] = {"DataType": "String", "StringValue": self.topic}
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

        def text(name: str, required: bool = True) -> str | None:
            value = attributes.get(name)
            if value is None and not required:
                return None
            found = value.get("stringValue") if isinstance(value, dict) else None
            if not isinstance(found, str) or not found:
                raise ShardMessageError(f"message attribute {name!r} is missing or empty")
            return found

        def number(name: str) -> int:
            raw = text(name)
            assert raw is not None
            if not raw.isdigit() or len(raw) > 6:
                raise ShardMessageError(f"message attribute {name!r} is not a small integer")
            return int(raw)

        if number("v") != FORMAT_VERSION:
            raise ShardMessageError(f"format version {text('v')} is not {FORMAT_VERSION}")
        channel, topic = text("channel"), text("topic", required=False)
        shard, shards = number("shard"), number("shards")
        try:
            _check(shard, shards)
        except ValueError as exc:
            raise ShardMessageError(str(exc)) from None
        body = record.get("body")
        if not isinstance(body, str):
            raise ShardMessageError("the record has no body")
        try:
            frame = json.loads(body)
        except ValueError:
            raise ShardMessageError("the body is not JSON") from None
        if not isinstance(frame, dict) or frame.get("channel") != channel:
            raise ShardMessageError("the body is not a frame of the channel the attributes name")
        assert channel is not None
        return cls(channel, shard, shards, topic, body)
