"""GIVEN a FIFO group whose first message is in flight and a long poll waiting on the group
WHEN the first message stops being in flight (deleted, made visible, visibility timed out)
THEN that same long poll returns the group's next message, as SQS does
(``local/_moto_sqs.py``).

Unpatched, moto 5.2.5's long poll keeps the blocked groups it saw when it started: after the
delete it returned nothing at the end of its 5 s (a hop through the fan-out queue waited for the
next long poll, ~800 ms)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from typing import Any

from tests.devstack._sqs_support import fifo_queue, receive_passes, sqs_client
from tests.support.aws import MotoEndpoint

WAIT = 5  # the long poll's WaitTimeSeconds: returning empty-handed after it is the failure


def _group_of_two(sqs: Any) -> tuple[str, str, dict[str, Any]]:
    name, url = fifo_queue(sqs)
    for body in ("first", "second"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    first = sqs.receive_message(QueueUrl=url, VisibilityTimeout=30)["Messages"]
    assert [m["Body"] for m in first] == ["first"]
    return name, url, first[0]


def _long_poll_then(sqs: Any, name: str, url: str, passes: Counter[str], act: Any) -> list[str]:
    """Start a long poll, wait until moto has looked at the queue once (so the group is blocked
    as the poll sees it), run ``act``, and return what the poll received."""
    got: list[list[str]] = []

    def poll() -> None:
        reply = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=WAIT, VisibilityTimeout=30
        )
        got.append([m["Body"] for m in reply.get("Messages", [])])

    before = passes[name]
    poller = threading.Thread(target=poll)
    poller.start()
    while passes[name] == before and poller.is_alive():
        time.sleep(0.005)
    act()
    poller.join(WAIT + 30)
    return got[0]


def test_a_delete_unblocks_the_group_for_the_waiting_long_poll(
    moto_endpoint: MotoEndpoint,
) -> None:
    sqs = sqs_client(moto_endpoint.url)
    name, url, first = _group_of_two(sqs)
    with receive_passes() as passes:
        got = _long_poll_then(
            sqs,
            name,
            url,
            passes,
            lambda: sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"]),
        )
    assert got == ["second"]


def test_a_visibility_change_to_zero_gives_the_first_message_back_first(
    moto_endpoint: MotoEndpoint,
) -> None:
    sqs = sqs_client(moto_endpoint.url)
    name, url, first = _group_of_two(sqs)
    with receive_passes() as passes:
        got = _long_poll_then(
            sqs,
            name,
            url,
            passes,
            lambda: sqs.change_message_visibility(
                QueueUrl=url, ReceiptHandle=first["ReceiptHandle"], VisibilityTimeout=0
            ),
        )
    assert got == ["first", "second"]  # in order, one batch, as SQS returns a group


def test_a_timed_out_batch_comes_back_in_order(moto_endpoint: MotoEndpoint) -> None:
    """A batch of a group received with a 1 s visibility timeout and not deleted: SQS gives it
    back in order. Unpatched moto skipped a timed-out message while a later one of the same
    batch was still marked in flight, so it handed back the last one first."""
    sqs = sqs_client(moto_endpoint.url)
    _, url = fifo_queue(sqs)
    bodies = [f"m{n}" for n in range(5)]
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    taken = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=1)
    assert [m["Body"] for m in taken["Messages"]] == bodies
    again: list[str] = []
    while len(again) < len(bodies):
        reply = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=1, WaitTimeSeconds=WAIT, VisibilityTimeout=30
        )
        messages = reply.get("Messages", [])
        assert messages, f"nothing received after {again}"
        again.append(messages[0]["Body"])
        sqs.delete_message(QueueUrl=url, ReceiptHandle=messages[0]["ReceiptHandle"])
    assert again == bodies
