"""moto's DynamoDB read responses written by ``json.dumps`` instead of its shape walker.

moto (5.2) serialises every response by walking the operation's output shape in Python, value
by value (``ResponseSerializer``, ``AttributePicker``). For a Query of a channel's 1,000
subscriptions that walk is most of the request: under ``bench.soak`` (1,000 sockets) it took
about half of the dev process's GIL samples in py-spy, ahead of the gateway and the fan-out.

A read's result is already DynamoDB JSON (``dynamo_to_dict``: every attribute value a
``{type: value}`` map, binary values as bytes), so for Query, Scan, GetItem and BatchGetItem the
body is that dict as JSON, bytes in base64: what the walker writes, at C speed. A result holding
anything else (an error, a type JSON cannot write) goes through moto's serializer as before.
``tests/devstack/test_moto_reads_json.py`` compares the two byte for byte after parsing."""

from __future__ import annotations

import base64
import json
import threading
from typing import Any

_installed = threading.Lock()
_patched = False
READS = frozenset({"Query", "Scan", "GetItem", "BatchGetItem"})
written_directly = 0
"""Responses this module wrote (tests count them)."""


class _NotPlainJson(Exception):
    pass


def _plain(value: object) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise _NotPlainJson(type(value).__name__)


def body_of(result: object) -> str | None:
    """The JSON body of a read's result, or None when it holds something JSON cannot write."""
    if not isinstance(result, dict):
        return None
    try:
        return json.dumps(result, default=_plain)
    except (_NotPlainJson, ValueError):
        return None


def patch_reads() -> None:
    """Install the direct JSON path into moto's DynamoDB results (once per process)."""
    global _patched
    with _installed:
        if _patched:
            return
        from moto.dynamodb.responses import DynamoResult

        moto_serialised = DynamoResult.execute_result

        def execute_result(self: Any, context: Any) -> Any:
            global written_directly
            if context.operation_model.name in READS:
                body = body_of(self.result)
                if body is not None:
                    written_directly += 1
                    return 200, {"Content-Type": "application/x-amz-json-1.0"}, body
            return moto_serialised(self, context)

        DynamoResult.execute_result = execute_result  # type: ignore[method-assign]
        _patched = True
