"""The Lambda handlers the template deploys, as factories: ``handler = executor_handler()``.

Each ``functions/*.py`` binds one of these and nothing else, so a deployed function is a thin
adapter over the public library. Every handler logs through one Powertools :class:`Logger`
(:func:`handler_logger`) with the Lambda context injected; the library's own ``stepstream.*``
loggers write through it too, so its INFO lines are not lost to the runtime's WARNING root
logger, and the executor adds the run id of the record it is working on to every line.

A factory imports what its handler needs when it is called, so a function's cold start pays only
for its own handler (the WebSocket functions never import FastAPI).
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.logging.lambda_context import build_lambda_context_model
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities import jmespath_utils

from . import _metrics, _tracing
from ._app import Stepstream
from ._loader import load_app

if TYPE_CHECKING:
    from fastapi import APIRouter

__all__ = [
    "LIBRARY_LOGGER",
    "AppSource",
    "LambdaHandler",
    "api_handler",
    "executor_handler",
    "handler_logger",
    "publish_handler",
    "scheduler_handler",
    "stream_app",
    "token_handler",
    "ws_authorizer_handler",
    "ws_connect_handler",
    "ws_default_handler",
    "ws_disconnect_handler",
]

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
"""``handler(event, context)`` as the Lambda runtime calls it."""
AppSource = Stepstream | Callable[[], Stepstream]
"""An app, or how to get it on each invocation (``load_app``, cached, by default)."""

LIBRARY_LOGGER = "stepstream"
"""The parent of every logger the library writes to (``stepstream.executor``, ``stepstream.run``,
...)."""
_REQUEST_ID = correlation_paths.API_GATEWAY_HTTP  # requestContext.requestId, WebSocket events too


@functools.cache
def handler_logger() -> Logger:
    """The Powertools Logger of every handler in this process: service ``POWERTOOLS_SERVICE_NAME``
    (default ``stepstream``), level ``POWERTOOLS_LOG_LEVEL``."""
    service = os.environ.get("POWERTOOLS_SERVICE_NAME") or LIBRARY_LOGGER
    logger = Logger(service=service)
    if service.split(".")[0] != LIBRARY_LOGGER:
        # Under another service name the library's loggers are not this logger's children:
        # give them its handler and level (Powertools' documented way for other loggers).
        copy_config_to_registered_loggers(source_logger=logger, include={LIBRARY_LOGGER})
    return logger


def _logged(handle: LambdaHandler, correlation_id_path: str | None = None) -> LambdaHandler:
    """``handle`` with the Lambda context (and a correlation id) on every log line, traced on
    Lambda (``stepstream._tracing``), and the invocation's metrics flushed as it ends
    (``stepstream._metrics``: one EMF line per dimension set, as Powertools' ``log_metrics``
    would)."""
    handle = _tracing.lambda_handler(handle)
    logger = handler_logger()
    injected: LambdaHandler = logger.inject_lambda_context(
        handle, correlation_id_path=correlation_id_path
    )

    @functools.wraps(handle)
    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        _metrics.begin()
        if context is None:  # a script or test calling without a context: nothing to inject
            try:
                return handle(event, context)
            finally:
                _metrics.flush()
        # inject_lambda_context keeps the context's keys on the logger, shared by the process:
        # right on Lambda (one invocation per process), but stepstream dev runs every function's
        # invocations in one process at once, and a line took whichever invocation's keys were
        # set last (a fan-out post's warning named the $disconnect function). The same keys in
        # the invocation's own context (Powertools' thread-safe keys) take precedence.
        saved = dict(logger.thread_safe_get_current_keys())
        logger.thread_safe_append_keys(**_invocation_keys(event, context, correlation_id_path))
        try:
            return injected(event, context)
        finally:
            logger.thread_safe_clear_keys()
            if saved:
                logger.thread_safe_append_keys(**saved)
            _metrics.flush()

    return handler


def _invocation_keys(event: Any, context: Any, correlation_id_path: str | None) -> dict[str, Any]:
    """The keys ``inject_lambda_context`` puts on every line: the Lambda context's fields and,
    if asked, the correlation id read from the event."""
    keys: dict[str, Any] = dict(build_lambda_context_model(context).__dict__)
    if correlation_id_path:
        keys["correlation_id"] = jmespath_utils.query(envelope=correlation_id_path, data=event)
    return keys


def _resolve(app: AppSource) -> Stepstream:
    return app if isinstance(app, Stepstream) else app()


# --- SQS and EventBridge ----------------------------------------------------------------------


def executor_handler(app: AppSource = load_app) -> LambdaHandler:
    """The executor: one SQS record per run message → ``app.execute``. Partial batch failures
    are reported, so SQS redelivers only the records that failed."""
    from aws_lambda_powertools.utilities.batch import (
        BatchProcessor,
        EventType,
        process_partial_response,
    )
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    logger = handler_logger()

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        current = _resolve(app)
        processor = BatchProcessor(event_type=EventType.SQS)  # holds per-batch state: one per call

        def record_handler(record: SQSRecord) -> None:
            body = json.loads(record.body)
            _metrics.queue_delay(body, record.attributes.get("SentTimestamp"))
            keys = _run_keys(body)
            # Context-local keys: they follow the run into its event loop and worker threads,
            # and stay off lines other handlers in this process (the dev stack) write meanwhile.
            logger.thread_safe_append_keys(**keys)
            try:
                with _tracing.message(record.attributes.aws_trace_header, "executor"):
                    current.execute(body, context)
            finally:
                logger.thread_safe_remove_keys(keys)

        return dict(
            process_partial_response(
                event=event, record_handler=record_handler, processor=processor, context=context
            )
        )

    return _logged(handle)


def _run_keys(body: Any) -> dict[str, str]:
    """What a run message says about its run, for the log lines written while it is handled."""
    if not isinstance(body, dict):
        return {}
    names = {"run_id": "run_id", "function_id": "function_id", "kind": "message_kind"}
    return {key: body[field] for field, key in names.items() if isinstance(body.get(field), str)}


def scheduler_handler(app: AppSource = load_app) -> LambdaHandler:
    """The per-minute tick: start the due cron runs, then ping the WebSocket connections whose
    keepalive is due (docs/realtime.md, "Keepalive")."""
    from .realtime._keepalive import sweep_keepalive

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        # EventBridge's "time" is the scheduled minute; use it so a late delivery still starts
        # the runs of the minute it was meant for.
        stamp = event.get("time") if isinstance(event, dict) else None
        now = (
            datetime.fromisoformat(stamp.replace("Z", "+00:00")) if isinstance(stamp, str) else None
        )
        started = _resolve(app).tick(now)
        # After the tick: a failed sweep fails the invocation, and a retried tick starts nothing
        # twice.
        swept = sweep_keepalive(now)
        return {"started": started, "pinged": swept.pinged, "gone": swept.gone}

    return _logged(handle, correlation_paths.EVENT_BRIDGE)


# --- HTTP API -----------------------------------------------------------------------------------


def api_handler(
    app: Stepstream | None = None, *, routers: Sequence[APIRouter] | None = None
) -> LambdaHandler:
    """The HTTP API (events, runs, token, plus ``routers``; default ``STEPSTREAM_ROUTES``) behind
    API Gateway's HTTP API, through Mangum. ``app`` defaults to ``load_app()``."""
    from mangum import Mangum

    from .http import create_api, routers_from_env

    api = create_api(
        app if app is not None else load_app(),
        routers=routers_from_env() if routers is None else routers,
    )
    return _logged(Mangum(api, lifespan="off"), _REQUEST_ID)


def token_handler(app: Stepstream | None = None) -> LambdaHandler:
    """``POST /v1/realtime/token`` alone (:func:`stepstream.http.token_api`), through Mangum: the
    only HTTP function that needs the JWT secret."""
    from mangum import Mangum

    from .http import token_api

    return _logged(
        Mangum(token_api(app if app is not None else load_app()), lifespan="off"), _REQUEST_ID
    )


def stream_app(*, routers: Sequence[APIRouter] | None = None) -> Any:
    """Not a Lambda handler: the ASGI app ``functions/run_stream.sh`` serves with uvicorn in the
    streaming function, where the Lambda Web Adapter relays its responses chunk by chunk (a
    Function URL in ``RESPONSE_STREAM`` mode). The user's routes (``routers``; default
    ``STEPSTREAM_ROUTES``) and ``/health``: see :func:`stepstream.http.stream_api`."""
    from .http import routers_from_env, stream_api

    return stream_api(routers_from_env() if routers is None else routers)


def publish_handler(app: Stepstream | None = None) -> LambdaHandler:
    """``POST /v1/realtime/publish`` alone (:func:`stepstream.http.publish_api`), through Mangum.
    Posting happens on background threads, so each invocation flushes before it returns: a
    frozen container must not hold a message the caller was told was published."""
    from mangum import Mangum

    from .http import publish_api

    the_app = app if app is not None else load_app()
    serve = Mangum(publish_api(the_app), lifespan="off")

    @functools.wraps(serve)  # keeps ``__wrapped__``: the local stack routes to the app inside
    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        try:
            return serve(event, context)
        finally:
            the_app.realtime.flush_sync()

    return _logged(handle, _REQUEST_ID)


def fanout_handler() -> LambdaHandler:
    """The fan-out function: batches of the fan-out FIFO queue (one message per shard of a
    channel's connection index per frame) posted to their shards' sockets
    (``stepstream.realtime._shard_fanout``). Reports the shards it could not read in
    ``batchItemFailures``; refuses, with a logged reason, a message it did not write."""
    from .realtime._shard_fanout import ShardFanout, concurrency_from_env
    from .store import ConnectionsApi, ConnectionStore

    concurrency = concurrency_from_env()
    fanout = ShardFanout(
        ConnectionStore(), lambda: ConnectionsApi(pool=concurrency), concurrency=concurrency
    )

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        records = event.get("Records") if isinstance(event, dict) else None
        if not isinstance(records, list):
            raise ValueError("the fan-out function takes an SQS event: {'Records': [...]}")
        remaining = context.get_remaining_time_in_millis if context is not None else None
        return fanout.handle(records, remaining).response()

    return _logged(handle)


# --- WebSocket API ------------------------------------------------------------------------------


def ws_authorizer_handler() -> LambdaHandler:
    """The ``$connect`` REQUEST authorizer: no token raises ``Unauthorized`` (API Gateway answers
    401), a bad token returns a Deny policy (403), a good one an Allow policy whose context
    carries the token's channel and topics."""
    from .realtime._socket import authorize

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return authorize(event)

    return _logged(handle, _REQUEST_ID)


def ws_connect_handler() -> LambdaHandler:
    """``$connect``: record the subscription the authorizer granted."""
    from .realtime._socket import on_connect

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return on_connect(event)

    return _logged(handle, _REQUEST_ID)


def ws_disconnect_handler() -> LambdaHandler:
    """``$disconnect``: forget the closed connection's subscriptions."""
    from .realtime._socket import on_disconnect

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        on_disconnect(event)
        return {"statusCode": 200}

    return _logged(handle, _REQUEST_ID)


def ws_default_handler() -> LambdaHandler:
    """``$default``: one client frame (``sub``, ``unsub``, ``ping``, or an error reply)."""
    from .realtime._socket import on_message

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return on_message(event)

    return _logged(handle, _REQUEST_ID)
