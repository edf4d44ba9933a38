"""What only the in-memory queue can show quickly, with its clock moved instead of slept: the
exact 900 s delay clamp, stale receipt handles and the counts SQS reports."""

from __future__ import annotations

from stepstream.store import MemoryQueue

from .test_queue_contract import Clock


def test_the_delay_is_clamped_to_900_seconds() -> None:
    clock = Clock()
    queue = MemoryQueue(clock=clock)
    queue.send({"n": 1}, delay_seconds=10**9)
    assert queue.counts() == {"visible": 0, "delayed": 1, "in_flight": 0}
    clock.advance(899.9)
    assert queue.receive() == []
    clock.advance(0.1)
    assert [m.body for m in queue.receive()] == ['{"n": 1}']
    assert queue.counts() == {"visible": 0, "delayed": 0, "in_flight": 1}


def test_a_stale_receipt_handle_deletes_nothing() -> None:
    clock = Clock()
    queue = MemoryQueue(clock=clock, visibility_timeout=5)
    queue.send({"n": 1})
    [first] = queue.receive()
    clock.advance(5)
    [second] = queue.receive()
    queue.delete([first.receipt_handle])  # the first receiver finished too late
    assert queue.bodies() == [{"n": 1}]
    queue.delete([second.receipt_handle])
    assert queue.bodies() == []


def test_receive_takes_due_messages_in_send_order_up_to_ten() -> None:
    queue = MemoryQueue()
    for i in range(12):
        queue.send({"n": i})
    got = queue.receive(max_messages=50)
    assert [m.body for m in got] == [f'{{"n": {i}}}' for i in range(10)]
    assert len(queue.receive(max_messages=50)) == 2
