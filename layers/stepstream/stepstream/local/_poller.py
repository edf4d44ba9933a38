"""A queue poller that plays the Lambda event source mapping locally.

It receives messages, hands them to a handler in the shape Lambda uses (``{"Records": [...]}``
with ``aws:sqs`` records), deletes the ones the handler did not report in
``batchItemFailures``, and leaves the rest to come back after their visibility timeout. If the
handler raises, the whole batch is left alone, as when a Lambda invocation crashes.

The messages come from a ``MessageSource``: SQS (``SqsSource``) or the in-memory queue
(``stepstream.store.MemoryQueue``), so the same invocation shape drives either."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from .._aws import client
from ..store import ReceivedMessage
from ._lambda_context import LambdaContext

Handler = Callable[[dict[str, Any], Any], Any]
log = logging.getLogger("stepstream.poller")


class MessageSource(Protocol):
    """Where a poller gets messages: receive a batch, delete the handled ones."""

    name: str
    """The queue's name, as in its ARN."""

    def receive(
        self, max_messages: int, wait_seconds: float, visibility_timeout: int | None
    ) -> list[ReceivedMessage]: ...

    def delete(self, receipt_handles: Sequence[str]) -> None: ...


class SqsSource:
    """An SQS queue as a message source (ReceiveMessage / DeleteMessageBatch)."""

    def __init__(self, queue_url: str) -> None:
        self.queue_url = queue_url
        self.name = queue_url.rstrip("/").rsplit("/", 1)[-1]

    def receive(
        self, max_messages: int, wait_seconds: float, visibility_timeout: int | None
    ) -> list[ReceivedMessage]:
        kwargs: dict[str, Any] = {
            "QueueUrl": self.queue_url,
            "MaxNumberOfMessages": max_messages,
            "WaitTimeSeconds": int(wait_seconds),
            "AttributeNames": ["All"],
            "MessageAttributeNames": ["All"],
        }
        if visibility_timeout is not None:
            kwargs["VisibilityTimeout"] = visibility_timeout
        return [
            ReceivedMessage(
                message_id=m["MessageId"],
                receipt_handle=m["ReceiptHandle"],
                body=m["Body"],
                attributes=m.get("Attributes", {}),
                message_attributes=m.get("MessageAttributes", {}),
                md5_of_body=m.get("MD5OfBody", ""),
            )
            for m in client("sqs").receive_message(**kwargs).get("Messages", [])
        ]

    def delete(self, receipt_handles: Sequence[str]) -> None:
        entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(receipt_handles)]
        for start in range(0, len(entries), 10):  # DeleteMessageBatch takes at most 10
            client("sqs").delete_message_batch(
                QueueUrl=self.queue_url, Entries=entries[start : start + 10]
            )


class QueuePoller:
    def __init__(
        self,
        handler: Handler,
        source: MessageSource,
        *,
        batch_size: int = 1,
        wait_seconds: float = 1,
        visibility_timeout: int | None = None,
        timeout_ms: int = 120_000,
        region: str = "us-east-1",
    ) -> None:
        self.handler = handler
        self.source = source
        self.batch_size = batch_size
        self.wait_seconds = wait_seconds
        self.visibility_timeout = visibility_timeout
        self.timeout_ms = timeout_ms
        self.region = region
        self.crashes = 0
        self.invocations = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _arn(self) -> str:
        return f"arn:aws:sqs:{self.region}:000000000000:{self.source.name}"

    def poll_once(self, wait_seconds: float | None = None) -> int:
        """Receive one batch and invoke the handler; returns how many messages it got."""
        messages = self.source.receive(
            self.batch_size,
            self.wait_seconds if wait_seconds is None else wait_seconds,
            self.visibility_timeout,
        )
        if not messages:
            return 0
        records = [
            {
                "messageId": m.message_id,
                "receiptHandle": m.receipt_handle,
                "body": m.body,
                "attributes": m.attributes,
                "messageAttributes": m.message_attributes,
                "md5OfBody": m.md5_of_body,
                "eventSource": "aws:sqs",
                "eventSourceARN": self._arn(),
                "awsRegion": self.region,
            }
            for m in messages
        ]
        self.invocations += 1
        try:
            response = self.handler({"Records": records}, LambdaContext(timeout_ms=self.timeout_ms))
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            # A crashed invocation acknowledges nothing: every message comes back.
            self.crashes += 1
            log.debug("handler crashed (%s); %d messages left on the queue", exc, len(records))
            return len(records)
        failed = {f["itemIdentifier"] for f in (response or {}).get("batchItemFailures", [])}
        handled = [m.receipt_handle for m in messages if m.message_id not in failed]
        if handled:
            self.source.delete(handled)
        return len(records)

    def start(self) -> None:
        """Poll in a background thread until ``stop()``."""

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.poll_once()
                except Exception:
                    log.exception("poller error")
                    self._stop.wait(0.5)

        self._thread = threading.Thread(target=loop, name="queue-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


class SqsPoller(QueuePoller):
    """A poller on an SQS queue, by its URL."""

    def __init__(
        self,
        handler: Handler,
        queue_url: str,
        *,
        batch_size: int = 1,
        wait_seconds: float = 1,
        visibility_timeout: int | None = None,
        timeout_ms: int = 120_000,
        region: str = "us-east-1",
    ) -> None:
        super().__init__(
            handler,
            SqsSource(queue_url),
            batch_size=batch_size,
            wait_seconds=wait_seconds,
            visibility_timeout=visibility_timeout,
            timeout_ms=timeout_ms,
            region=region,
        )
        self.queue_url = queue_url
