"""The executor queue contract on SQS (moto) and in memory: what the engine sends (``Queue``)
comes out of the poller's side (``MessageSource``) with SQS's delivery rules: delays, clamped
delays, invisibility after a receive, redelivery after the visibility timeout, delete."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from stepstream.config import Settings
from stepstream.local import MessageSource, SqsSource
from stepstream.store import MemoryQueue, Queue, SqsQueue


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class Channel:
    queue: Queue
    source: MessageSource
    let_pass: Callable[[float], None]
    """Let seconds pass: sleep on SQS, move the clock in memory."""


@pytest.fixture
def channel(kind: str) -> Channel:
    if kind == "dynamodb":
        settings = Settings.from_env()
        return Channel(SqsQueue(settings), SqsSource(settings.queue_url), time.sleep)
    clock = Clock()
    queue = MemoryQueue(clock=clock)
    return Channel(queue, queue, clock.advance)


def receive(channel: Channel, visibility_timeout: int = 30) -> list[dict[str, object]]:
    got = channel.source.receive(10, 0, visibility_timeout)
    return [json.loads(m.body) for m in got]


def test_a_sent_body_is_received_and_deleted(channel: Channel) -> None:
    channel.queue.send({"run_id": "r1", "kind": "start"})
    [message] = channel.source.receive(10, 0, 30)
    assert json.loads(message.body) == {"run_id": "r1", "kind": "start"}
    assert message.attributes["ApproximateReceiveCount"] == "1"
    channel.source.delete([message.receipt_handle])
    channel.let_pass(0)
    assert receive(channel, 0) == []


def test_a_received_message_is_invisible_until_its_timeout(channel: Channel) -> None:
    channel.queue.send({"n": 1})
    [first] = channel.source.receive(10, 0, 1)
    assert receive(channel) == []
    channel.let_pass(1.5)
    [again] = channel.source.receive(10, 0, 30)
    assert again.message_id == first.message_id
    assert again.attributes["ApproximateReceiveCount"] == "2"
    assert again.receipt_handle != first.receipt_handle
    channel.source.delete([again.receipt_handle])
    assert receive(channel, 0) == []


def test_a_delayed_message_arrives_after_its_delay(channel: Channel) -> None:
    channel.queue.send({"n": "later"}, delay_seconds=1)
    channel.queue.send({"n": "now"}, delay_seconds=-5)  # clamped to 0
    assert receive(channel) == [{"n": "now"}]
    channel.let_pass(1.5)
    assert receive(channel) == [{"n": "later"}]


def test_a_delay_over_900_s_is_clamped_not_refused(channel: Channel) -> None:
    channel.queue.send({"n": "year"}, delay_seconds=365 * 86400)
    assert receive(channel) == []
