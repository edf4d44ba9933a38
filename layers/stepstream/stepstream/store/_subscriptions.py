"""Subscriptions and the connections holding them:

- ``CH#<channel>`` / ``CONN#<id>``: a subscription (topics as a string set, ``expires_at``,
  ``live_after`` during a replay), so publish finds a channel's subscribers with one ``Query``;
- ``CONN#<id>`` / ``META``: the channels a connection holds, for ``$disconnect`` cleanup.

Subscribing also writes the connection's ``CONNS#<shard>`` listing item, and forgetting the
connection deletes it, in the same request as the items above (see ``_connection_listing``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from ._connection_listing import listing_key
from ._dynamo import Item, _is_conditional_failure, _key
from ._realtime_table import RealtimeTable

MAX_CONNECTION_SECONDS = 2 * 60 * 60
"""API Gateway closes a WebSocket after 2 h, so no subscription outlives that."""

HOLD = 2**63 - 1
"""``live_after`` of a subscription whose replay has not finished: publishers post nothing."""


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

    coalesce: bool = False
    """The connection asked for coalesced frames when it connected (docs/realtime.md)."""

    @property
    def held(self) -> bool:
        """True while a history replay to this subscription has not handed over yet."""
        return self.live_after == HOLD


class Subscriptions(RealtimeTable):
    """Adds, reads and removes subscriptions and the connections' meta items."""

    def add(
        self,
        connection_id: str,
        channel: str,
        topics: Iterable[str],
        *,
        expires_at: int,
        live_after: int | None = None,
        coalesce: bool = False,
    ) -> None:
        """Subscribe ``connection_id`` to ``topics`` of ``channel`` (merging with topics it has);
        ``live_after`` sets the replay hand-over (left as it was when ``None``); ``coalesce``
        marks a connection that takes coalesced frames. One ``TransactWriteItems``:
        subscription, meta and listing items."""
        names = sorted(set(topics))
        if not names:
            raise ValueError("a subscription needs at least one topic")
        expires_at = min(int(expires_at), int(time.time()) + MAX_CONNECTION_SECONDS)
        values = {":e": {"N": str(expires_at)}}
        hand_over, hand_over_value = "", dict[str, Any]()
        if live_after is not None:
            hand_over, hand_over_value = ", live_after = :la", {":la": {"N": str(int(live_after))}}
        if coalesce:
            hand_over += ", coalesced_frames = :co"
            hand_over_value = {**hand_over_value, ":co": {"BOOL": True}}
        self._db("TransactWriteItems").transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": _subscription_key(connection_id, channel),
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
                        "Key": _meta_key(connection_id),
                        "UpdateExpression": "ADD channels :chs SET expires_at = :e, #ttl = :e",
                        "ExpressionAttributeNames": {"#ttl": "ttl"},
                        "ExpressionAttributeValues": {**values, ":chs": {"SS": [channel]}},
                    }
                },
                {
                    "Update": {
                        "TableName": self.table,
                        "Key": listing_key(connection_id),
                        "UpdateExpression": "SET expires_at = :e, #ttl = :e",
                        "ExpressionAttributeNames": {"#ttl": "ttl"},
                        "ExpressionAttributeValues": values,
                    }
                },
            ]
        )

    def set_live_after(self, connection_id: str, channel: str, live_after: int | None) -> None:
        """Change the replay hand-over (``None`` removes it) with one conditional ``UpdateItem``;
        a no-op if not subscribed."""
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
                Key=_subscription_key(connection_id, channel),
                ConditionExpression="attribute_exists(pk)",
                **update,
            )
        except ClientError as exc:
            if not _is_conditional_failure(exc):
                raise

    def subscription(self, connection_id: str, channel: str) -> Subscription | None:
        """One subscription, read with one consistent ``GetItem``, or ``None``."""
        item = self._get(_subscription_key(connection_id, channel))
        return _subscription(channel, item) if item else None

    def remove_topics(
        self, connection_id: str, topics: Iterable[str], channel: str | None = None
    ) -> None:
        """Stop sending ``topics`` to the connection (on ``channel`` only, if given); a
        subscription left with no topics is deleted. One conditional ``UpdateItem`` per channel
        (after a ``GetItem`` of the channels when none is given); emptying one adds a
        conditional ``DeleteItem`` and an ``UpdateItem`` of the meta item."""
        names = sorted(set(topics))
        if not names:
            return
        for name in [channel] if channel is not None else self.channels_of(connection_id):
            try:
                left = self._db("UpdateItem").update_item(
                    TableName=self.table,
                    Key=_subscription_key(connection_id, name),
                    UpdateExpression="DELETE topics :t",
                    ConditionExpression="attribute_exists(pk)",
                    ExpressionAttributeValues={":t": {"SS": names}},
                    ReturnValues="ALL_NEW",
                )["Attributes"]
            except ClientError as exc:
                if _is_conditional_failure(exc):
                    continue  # not subscribed to that channel: nothing to remove
                raise
            if "topics" not in left:
                self._drop_channel(connection_id, name)

    def _drop_channel(self, connection_id: str, channel: str) -> None:
        try:
            self._db("DeleteItem").delete_item(
                TableName=self.table,
                Key=_subscription_key(connection_id, channel),
                # a concurrent sub may have re-added topics since
                ConditionExpression="attribute_not_exists(topics)",
            )
        except ClientError as exc:
            if _is_conditional_failure(exc):
                return
            raise
        self._db("UpdateItem").update_item(
            TableName=self.table,
            Key=_meta_key(connection_id),
            UpdateExpression="DELETE channels :chs",
            ExpressionAttributeValues={":chs": {"SS": [channel]}},
        )

    def remove_connection(self, connection_id: str) -> None:
        """Forget the connection: every subscription it holds, its meta item and its listing
        item (one ``GetItem``, then ``BatchWriteItem``s of 25)."""
        keys = [_subscription_key(connection_id, c) for c in self.channels_of(connection_id)]
        keys.append(_meta_key(connection_id))
        keys.append(listing_key(connection_id))
        self._batch_write([{"DeleteRequest": {"Key": k}} for k in keys])

    def channels_of(self, connection_id: str) -> list[str]:
        """The channels the connection holds (one consistent ``GetItem`` of its meta item)."""
        item = self._get(_meta_key(connection_id))
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


def _subscription_key(connection_id: str, channel: str) -> Item:
    return _key(f"CH#{channel}", f"CONN#{connection_id}")


def _meta_key(connection_id: str) -> Item:
    return _key(f"CONN#{connection_id}", "META")


def _subscription(channel: str, item: Item) -> Subscription:
    live_after = item.get("live_after")
    return Subscription(
        connection_id=item["sk"]["S"][len("CONN#") :],
        channel=channel,
        topics=frozenset(item.get("topics", {}).get("SS", [])),
        expires_at=int(item.get("expires_at", {"N": "0"})["N"]),
        # not _dynamo._int: it goes through float, and HOLD has more digits than a float keeps
        live_after=int(live_after["N"]) if live_after else None,
        coalesce=bool(item.get("coalesced_frames", {}).get("BOOL", False)),
    )
