"""``ConnectionStore``: the realtime table, every item family on one table and request counter.

One module per family (see docs/architecture.md, "Realtime table"):

- ``_subscriptions``: ``CH#<channel>`` / ``CONN#<id>`` and ``CONN#<id>`` / ``META``;
- ``_connection_listing``: ``CONNS#<shard>`` / ``<id>``, for the keepalive sweep;
- ``_seq_blocks``: ``SEQ#<channel>`` / ``SEQ``;
- ``_history``: ``HIST#<channel>`` / ``<seq>`` and ``HIST#<channel>`` / ``ID#<message id>``.

``_realtime_table`` holds what they share; ``_connections_api`` posts to the sockets.
"""

from __future__ import annotations

from ._connection_listing import ConnectionListing
from ._history import History
from ._seq_blocks import SeqBlocks
from ._subscriptions import Subscriptions


class ConnectionStore(Subscriptions, ConnectionListing, SeqBlocks, History):
    """Subscriptions, the connection listing, sequence numbers and history in the realtime
    table. ``ConnectionStore(table, on_request=...)`` names the table (default
    ``STEPSTREAM_REALTIME_TABLE``) and a callback called with each DynamoDB request's name."""
