"""GIVEN a FIFO queue with several groups and six consumers long-polling it at once
WHEN messages arrive ten at a time and each consumer takes up to three, handles them and
deletes them
THEN no group ever has messages with two consumers at once, and each group's messages are
handled in the order they were sent (``local/_moto_sqs.py``), as SQS guarantees.

Unpatched, moto 5.2.5 checked the in-flight groups against a snapshot taken when a long poll
started, with no lock: a consumer whose poll began before another took a group's message could
take the group's next one too."""

from __future__ import annotations

import threading
import time
from typing import Any

from tests.devstack._sqs_support import fifo_queue, sqs_client
from tests.support.aws import MotoEndpoint

GROUPS = 4
PER_GROUP = 25
CONSUMERS = 6


def test_concurrent_consumers_keep_each_group_in_order_and_one_at_a_time(
    moto_endpoint: MotoEndpoint,
) -> None:
    sqs = sqs_client(moto_endpoint.url)
    _, url = fifo_queue(sqs)
    lock = threading.Lock()
    holder: dict[str, int] = {}  # group -> the consumer handling its messages now
    handled: dict[str, list[int]] = {f"g{g}": [] for g in range(GROUPS)}
    overlaps: list[str] = []
    done = threading.Event()
    total = GROUPS * PER_GROUP

    def consume(me: int) -> None:
        while not done.is_set():
            reply = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=3, WaitTimeSeconds=1, VisibilityTimeout=60
            )
            messages: list[dict[str, Any]] = reply.get("Messages", [])
            groups = {m["Body"].split(":")[0] for m in messages}
            with lock:
                for group in groups:
                    if group in holder:
                        overlaps.append(f"{group}: consumers {holder[group]} and {me}")
                    holder[group] = me
            time.sleep(0.02)  # handling them, so a second holder of a group would be seen
            with lock:
                for m in messages:
                    group, seq = m["Body"].split(":")
                    handled[group].append(int(seq))
                for group in groups:  # let go before the delete frees the group
                    if holder.get(group) == me:
                        del holder[group]
                if sum(map(len, handled.values())) >= total:
                    done.set()
            for m in messages:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])

    consumers = [threading.Thread(target=consume, args=(n,)) for n in range(CONSUMERS)]
    for consumer in consumers:
        consumer.start()
    bodies = [(f"g{g}", f"g{g}:{seq}") for seq in range(PER_GROUP) for g in range(GROUPS)]
    for start in range(0, total, 10):  # a batch wakes every waiting consumer at once
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(n), "MessageBody": body, "MessageGroupId": group}
                for n, (group, body) in enumerate(bodies[start : start + 10])
            ],
        )
    finished = done.wait(60)
    done.set()
    for consumer in consumers:
        consumer.join(10)
    assert finished, f"handled only {sum(map(len, handled.values()))} of {total}"
    assert overlaps == []
    assert handled == {f"g{g}": list(range(PER_GROUP)) for g in range(GROUPS)}
