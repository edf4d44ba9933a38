"""The botocore hooks that count every request of the library's clients into the ledger of the
run it is made for (``stepstream.aws.client`` registers them on each client it makes)."""

from __future__ import annotations

import math
from typing import Any

from ._ledger import TOKEN_PREFIXES, current_ledger
from ._units import request_write_units, response_read_units

SQS_CHUNK_BYTES = 64 * 1024
WEBSOCKET_UNIT_BYTES = 32 * 1024
_S3_PUT_CLASS = frozenset(
    {
        "PutObject",
        "CopyObject",
        "PostObject",
        "ListObjects",
        "ListObjectsV2",
        "ListObjectVersions",
        "CreateMultipartUpload",
        "UploadPart",
        "UploadPartCopy",
        "CompleteMultipartUpload",
        "PutObjectTagging",
    }
)
_S3_FREE = frozenset({"DeleteObject", "DeleteObjects", "AbortMultipartUpload"})
_DYNAMO_READS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})
_KEY = "stepstream_ledger"


def before_call(model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    """On ``before-parameter-build``: once per API call (retries included), with its
    parameters as the caller gave them."""
    ledger = current_ledger()
    if ledger is None:
        return
    context[_KEY] = (ledger, params)
    service, operation = model.service_model.service_name, model.name
    if service == "dynamodb":
        ledger.add("dynamodb_requests")
        ledger.add("dynamodb_write_units", request_write_units(operation, params))
    elif service == "sqs":
        ledger.add("sqs_requests")
        ledger.add("sqs_billed_requests", _sqs_chunks(operation, params))
    elif service == "s3":
        if operation in _S3_PUT_CLASS:
            ledger.add("s3_put_requests")
        elif operation not in _S3_FREE:
            ledger.add("s3_get_requests")
        ledger.add("s3_bytes_in", _body_bytes(params.get("Body")))
    elif service == "apigatewaymanagementapi" and operation == "PostToConnection":
        data = params.get("Data") or b""
        ledger.add("websocket_messages")
        ledger.add("websocket_units", max(1, math.ceil(len(data) / WEBSOCKET_UNIT_BYTES)))


def after_call(model: Any, parsed: dict[str, Any], context: dict[str, Any], **kwargs: Any) -> None:
    held = context.get(_KEY)
    if held is None:
        return
    ledger, params = held
    service, operation = model.service_model.service_name, model.name
    if service == "dynamodb" and operation in _DYNAMO_READS:
        ledger.add("dynamodb_read_units", response_read_units(operation, params, parsed))
    elif service == "s3" and operation == "GetObject":
        ledger.add("s3_bytes_out", int(parsed.get("ContentLength") or 0))
    elif service == "bedrock-runtime":
        _tokens(ledger, str(params.get("modelId", "")), parsed, kwargs.get("http_response"))


def _body_bytes(body: Any) -> int:
    """An S3 body's size: bytes, or the file-like object botocore has already wrapped them in
    (its own hooks run first)."""
    if isinstance(body, bytes | bytearray | str):
        return len(body)
    if hasattr(body, "seek") and hasattr(body, "tell"):
        try:
            at = body.tell()
            size = body.seek(0, 2) - at
            body.seek(at)
            return int(size)
        except (OSError, ValueError):
            return 0
    return 0


def _sqs_chunks(operation: str, params: dict[str, Any]) -> int:
    """SQS bills each 64 KB chunk of a request's payload as one request."""
    if operation == "SendMessage":
        size = len(str(params.get("MessageBody", "")).encode())
    elif operation == "SendMessageBatch":
        size = sum(len(str(e.get("MessageBody", "")).encode()) for e in params.get("Entries", []))
    else:
        return 1
    return max(1, math.ceil(size / SQS_CHUNK_BYTES))


def _tokens(ledger: Any, model_id: str, parsed: dict[str, Any], http: Any) -> None:
    """Converse answers ``usage``; InvokeModel says the counts in headers. A streamed answer's
    usage arrives in its last event, after this hook: ``stepstream.cost.record_tokens``."""
    usage = parsed.get("usage") if isinstance(parsed.get("usage"), dict) else None
    counts: tuple[Any, Any] = (None, None)
    if usage is not None:
        counts = (usage.get("inputTokens"), usage.get("outputTokens"))
    elif http is not None:
        headers = getattr(http, "headers", {}) or {}
        counts = (
            headers.get("x-amzn-bedrock-input-token-count"),
            headers.get("x-amzn-bedrock-output-token-count"),
        )
    for prefix, count in zip(TOKEN_PREFIXES, counts, strict=True):
        if count is not None and str(count).isdigit():
            ledger.add(prefix + model_id, int(count))


def install(client: Any) -> None:
    """Count ``client``'s requests from now on (idempotent)."""
    events = client.meta.events
    events.register("before-parameter-build", before_call, unique_id="stepstream-cost-before")
    events.register("after-call", after_call, unique_id="stepstream-cost-after")
