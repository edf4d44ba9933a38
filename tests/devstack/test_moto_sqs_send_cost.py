"""GIVEN a FIFO queue with a backlog of 1,000 messages
WHEN one more message is sent
THEN moto looks at none of the queued messages' visibility (``local/_moto_sqs.py``), and
GetQueueAttributes still counts them all.

Unpatched, moto 5.2.5 read ``queue.attributes`` three times per SendMessage to learn one flag, and
that dict counts the visible, in-flight and delayed messages: about six clock reads per queued
message per send. Under ``bench.soak`` the fan-out queue's backlog made moto take most of the dev
process's GIL; this counts what a send costs instead of timing it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.devstack._sqs_support import fifo_queue, sqs_client
from tests.support.aws import MotoEndpoint

BACKLOG = 1000


@contextmanager
def visibility_checks() -> Iterator[list[int]]:
    """Count evaluations of ``Message.visible`` and ``Message.delayed`` while inside."""
    from moto.sqs import models

    visible, delayed = models.Message.visible, models.Message.delayed
    count = [0]
    lock = threading.Lock()

    def counting(prop: Any) -> property:
        def read(message: Any) -> Any:
            with lock:
                count[0] += 1
            return prop.fget(message)

        return property(read)

    models.Message.visible = counting(visible)  # type: ignore[method-assign,assignment]
    models.Message.delayed = counting(delayed)  # type: ignore[method-assign,assignment]
    try:
        yield count
    finally:
        models.Message.visible = visible  # type: ignore[method-assign]
        models.Message.delayed = delayed  # type: ignore[method-assign]


def test_a_send_to_a_backlogged_fifo_queue_reads_no_queued_message(
    moto_endpoint: MotoEndpoint,
) -> None:
    sqs = sqs_client(moto_endpoint.url)
    _, url = fifo_queue(sqs)
    for start in range(0, BACKLOG, 10):
        entries = [
            {"Id": str(i), "MessageBody": f"m{start + i}", "MessageGroupId": f"g{i % 8}"}
            for i in range(10)
        ]
        assert not sqs.send_message_batch(QueueUrl=url, Entries=entries).get("Failed")

    with visibility_checks() as checks:
        sqs.send_message(QueueUrl=url, MessageBody="one more", MessageGroupId="g0")
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": "a", "MessageBody": "and another", "MessageGroupId": "g1"}],
        )
    assert checks[0] == 0

    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["ApproximateNumberOfMessages"] == str(BACKLOG + 2)
    assert attributes["ApproximateNumberOfMessagesNotVisible"] == "0"
    assert attributes["FifoQueue"] == "true"
    assert attributes["ContentBasedDeduplication"] == "true"
    one = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ContentBasedDeduplication"])
    assert one["Attributes"] == {"ContentBasedDeduplication": "true"}


def test_a_duplicate_is_still_dropped_within_the_deduplication_window(
    moto_endpoint: MotoEndpoint,
) -> None:
    sqs = sqs_client(moto_endpoint.url)
    _, url = fifo_queue(sqs)
    for _ in range(2):
        sqs.send_message(QueueUrl=url, MessageBody="same body", MessageGroupId="g")
    received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in received] == ["same body"]
