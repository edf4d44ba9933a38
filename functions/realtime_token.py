"""Token Lambda: ``POST /v1/realtime/token`` behind the HTTP API, through Mangum."""

from stepstream.handlers import token_handler

handler = token_handler()
