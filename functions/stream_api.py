"""Streaming function: the user's routes (``STEPSTREAM_ROUTES``) as an ASGI app, which
``run_stream.sh`` serves with uvicorn behind the Lambda Web Adapter (a Function URL in
``RESPONSE_STREAM`` mode), so ``POST /api/hello-world`` streams on AWS as it does locally."""

from stepstream.handlers import stream_app

app = stream_app()
