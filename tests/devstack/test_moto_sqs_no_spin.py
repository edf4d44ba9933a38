"""GIVEN a FIFO queue whose only visible message is in a group with a message in flight
WHEN a consumer long-polls it
THEN moto waits (a pass per event) instead of spinning (``local/_moto_sqs.py``).

Unpatched, moto 5.2.5's long poll waited only while no message was visible: over a blocked group
it looped without sleeping, 57,038 passes in a 2 s long poll on a quiet 2-core machine, burning
the GIL of the process that hosts moto (the dev stack's)."""

from __future__ import annotations

import time
import uuid

from tests.devstack._sqs_support import fifo_queue, receive_passes, sqs_client
from tests.support.aws import MotoEndpoint


def test_a_long_poll_over_a_blocked_group_waits_without_spinning(
    moto_endpoint: MotoEndpoint,
) -> None:
    sqs = sqs_client(moto_endpoint.url)
    name, url = fifo_queue(sqs)
    for body in ("first", "second"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    assert sqs.receive_message(QueueUrl=url, VisibilityTimeout=30)["Messages"]
    with receive_passes() as passes:
        reply = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2, VisibilityTimeout=30)
    assert "Messages" not in reply
    # One pass at the start; a waiting poll adds one only when woken (here: its deadline).
    assert passes[name] <= 3


def test_a_delayed_message_wakes_the_long_poll_when_it_becomes_visible(
    moto_endpoint: MotoEndpoint,
) -> None:
    sqs = sqs_client(moto_endpoint.url)
    name = f"hop{uuid.uuid4().hex[:10]}"  # a standard queue: FIFO ones take no per-message delay
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    with receive_passes() as passes:
        sent = time.monotonic()
        sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
        reply = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=10)
        waited = time.monotonic() - sent
    assert [m["Body"] for m in reply["Messages"]] == ["later"]
    assert waited >= 1  # not before its delay, as SQS
    assert passes[name] <= 3  # the first pass, then one at the delay's end
