"""The fan-out queue (SQS FIFO): how a publisher hands one shard of a channel a frame."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .._aws import client

_BATCH = 10  # SendMessageBatch's limit
_BATCH_BYTES = 256 * 1024  # and its payload limit (bodies and attributes)


@dataclass(frozen=True)
class FanoutEntry:
    """One message: a body, its attributes, its FIFO group and deduplication id."""

    body: str
    attributes: dict[str, dict[str, str]]
    group: str
    deduplication_id: str

    def size(self) -> int:
        names = sum(
            len(k) + len(v["DataType"]) + len(v["StringValue"]) for k, v in self.attributes.items()
        )
        return len(self.body.encode("utf-8")) + names


class FanoutQueue:
    """``SendMessageBatch``es to the fan-out queue (``STEPSTREAM_FANOUT_QUEUE_URL``)."""

    def __init__(self, url: str, *, on_request: Callable[[str], None] | None = None) -> None:
        if not url:
            raise ValueError("the fan-out queue needs a URL (STEPSTREAM_FANOUT_QUEUE_URL)")
        self.url = url
        self._on_request = on_request

    def send(self, entries: Sequence[FanoutEntry]) -> None:
        """Send every entry, in order (FIFO keeps a group's order as sent), in batches of at
        most 10 entries and 256 KB; raises if SQS refused any."""
        batch: list[FanoutEntry] = []
        size = 0
        for entry in entries:
            if batch and (len(batch) == _BATCH or size + entry.size() > _BATCH_BYTES):
                self._send(batch)
                batch, size = [], 0
            batch.append(entry)
            size += entry.size()
        if batch:
            self._send(batch)

    def _send(self, batch: list[FanoutEntry]) -> None:
        if self._on_request is not None:
            self._on_request("SendMessageBatch")
        answer = client("sqs").send_message_batch(
            QueueUrl=self.url,
            Entries=[
                {
                    "Id": str(n),
                    "MessageBody": e.body,
                    "MessageAttributes": e.attributes,
                    "MessageGroupId": e.group,
                    "MessageDeduplicationId": e.deduplication_id,
                }
                for n, e in enumerate(batch)
            ],
        )
        failed = answer.get("Failed") or []
        if failed:
            # A later entry of the same group may have gone through: order for that shard is
            # lost for this frame, so say so rather than retry behind it.
            first = failed[0]
            raise RuntimeError(
                f"SQS refused {len(failed)} of {len(batch)} fan-out messages: "
                f"{first.get('Code')}: {first.get('Message')}"
            )
