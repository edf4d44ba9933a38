"""moto's SQS long polls and FIFO message groups made to behave as SQS's (moto 5.2.5).

``SQSBackend.receive_message`` in moto 5.x differs from SQS in three ways that a local stack
feels on every hop through a queue:

- A long poll snapshots the FIFO groups that have a message in flight once, when it starts. A
  group whose in-flight message is deleted meanwhile stays blocked for the rest of that long poll
  (up to ``WaitTimeSeconds``), so the group's next message waited about a second: one hop
  through the fan-out queue cost ~800 ms. The snapshot is also taken with no lock, so two
  concurrent receives could each take a message of one group, out of order.
- It waits for *visible* messages. While the only visible ones are in blocked groups it does not
  wait at all: the long poll spins, holding the GIL of the process that hosts moto.
- A delete or a visibility change wakes no long poll, and an expiring visibility timeout or
  delay is noticed only at the next one-second tick.

SQS unblocks a group at the delete (or when the in-flight message's visibility ends) and answers
a long poll as soon as a message can be received. So here a receive is moto's own single pass
(``WaitTimeSeconds=0``), made under the queue's condition lock after dropping the messages whose
visibility has ended from the in-flight set; moto's snapshot is then the live set of blocked
groups, and concurrent receives on one queue cannot interleave. Between passes the long poll
sleeps on that condition until a send, a delete, a visibility change, the next visibility or
delay expiry, or its deadline: one pass per event, never a spin. Deletes and visibility changes
notify it. ``tests/devstack/test_moto_sqs.py`` fails without this patch.

A send also cost time in proportion to the queue's backlog: every ``SendMessage`` read
``queue.attributes`` three times for one flag (``ContentBasedDeduplication``), and that dict
counts the visible, in-flight and delayed messages, each test reading the clock through
``datetime``. With a backlog of a few thousand fan-out messages, moto took most of the dev
process's GIL (``bench.soak`` under py-spy: 74% of GIL samples in moto, 41% in
``Queue.attributes`` alone), the fan-out fell further behind and its backlog grew. Here
``attributes`` is a mapping that computes only the attribute asked for, and moto's SQS clock
reads ``time.time()``; ``tests/devstack/test_moto_sqs_send_cost.py`` fails without this.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any

_installed = threading.Lock()
_patched = False
_EXPIRY_MARGIN = 0.002
"""Seconds past a visibility or delay expiry to wake: moto counts a message visible only once
the clock is strictly past it."""


def patch_sqs() -> None:
    """Install the long poll, delete and visibility wrappers on moto's SQS (once per process)."""
    global _patched
    with _installed:
        if _patched:
            return
        from moto.sqs import models

        one_pass = models.SQSBackend.receive_message
        delete = models.Queue.delete_message
        change_visibility = models.SQSBackend.change_message_visibility

        def receive_message(
            self: Any,
            queue_name: str,
            count: int,
            wait_seconds_timeout: int,
            visibility_timeout: int,
            message_attribute_names: list[str] | None = None,
        ) -> list[Any]:
            queue = self.get_queue(queue_name)
            deadline = time.monotonic() + (wait_seconds_timeout or 0)
            with queue._messages_lock:
                while True:
                    _end_expired_flights(queue)
                    if queue.fifo_queue:
                        _group_together(queue)
                    found: list[Any] = one_pass(
                        self, queue_name, count, 0, visibility_timeout, message_attribute_names
                    )
                    left = deadline - time.monotonic()
                    if found or left <= 0:
                        return found
                    queue._messages_lock.wait(min(left, _until_next_expiry(queue)))

        def delete_message(self: Any, receipt_handle: str) -> None:
            with self._messages_lock:
                delete(self, receipt_handle)
                if self.fifo_queue:  # a delete frees a group; a standard queue has none
                    self._messages_lock.notify_all()

        def change_message_visibility(
            self: Any, queue_name: str, receipt_handle: str, visibility_timeout: int
        ) -> None:
            queue = self.get_queue(queue_name)
            with queue._messages_lock:
                change_visibility(self, queue_name, receipt_handle, visibility_timeout)
                # visible now, or a waiter's next expiry moved
                queue._messages_lock.notify_all()

        models.Queue.attributes = property(_QueueAttributes)  # type: ignore[assignment,method-assign]
        models.unix_time_millis = _unix_time_millis  # type: ignore[attr-defined]
        models.SQSBackend.receive_message = receive_message  # type: ignore[method-assign]
        models.Queue.delete_message = delete_message  # type: ignore[method-assign]
        models.SQSBackend.change_message_visibility = change_message_visibility  # type: ignore[method-assign]
        _patched = True


class _QueueAttributes(Mapping[str, Any]):
    """moto's ``Queue.attributes`` computed one attribute at a time: the same names and values
    (booleans as ``"true"``/``"false"``, the redrive policy as JSON), so reading one flag does
    not count every message."""

    def __init__(self, queue: Any) -> None:
        self._queue = queue

    def _names(self) -> list[str]:
        queue = self._queue
        names = list(queue.BASE_ATTRIBUTES)
        if queue.fifo_queue:
            names += queue.FIFO_ATTRIBUTES
        if queue.kms_master_key_id:
            names += queue.KMS_ATTRIBUTES
        if queue.policy:
            names.append("Policy")
        if queue.redrive_policy:
            names.append("RedrivePolicy")
        return names

    def __getitem__(self, name: str) -> Any:
        if name not in self._names():
            raise KeyError(name)
        if name == "Policy":
            return self._queue.policy
        if name == "RedrivePolicy":
            return json.dumps(self._queue.redrive_policy)
        from moto.core.utils import camelcase_to_underscores

        value = getattr(self._queue, camelcase_to_underscores(name))
        return str(value).lower() if isinstance(value, bool) else value

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())

    def __len__(self) -> int:
        return len(self._names())


def _unix_time_millis(dt: Any = None) -> float:
    """moto's ``unix_time_millis`` for "now" without building two datetimes: SQS models call it
    once per message per scan (``Message.visible``, ``Message.delayed``)."""
    if dt is not None:
        from moto.core.utils import unix_time_millis

        return float(unix_time_millis(dt))
    return time.time() * 1000.0


def _end_expired_flights(queue: Any) -> None:
    """A received message whose visibility timeout ended is no longer in flight: its group is
    free (moto only noticed while walking past it, after the groups it had already skipped)."""
    expired = [m for m in queue.pending_messages if m.visible]
    for message in expired:
        queue.pending_messages.discard(message)


def _group_together(queue: Any) -> None:
    """Order the queue's messages group by group (groups by their oldest message, each group's
    messages in the order sent), so moto's pass fills a receive from one group first.

    SQS "first attempts to return as many messages with the same message group ID as possible"
    (the FIFO docs), leaving the other groups to other consumers. moto walks the queue in send
    order, so with interleaved groups a receive of 10 took one or two messages of every group
    and blocked them all: the fan-out queue (a group per shard) ran one invocation at a time, each
    posting 1-2 frames per connection (``bench.soak``: ~200 deliveries/s at 600 sockets). Only
    the order across groups changes, which a FIFO queue never promised."""
    rank: dict[Any, int] = {}
    for message in queue._messages:
        rank.setdefault(message.group_id, len(rank))
    if len(rank) > 1:
        # A new list, not an in-place sort: moto's send walks the old one without the lock
        # (its deduplication check), and an in-place sort empties the list while it runs.
        # Appends and deletes take the lock this runs under, so none is lost.
        queue._messages = sorted(queue._messages, key=lambda message: rank[message.group_id])


def _until_next_expiry(queue: Any) -> float:
    """Seconds until the next in-flight or delayed message becomes visible (infinity: none)."""
    now_ms = _unix_time_millis()
    times = [at for m in queue._messages for at in (m.visible_at, m.delayed_until) if at > now_ms]
    return (min(times) - now_ms) / 1000 + _EXPIRY_MARGIN if times else float("inf")
