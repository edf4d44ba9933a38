"""WebSocket ``$default``: one client frame (``sub``, ``unsub``, ``ping``, or an error reply)."""

from stepstream.handlers import ws_default_handler

handler = ws_default_handler()
