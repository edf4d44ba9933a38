"""Real boto3 SQS clients on the session's embedded moto, and a count of moto's receive passes."""

from __future__ import annotations

import sys
import threading
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3
from botocore.config import Config


def sqs_client(url: str) -> Any:
    return boto3.client(
        "sqs",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        # no retries: a request moto fails must show here; long polls outlast the default timeout
        config=Config(
            retries={"max_attempts": 1, "mode": "standard"},
            max_pool_connections=16,
            read_timeout=60,
        ),
    )


def fifo_queue(sqs: Any) -> tuple[str, str]:
    """A fresh FIFO queue (content-based deduplication): its name and URL."""
    name = f"hop{uuid.uuid4().hex[:10]}.fifo"
    url = sqs.create_queue(
        QueueName=name,
        Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"},
    )["QueueUrl"]
    return name, url


@contextmanager
def receive_passes() -> Iterator[Counter[str]]:
    """Count, per queue name, the passes of moto's ``receive_message`` over the queue: the times
    it lists the queue's visible messages (``Queue.messages``), once per pass, patched or not
    (reading the queue's attributes lists them too; not counted). A long poll that waits makes a
    pass per event; one that spins makes thousands a second."""
    from moto.sqs import models

    original = models.Queue.messages
    counts: Counter[str] = Counter()
    lock = threading.Lock()

    def counted(queue: Any) -> Any:
        if sys._getframe(1).f_code.co_name == "receive_message":
            with lock:
                counts[queue.name] += 1
        return original.fget(queue)  # type: ignore[attr-defined]

    models.Queue.messages = property(counted)  # type: ignore[assignment,method-assign]
    try:
        yield counts
    finally:
        models.Queue.messages = original  # type: ignore[method-assign]
