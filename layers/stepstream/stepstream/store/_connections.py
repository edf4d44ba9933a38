"""The realtime table and the ``@connections`` API: every boto3 call realtime makes.

Items (see docs/architecture.md, "Realtime table"):

- ``CH#<channel>`` / ``CONN#<id>``: a subscription (topics as a string set, ``expires_at``),
  so publish finds a channel's subscribers with one ``Query``;
- ``CONN#<id>`` / ``META``: the channels a connection holds, for ``$disconnect`` cleanup;
- ``CONNS#<shard>`` / ``<id>``: every open connection, in a few fixed partitions, so the
  keepalive sweep lists them with one ``Query`` per shard instead of a table scan;
- ``HIST#<channel>`` / zero-padded ``seq``: a kept frame (JSON text), ``ttl`` = retention;
- ``HIST#<channel>`` / ``ID#<message id>``: the seq a durable message got, so writing it twice
  is a no-op (exactly-once history);
- ``SEQ#<channel>`` / ``SEQ``: the per-channel counter, advanced a block at a time.
"""

from __future__ import annotations

import json
import logging
import time
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from .. import _aws
from .._config import Settings

MAX_CONNECTION_SECONDS = 2 * 60 * 60
"""API Gateway closes a WebSocket after 2 h, so no subscription outlives that."""
_SEQ_WIDTH = 20
_SEQ_MAX = "9" * _SEQ_WIDTH
_BATCH = 25  # BatchWriteItem's limit
CONNECTION_SHARDS = 8
"""Partitions of the ``CONNS#`` listing: enough to spread writes, few enough to sweep cheaply."""
_log = logging.getLogger("stepstream.realtime")


def seq_key(seq: int) -> str:
    return str(seq).zfill(_SEQ_WIDTH)


def connection_shard(connection_id: str) -> int:
    """The ``CONNS#`` partition of a connection: a stable hash (``hash()`` is salted per
    process), so every Lambda finds the same one."""
    return zlib.crc32(connection_id.encode("utf-8")) % CONNECTION_SHARDS


@dataclass(frozen=True)
class OpenConnection:
    """One entry of the ``CONNS#`` listing."""

    connection_id: str
    """API Gateway's connection id."""
    expires_at: int
    """Epoch seconds after which API Gateway has closed it for sure (its 2 h limit)."""


@dataclass(frozen=True)
class Subscription:
    """One connection's interest in one channel."""

    connection_id: str
    """API Gateway's connection id."""
    channel: str
    """The channel subscribed to."""
    topics: frozenset[str]
    """The topics of that channel it receives."""
    expires_at: int
    """Epoch seconds after which it is ignored (and TTL removes it)."""
    live_after: int | None = None
    """Hand-over from a history replay: post data frames only with ``seq > live_after``
    (``None``: every frame). See docs/realtime.md, "History and resume"."""

    @property
    def held(self) -> bool:
        """True while a history replay to this subscription has not handed over yet."""
        return self.live_after == HOLD


HOLD = 2**63 - 1
"""``live_after`` of a subscription whose replay has not finished: publishers post nothing."""

RequestCounter = Callable[[str], None]
"""Called with the operation name before each DynamoDB request (benchmarks count them)."""


class ConnectionStore:
    """Subscriptions, history and sequence numbers in the realtime table."""

    def __init__(self, table: str | None = None, *, on_request: RequestCounter | None = None):
        self.table = table or Settings.from_env().realtime_table
        self._on_request = on_request

    def _db(self, operation: str) -> Any:
        if self._on_request is not None:
            self._on_request(operation)
        return _aws.client("dynamodb")

    # --- subscriptions ---

    def add(
        self,
        connection_id: str,
        channel: str,
        topics: Iterable[str],
        *,
        expires_at: int,
        live_after: int | None = None,
    ) -> None:
        """Subscribe ``connection_id`` to ``topics`` of ``channel`` (merging with topics it has);
        ``live_after`` sets the replay hand-over (left as it was when ``None``)."""
        names = sorted(set(topics))
        if not names:
            raise ValueError("a subscription needs at least one topic")
        expires_at = min(int(expires_at), int(time.time()) + MAX_CONNECTION_SECONDS)
        values = {":e": {"N": str(expires_at)}}
        hand_over, hand_over_value = "", {}
        if live_after is not None:
            hand_over, hand_over_value = ", live_after = :la", {":la": {"N": str(int(live_after))}}
        self._db("TransactWriteItems").transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": _key(f"CH#{channel}", f"CONN#{connection_id}"),
                        "UpdateExpression": "ADD topics :t SET expires_at = :e, #ttl = :e, "
                        "connection_id = :c, channel = :ch" + hand_over,
                        "ExpressionAttributeNames": {"#ttl": "ttl"},
                        "ExpressionAttributeValues": {
                            **values,
                            **hand_over_value,
                            ":t": {"SS": names},
                            ":c": {"S": connection_id},
                            ":ch": {"S": channel},
                        },
                    }
                },
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": _key(f"CONN#{connection_id}", "META"),
                        "UpdateExpression": "ADD channels :chs SET expires_at = :e, #ttl = :e",
                        "ExpressionAttributeNames": {"#ttl": "ttl"},
                        "ExpressionAttributeValues": {**values, ":chs": {"SS": [channel]}},
                    }
                },
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": _listing_key(connection_id),
                        "UpdateExpression": "SET expires_at = :e, #ttl = :e",
                        "ExpressionAttributeNames": {"#ttl": "ttl"},
                        "ExpressionAttributeValues": values,
                    }
                },
            ]
        )

    def set_live_after(self, connection_id: str, channel: str, live_after: int | None) -> None:
        """Change the replay hand-over (``None`` removes it); a no-op if not subscribed."""
        if live_after is None:
            update: dict[str, Any] = {"UpdateExpression": "REMOVE live_after"}
        else:
            update = {
                "UpdateExpression": "SET live_after = :la",
                "ExpressionAttributeValues": {":la": {"N": str(int(live_after))}},
            }
        try:
            self._db("UpdateItem").update_item(
                TableName=self.table,
                Key=_key(f"CH#{channel}", f"CONN#{connection_id}"),
                ConditionExpression="attribute_exists(pk)",
                **update,
            )
        except ClientError as exc:
            if _code(exc) != "ConditionalCheckFailedException":
                raise

    def subscription(self, connection_id: str, channel: str) -> Subscription | None:
        """One subscription, read consistently, or ``None``."""
        item = (
            self._db("GetItem")
            .get_item(
                TableName=self.table,
                Key=_key(f"CH#{channel}", f"CONN#{connection_id}"),
                ConsistentRead=True,
            )
            .get("Item")
        )
        return _subscription(channel, item) if item else None

    def remove_topics(
        self, connection_id: str, topics: Iterable[str], channel: str | None = None
    ) -> None:
        """Stop sending ``topics`` to the connection (on ``channel`` only, if given); a
        subscription left with no topics is deleted."""
        names = sorted(set(topics))
        if not names:
            return
        for name in [channel] if channel is not None else self.channels_of(connection_id):
            try:
                left = self._db("UpdateItem").update_item(
                    TableName=self.table,
                    Key=_key(f"CH#{name}", f"CONN#{connection_id}"),
                    UpdateExpression="DELETE topics :t",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeValues={":t": {"SS": names}},
                    ReturnValues="ALL_NEW",
                )["Attributes"]
            except ClientError as exc:
                if _code(exc) == "ConditionalCheckFailedException":
                    continue  # not subscribed to that channel: nothing to remove
                raise
            if "topics" not in left:
                self._drop_channel(connection_id, name)

    def _drop_channel(self, connection_id: str, channel: str) -> None:
        try:
            self._db("DeleteItem").delete_item(
                TableName=self.table,
                Key=_key(f"CH#{channel}", f"CONN#{connection_id}"),
                # a concurrent sub may have re-added topics since
                ConditionExpression="attribute_not_exists(topics)",
            )
        except ClientError as exc:
            if _code(exc) == "ConditionalCheckFailedException":
                return
            raise
        self._db("UpdateItem").update_item(
            TableName=self.table,
            Key=_key(f"CONN#{connection_id}", "META"),
            UpdateExpression="DELETE channels :chs",
            ExpressionAttributeValues={":chs": {"SS": [channel]}},
        )

    def remove_connection(self, connection_id: str) -> None:
        """Forget the connection: every subscription it holds and its meta item."""
        keys = [_key(f"CH#{c}", f"CONN#{connection_id}") for c in self.channels_of(connection_id)]
        keys.append(_key(f"CONN#{connection_id}", "META"))
        keys.append(_listing_key(connection_id))
        self._batch_write([{"DeleteRequest": {"Key": k}} for k in keys])

    def channels_of(self, connection_id: str) -> list[str]:
        item = (
            self._db("GetItem")
            .get_item(
                TableName=self.table,
                Key=_key(f"CONN#{connection_id}", "META"),
                ConsistentRead=True,
            )
            .get("Item")
        )
        return sorted(item["channels"]["SS"]) if item and "channels" in item else []

    def subscribers(self, channel: str) -> list[Subscription]:
        """Live subscriptions of ``channel`` (one ``Query``, paged past 1 MB)."""
        now = int(time.time())
        found = []
        for item in self._query(
            KeyConditionExpression="pk = :pk AND begins_with(sk, :conn)",
            ExpressionAttributeValues={":pk": {"S": f"CH#{channel}"}, ":conn": {"S": "CONN#"}},
        ):
            subscription = _subscription(channel, item)
            if subscription.expires_at > now and subscription.topics:
                found.append(subscription)
        return found

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

    # --- sequence numbers ---

    def allocate_seq(self, channel: str, count: int) -> range:
        """Reserve ``count`` consecutive seqs of ``channel`` with one ``UpdateItem``."""
        if count < 1:
            raise ValueError("count must be at least 1")
        result = self._db("UpdateItem").update_item(
            TableName=self.table,
            Key=_key(f"SEQ#{channel}", "SEQ"),
            UpdateExpression="ADD n :count",
            ExpressionAttributeValues={":count": {"N": str(count)}},
            ReturnValues="UPDATED_NEW",
        )
        last = int(result["Attributes"]["n"]["N"])
        return range(last - count + 1, last + 1)

    # --- history ---

    def keep(self, channel: str, frames: Sequence[dict[str, Any]], *, ttl: int) -> None:
        """Keep frames (each with a ``seq``) for replay, in ``BatchWriteItem``s of 25."""
        self._batch_write(
            [{"PutRequest": {"Item": _history_item(channel, f, ttl)}} for f in frames]
        )

    def keep_once(self, channel: str, frame: dict[str, Any], *, ttl: int) -> dict[str, Any]:
        """Keep a durable frame exactly once per message id.

        Returns ``frame`` if this call kept it, or the frame kept earlier under the same ``id``
        (with its original ``seq``), so a retried publish re-sends the same message."""
        marker = {
            "pk": {"S": f"HIST#{channel}"},
            "sk": {"S": f"ID#{frame['id']}"},
            "seq": {"N": str(frame["seq"])},
            "ttl": {"N": str(ttl)},
        }
        try:
            self._db("TransactWriteItems").transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": marker,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {"Put": {"TableName": self.table, "Item": _history_item(channel, frame, ttl)}},
                ]
            )
            return frame
        except ClientError as exc:
            if _code(exc) != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons") or [{}]
            if reasons[0].get("Code") not in (None, "ConditionalCheckFailed"):
                raise  # a conflict or throttle, not "already kept": let the caller retry
            kept = self._kept_by_id(channel, frame)
            if kept is None:
                raise
            return kept

    def _kept_by_id(self, channel: str, frame: dict[str, Any]) -> dict[str, Any] | None:
        marker = (
            self._db("GetItem")
            .get_item(
                TableName=self.table,
                Key=_key(f"HIST#{channel}", f"ID#{frame['id']}"),
                ConsistentRead=True,
            )
            .get("Item")
        )
        if marker is None:
            return None
        kept = (
            self._db("GetItem")
            .get_item(
                TableName=self.table,
                Key=_key(f"HIST#{channel}", seq_key(int(marker["seq"]["N"]))),
                ConsistentRead=True,
            )
            .get("Item")
        )
        if kept is None:  # expired between the two reads: re-use the seq with this frame
            return {**frame, "seq": int(marker["seq"]["N"])}
        loaded: dict[str, Any] = json.loads(kept["frame"]["S"])
        return loaded

    def history(self, channel: str, *, after_seq: int, limit: int = 1000) -> list[dict[str, Any]]:
        """Kept frames of ``channel`` with ``seq > after_seq``, oldest first, at most ``limit``."""
        now = int(time.time())
        frames: list[dict[str, Any]] = []
        for item in self._query(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues={
                ":pk": {"S": f"HIST#{channel}"},
                ":lo": {"S": seq_key(max(after_seq, -1) + 1)},
                ":hi": {"S": _SEQ_MAX},
            },
            ScanIndexForward=True,
            Limit=limit,
        ):
            if int(item.get("ttl", {"N": "0"})["N"]) > now:  # TTL deletes lazily
                frames.append(json.loads(item["frame"]["S"]))
            if len(frames) >= limit:
                break
        return frames

    # --- helpers ---

    def _query(self, **kwargs: Any) -> Iterable[dict[str, Any]]:
        while True:
            page = self._db("Query").query(TableName=self.table, ConsistentRead=True, **kwargs)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
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


def _key(pk: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def _listing_key(connection_id: str) -> dict[str, Any]:
    return _key(f"CONNS#{connection_shard(connection_id)}", connection_id)


def _subscription(channel: str, item: dict[str, Any]) -> Subscription:
    live_after = item.get("live_after")
    return Subscription(
        connection_id=item["sk"]["S"][len("CONN#") :],
        channel=channel,
        topics=frozenset(item.get("topics", {}).get("SS", [])),
        expires_at=int(item.get("expires_at", {"N": "0"})["N"]),
        live_after=int(live_after["N"]) if live_after else None,
    )


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _history_item(channel: str, frame: dict[str, Any], ttl: int) -> dict[str, Any]:
    return {
        "pk": {"S": f"HIST#{channel}"},
        "sk": {"S": seq_key(int(frame["seq"]))},
        "frame": {"S": json.dumps(frame, separators=(",", ":"), ensure_ascii=False)},
        "ttl": {"N": str(ttl)},
    }


class ConnectionsApi:
    """API Gateway's ``@connections`` endpoint through boto3's ``apigatewaymanagementapi``."""

    def __init__(self, endpoint_url: str | None = None) -> None:
        self.endpoint_url = endpoint_url or Settings.from_env().ws_management_url
        if not self.endpoint_url:
            raise ValueError(
                "STEPSTREAM_WS_MANAGEMENT_URL is not set; point it at the WebSocket API's "
                "https://{api}.execute-api.{region}.amazonaws.com/{stage} (or the local gateway)"
            )

    def post(self, connection_id: str, data: bytes) -> bool:
        """Send ``data`` to the connection; ``False`` if it is gone (410)."""
        client = _aws.client("apigatewaymanagementapi", endpoint_url=self.endpoint_url)
        try:
            client.post_to_connection(ConnectionId=connection_id, Data=data)
        except ClientError as exc:
            if _code(exc) == "GoneException":
                return False
            raise
        return True
