"""An SQS poller that plays the Lambda event source mapping locally.

It receives messages, hands them to a handler in the shape Lambda uses (``{"Records": [...]}``
with ``aws:sqs`` records), deletes the ones the handler did not report in
``batchItemFailures``, and leaves the rest to come back after their visibility timeout. If the
handler raises, the whole batch is left alone, as when a Lambda invocation crashes."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from .._aws import client
from ._lambda_context import LambdaContext

Handler = Callable[[dict[str, Any], Any], Any]
log = logging.getLogger("stepstream.poller")


class SqsPoller:
    def __init__(
        self,
        handler: Handler,
        queue_url: str,
        *,
        batch_size: int = 1,
        wait_seconds: int = 1,
        visibility_timeout: int | None = None,
        timeout_ms: int = 120_000,
        region: str = "us-east-1",
    ) -> None:
        self.handler = handler
        self.queue_url = queue_url
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
        name = self.queue_url.rstrip("/").rsplit("/", 1)[-1]
        return f"arn:aws:sqs:{self.region}:000000000000:{name}"

    def poll_once(self, wait_seconds: int | None = None) -> int:
        """Receive one batch and invoke the handler; returns how many messages it got."""
        sqs = client("sqs")
        kwargs: dict[str, Any] = {
            "QueueUrl": self.queue_url,
            "MaxNumberOfMessages": self.batch_size,
            "WaitTimeSeconds": self.wait_seconds if wait_seconds is None else wait_seconds,
            "AttributeNames": ["All"],
            "MessageAttributeNames": ["All"],
        }
        if self.visibility_timeout is not None:
            kwargs["VisibilityTimeout"] = self.visibility_timeout
        messages = sqs.receive_message(**kwargs).get("Messages", [])
        if not messages:
            return 0
        records = [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": m.get("MessageAttributes", {}),
                "md5OfBody": m.get("MD5OfBody", ""),
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
        entries = [
            {"Id": str(i), "ReceiptHandle": r["receiptHandle"]}
            for i, r in enumerate(records)
            if r["messageId"] not in failed
        ]
        if entries:
            sqs.delete_message_batch(QueueUrl=self.queue_url, Entries=entries)
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

        self._thread = threading.Thread(target=loop, name="sqs-poller", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
