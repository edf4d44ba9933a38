"""WebSocket ``$connect``: record the subscription the authorizer granted."""

from stepstream.handlers import ws_connect_handler

handler = ws_connect_handler()
