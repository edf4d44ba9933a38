"""The executor queue in memory, with SQS's delivery rules: delays clamped to 0..900 s, a
received message invisible until its visibility timeout ends or it is deleted, and a fresh
receipt handle per receive (a stale handle deletes nothing, as in SQS)."""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._base import Queue

MAX_DELAY_SECONDS = 900
"""SQS's largest DelaySeconds."""
DEFAULT_VISIBILITY_SECONDS = 30
"""SQS's default VisibilityTimeout."""


@dataclass(frozen=True)
class ReceivedMessage:
    """One delivery of a queue message, in the fields a Lambda SQS record carries."""

    message_id: str
    receipt_handle: str
    body: str
    attributes: dict[str, str] = field(default_factory=dict)
    message_attributes: dict[str, Any] = field(default_factory=dict)
    md5_of_body: str = ""


@dataclass
class _Stored:
    message_id: str
    body: str
    sent_at: float
    visible_at: float
    seq: int
    receipt_handle: str | None = None
    receive_count: int = 0
    first_received_at: float | None = None


class MemoryQueue(Queue):
    """A FIFO-ish queue of JSON bodies. ``clock`` (seconds) decides when delays and visibility
    timeouts end, so a test can move time instead of sleeping."""

    def __init__(
        self,
        name: str = "memory-queue",
        *,
        visibility_timeout: int = DEFAULT_VISIBILITY_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.name = name
        self.visibility_timeout = visibility_timeout
        self._clock = clock
        self._messages: dict[str, _Stored] = {}
        self._seq = itertools.count()
        self._changed = threading.Condition()

    # --- the engine's side ----------------------------------------------------------------------
    def send(self, body: dict[str, Any], delay_seconds: int = 0) -> None:
        self.send_raw(json.dumps(body), delay_seconds)

    def send_raw(self, body: str, delay_seconds: int = 0) -> str:
        """Enqueue a body as given (tests send malformed or duplicate ones). Returns its id."""
        delay = max(0, min(MAX_DELAY_SECONDS, int(delay_seconds)))
        now = self._clock()
        with self._changed:
            message = _Stored(
                str(uuid.uuid4()), body, sent_at=now, visible_at=now + delay, seq=next(self._seq)
            )
            self._messages[message.message_id] = message
            self._changed.notify_all()
        return message.message_id

    # --- the consumer's side (the poller) -------------------------------------------------------
    def receive(
        self, max_messages: int = 1, wait_seconds: float = 0, visibility_timeout: int | None = None
    ) -> list[ReceivedMessage]:
        """Up to ``max_messages`` (1..10) due messages, each invisible for ``visibility_timeout``
        seconds afterwards. Waits up to ``wait_seconds`` of real time for one (long polling)."""
        deadline = time.monotonic() + max(0.0, wait_seconds)
        with self._changed:
            while True:
                got = self._take(max(1, min(10, max_messages)), visibility_timeout)
                left = deadline - time.monotonic()
                if got or left <= 0:
                    return got
                # Delays end by the clock, not by a notify: look again every 50 ms.
                self._changed.wait(min(left, 0.05))

    def _take(self, limit: int, visibility_timeout: int | None) -> list[ReceivedMessage]:
        now = self._clock()
        hidden_for = self.visibility_timeout if visibility_timeout is None else visibility_timeout
        due = sorted(
            (m for m in self._messages.values() if m.visible_at <= now),
            key=lambda m: m.seq,
        )[:limit]
        out = []
        for message in due:
            message.receipt_handle = str(uuid.uuid4())
            message.receive_count += 1
            if message.first_received_at is None:
                message.first_received_at = now
            message.visible_at = now + max(0, hidden_for)
            out.append(
                ReceivedMessage(
                    message_id=message.message_id,
                    receipt_handle=message.receipt_handle,
                    body=message.body,
                    md5_of_body=hashlib.md5(message.body.encode()).hexdigest(),
                    attributes={
                        "ApproximateReceiveCount": str(message.receive_count),
                        "SentTimestamp": str(int(message.sent_at * 1000)),
                        "ApproximateFirstReceiveTimestamp": str(
                            int(message.first_received_at * 1000)
                        ),
                    },
                )
            )
        return out

    def delete(self, receipt_handles: Sequence[str]) -> None:
        """Delete the messages these handles came with; a stale handle deletes nothing."""
        handles = set(receipt_handles)
        with self._changed:
            for message_id in [
                m.message_id for m in self._messages.values() if m.receipt_handle in handles
            ]:
                del self._messages[message_id]

    # --- what SQS reports as ApproximateNumberOfMessages* -----------------------------------------
    def counts(self) -> dict[str, int]:
        """``visible``, ``delayed`` (never received, not yet due) and ``in_flight``."""
        now = self._clock()
        with self._changed:
            messages = list(self._messages.values())
        delayed = sum(1 for m in messages if m.visible_at > now and m.receive_count == 0)
        in_flight = sum(1 for m in messages if m.visible_at > now and m.receive_count > 0)
        return {
            "visible": len(messages) - delayed - in_flight,
            "delayed": delayed,
            "in_flight": in_flight,
        }

    def bodies(self) -> list[dict[str, Any]]:
        """Every message still on the queue, parsed, in send order."""
        with self._changed:
            messages = sorted(self._messages.values(), key=lambda m: m.seq)
        return [json.loads(m.body) for m in messages]
