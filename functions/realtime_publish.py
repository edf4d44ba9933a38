"""Publish Lambda: ``POST /v1/realtime/publish`` behind the HTTP API, through Mangum."""

from stepstream.handlers import publish_handler

handler = publish_handler()
