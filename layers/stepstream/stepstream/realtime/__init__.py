"""Realtime: typed channels and topics, publishing, subscription tokens and the wire protocol.

No boto3 here: the realtime table and ``@connections`` are reached through ``stepstream.store``.
"""

from __future__ import annotations

from ._authorize import Authorize, TokenRequest, require_signing_key
from ._channel import Channel, ChannelDefinition, channel
from ._realtime import Realtime
from ._tokens import TokenClaims, TokenError, get_subscription_token, mint_token, verify_token
from ._topic import PublishValidationError, Topic, TopicRef, topic

# --- publish side (above) ---
# --- socket side: subscribe, encode_sse ---
from ._subscribe import Message, SubscriptionRefused, encode_sse, subscribe

__all__ = [
    "Authorize",
    "Channel",
    "ChannelDefinition",
    "PublishValidationError",
    "Realtime",
    "TokenClaims",
    "TokenError",
    "TokenRequest",
    "Topic",
    "TopicRef",
    "channel",
    "get_subscription_token",
    "mint_token",
    "require_signing_key",
    "topic",
    "verify_token",
    # --- socket side names ---
    "Message",
    "SubscriptionRefused",
    "encode_sse",
    "subscribe",
]
