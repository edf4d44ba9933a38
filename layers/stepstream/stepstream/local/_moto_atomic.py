"""moto's DynamoDB, made atomic per request as DynamoDB is.

moto's server answers requests on many threads and its DynamoDB backend takes no lock, so two
concurrent conditional writes on one item can both see the old item and both succeed: two
executors both claimed one run and ran the same step body at once (tests/chaos found it), and a
TransactWriteItems copying a table while another request changes it fails with "dictionary
changed size during iteration" (a 500 that botocore retries). DynamoDB applies each request
atomically; serializing moto's DynamoDB requests gives the stack the same guarantee (moto is
bound by one interpreter lock anyway, so little concurrency is lost)."""

from __future__ import annotations

import functools
import threading
from typing import Any

_lock = threading.RLock()
_installed = False


def serialize_dynamodb() -> None:
    """Make every DynamoDB request to moto in this process run alone (idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        from moto.dynamodb.responses import DynamoHandler

        original = DynamoHandler.call_action

        @functools.wraps(original)
        def call_action(self: Any) -> Any:
            with _lock:
                return original(self)

        DynamoHandler.call_action = call_action  # type: ignore[method-assign]
        _installed = True
