"""GIVEN a FIFO queue holding messages of three groups, sent interleaved
WHEN consumers receive ten at a time
THEN each receive is filled from one group first (the one with the oldest message), in the
order sent, and the next receive takes the next group, as SQS does ("first attempts to return as
many messages with the same message group ID as possible", ``local/_moto_sqs.py``).

moto 5.2.5 walks the queue in send order: a receive of ten took three or four messages of every
group and blocked them all, so a second consumer got nothing until the first deleted its batch
(the fan-out queue, one group per shard, ran one invocation at a time)."""

from __future__ import annotations

from typing import Any

from tests.devstack._sqs_support import fifo_queue, sqs_client
from tests.support.aws import MotoEndpoint

GROUPS = ("a", "b", "c")
PER_GROUP = 12


def _bodies(reply: dict[str, Any]) -> list[str]:
    return [m["Body"] for m in reply.get("Messages", [])]


def test_a_receive_takes_one_groups_messages_before_another_groups(
    moto_endpoint: MotoEndpoint,
) -> None:
    sqs = sqs_client(moto_endpoint.url)
    _, url = fifo_queue(sqs)
    bodies = [(g, f"{g}:{seq}") for seq in range(PER_GROUP) for g in GROUPS]
    for start in range(0, len(bodies), 10):
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": str(n), "MessageBody": body, "MessageGroupId": group}
                for n, (group, body) in enumerate(bodies[start : start + 10])
            ],
        )

    def receive() -> list[str]:
        return _bodies(
            sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60)
        )

    first, second, third = receive(), receive(), receive()
    assert first == [f"a:{seq}" for seq in range(10)]
    assert second == [f"b:{seq}" for seq in range(10)]
    assert third == [f"c:{seq}" for seq in range(10)]
    # every group now has a message in flight: nothing more until one is deleted
    assert receive() == []
