"""WebSocket ``$disconnect``: forget the closed connection's subscriptions."""

from stepstream.handlers import ws_disconnect_handler

handler = ws_disconnect_handler()
