"""HTTP API Lambda: the stepstream FastAPI app (and ``STEPSTREAM_ROUTES``) behind API Gateway's
HTTP API, through Mangum."""

from stepstream.handlers import api_handler

handler = api_handler()
