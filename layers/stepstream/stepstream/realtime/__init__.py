"""Realtime: typed channels and topics, publishing, subscription tokens and the wire protocol.

No boto3 here: the realtime table and ``@connections`` are reached through ``stepstream.store``.
Publish side: channels, topics, ``Realtime``, tokens. Socket side: ``subscribe``, ``encode_sse``,
``Message``, ``SubscriptionRefused`` (from ``_subscribe``), loaded on first use: the subscriber
needs ``websockets``, and only code that subscribes should pay for importing it (every handler's
cold start imports this package).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._authorize import Authorize, TokenRequest, require_signing_key
from ._channel import Channel, ChannelDefinition, channel
from ._keepalive import SweepResult, sweep_keepalive
from ._realtime import PublishTooLargeError, Realtime
from ._tokens import TokenClaims, TokenError, get_subscription_token, mint_token, verify_token
from ._topic import PublishValidationError, Topic, TopicRef, topic

if TYPE_CHECKING:
    from ._subscribe import Message, SubscriptionRefused, encode_sse, subscribe

_SUBSCRIBER = frozenset({"Message", "SubscriptionRefused", "encode_sse", "subscribe"})

__all__ = [  # one sorted list: publish-side and socket-side names together
    "Authorize",
    "Channel",
    "ChannelDefinition",
    "Message",
    "PublishTooLargeError",
    "PublishValidationError",
    "Realtime",
    "SubscriptionRefused",
    "SweepResult",
    "TokenClaims",
    "TokenError",
    "TokenRequest",
    "Topic",
    "TopicRef",
    "channel",
    "encode_sse",
    "get_subscription_token",
    "mint_token",
    "require_signing_key",
    "subscribe",
    "sweep_keepalive",
    "topic",
    "verify_token",
]


def __getattr__(name: str) -> Any:
    if name in _SUBSCRIBER:
        from . import _subscribe

        return getattr(_subscribe, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
