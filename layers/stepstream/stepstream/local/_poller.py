"""A queue poller that plays the Lambda event source mapping locally.

It receives messages, hands them to a handler in the shape Lambda uses (``{"Records": [...]}``
with ``aws:sqs`` records), deletes the ones the handler did not report in
``batchItemFailures``, and leaves the rest to come back after their visibility timeout. If the
handler raises, the whole batch is left alone, as when a Lambda invocation crashes.

The messages come from a ``MessageSource``: SQS (``SqsSource``) or the in-memory queue
(``stepstream.store.MemoryQueue``), so the same invocation shape drives either."""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from .._aws import client
from ..store import ReceivedMessage
from ._lambda_context import LambdaContext
from ._recursion import MAX_CHAIN, Lineage, invoking, lineage_of, next_invocation

Handler = Callable[[dict[str, Any], Any], Any]
_EXITS = (KeyboardInterrupt, SystemExit)
"""Raised in an invocation, these stop the poller rather than count as its crash."""
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
        # One ReceiveMessage at a time on a FIFO queue (the invocations still run concurrently).
        # SQS and the stack's moto (local/_moto_sqs.py) never give two receivers messages of one
        # group; moto as released does (a stack pointed at it with --aws-endpoint), and two
        # invocations would post a shard's frames out of order. It is also the faster way
        # locally: one long poll per queue is woken by a send instead of one per poller thread
        # (bench.sqs_hop's fan-out hop, 16 pollers: p50 27 ms with it, 40 ms without).
        self.fifo = self.name.endswith(".fifo")
        self._one_receive = threading.Lock() if self.fifo else None

    def receive(
        self, max_messages: int, wait_seconds: float, visibility_timeout: int | None
    ) -> list[ReceivedMessage]:
        kwargs: dict[str, Any] = {
            "QueueUrl": self.queue_url,
            "MaxNumberOfMessages": max_messages,
            "WaitTimeSeconds": int(wait_seconds),
            "AttributeNames": ["All"],
            "MessageSystemAttributeNames": ["All"],  # AWSTraceHeader: the chain's lineage
            "MessageAttributeNames": ["All"],
        }
        if visibility_timeout is not None:
            kwargs["VisibilityTimeout"] = visibility_timeout
        if self._one_receive is not None:
            # Waiting for the lock counts as this call's long poll: a poller thread comes back
            # empty-handed within wait_seconds, so stopping never queues behind the others.
            if not self._one_receive.acquire(timeout=max(wait_seconds, 0.05)):
                return []
            try:
                return self._receive(kwargs)
            finally:
                self._one_receive.release()
        return self._receive(kwargs)

    def _receive(self, kwargs: dict[str, Any]) -> list[ReceivedMessage]:
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

    def keep_invisible(self, receipt_handles: Sequence[str], seconds: int) -> None:
        """Extend the messages' visibility timeout to ``seconds`` from now."""
        entries = [
            {"Id": str(i), "ReceiptHandle": h, "VisibilityTimeout": seconds}
            for i, h in enumerate(receipt_handles)
        ]
        for start in range(0, len(entries), 10):
            client("sqs").change_message_visibility_batch(
                QueueUrl=self.queue_url, Entries=entries[start : start + 10]
            )

    def delete(self, receipt_handles: Sequence[str]) -> None:
        entries = [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(receipt_handles)]
        for start in range(0, len(entries), 10):  # DeleteMessageBatch takes at most 10
            client("sqs").delete_message_batch(
                QueueUrl=self.queue_url, Entries=entries[start : start + 10]
            )


class QueuePoller:
    """Lambda's event source mapping for one queue and one function.

    ``max_concurrency`` pollers receive and invoke at once, as Lambda scales an SQS mapping up to
    its ``MaximumConcurrency`` (or the function's reserved concurrency). Each concurrent
    invocation runs in an execution environment of its own: ``environments(n)`` makes the
    handler of the n-th one (a separate import of the handler module, so its module-level
    state is its own); an idle environment is reused warm, newest first, as Lambda reuses them.
    ``allow_recursion`` False stops a message chain after :data:`MAX_CHAIN` invocations, as
    Lambda's recursive loop detection does for a function whose ``RecursiveLoop`` is not
    ``Allow`` (the message is deleted and a warning logged)."""

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
        max_concurrency: int = 1,
        batching_window_seconds: float = 0,
        environments: Callable[[int], Handler] | None = None,
        allow_recursion: bool = True,
        function_name: str = "function",
    ) -> None:
        self.handler = handler
        self.source = source
        self.batch_size = batch_size
        self.wait_seconds = wait_seconds
        self.visibility_timeout = visibility_timeout
        self.timeout_ms = timeout_ms
        self.region = region
        self.max_concurrency = max(1, max_concurrency)
        self.batching_window_seconds = batching_window_seconds
        self.allow_recursion = allow_recursion
        self.function_name = function_name
        self.crashes = 0
        self.invocations = 0
        self.timeouts = 0
        """Invocations still running at ``timeout_ms``: given up on, their messages left."""
        self.stopped_chains = 0
        """Messages dropped because their chain reached :data:`MAX_CHAIN` invocations."""
        self._make_environment = environments
        self._idle: list[Handler] = [handler]
        self.environments_made = 1
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def _arn(self) -> str:
        return f"arn:aws:sqs:{self.region}:000000000000:{self.source.name}"

    def _receive(self, wait_seconds: float) -> list[ReceivedMessage]:
        """One batch: up to ``batch_size`` messages, gathered for at most the batching window
        (Lambda's ``MaximumBatchingWindowInSeconds``) once the first arrived."""
        messages = self.source.receive(self.batch_size, wait_seconds, self.visibility_timeout)
        if not messages or self.batching_window_seconds <= 0:
            return messages
        deadline = time.monotonic() + self.batching_window_seconds
        while len(messages) < self.batch_size and not self._stop.is_set():
            left = deadline - time.monotonic()
            if left <= 0:
                break
            more = self.source.receive(
                self.batch_size - len(messages), min(left, 1), self.visibility_timeout
            )
            messages.extend(more)
        return messages

    def _checkout(self) -> Handler:
        with self._lock:
            if self._idle:
                return self._idle.pop()
            number = self.environments_made
            self.environments_made += 1
        if self._make_environment is None:
            return self.handler
        return self._make_environment(number)

    def _checkin(self, handler: Handler) -> None:
        with self._lock:
            self._idle.append(handler)

    def _within_chain_limit(self, messages: list[ReceivedMessage]) -> list[ReceivedMessage]:
        if self.allow_recursion:
            return messages
        kept = []
        for message in messages:
            lineage = lineage_of(message.attributes)
            count = lineage.count_of(self.function_name) if lineage is not None else 0
            if count >= MAX_CHAIN:
                log.warning(
                    "%s: recursive loop detected: message %s is the %dth invocation of one "
                    "SQS chain; Lambda stops such a chain after %d and drops the message "
                    "(set RecursiveLoop: Allow on the function if the loop is intended)",
                    self.function_name,
                    message.message_id,
                    count + 1,
                    MAX_CHAIN,
                )
                self.source.delete([message.receipt_handle])
                with self._lock:
                    self.stopped_chains += 1
            else:
                kept.append(message)
        return kept

    def poll_once(self, wait_seconds: float | None = None) -> int:
        """Receive one batch and invoke the handler; returns how many messages it got."""
        received = self._receive(self.wait_seconds if wait_seconds is None else wait_seconds)
        messages = self._within_chain_limit(received)
        if not messages:
            return len(received)
        records = [
            {
                "messageId": m.message_id,
                "receiptHandle": m.receipt_handle,
                "body": m.body,
                "attributes": m.attributes,
                "messageAttributes": _lambda_attributes(m.message_attributes),
                "md5OfBody": m.md5_of_body,
                "eventSource": "aws:sqs",
                "eventSourceARN": self._arn(),
                "awsRegion": self.region,
            }
            for m in messages
        ]
        chains = [lineage_of(m.attributes) for m in messages]
        lineage = next_invocation(
            max(chains, key=lambda c: c.count_of(self.function_name) if c else 0),
            self.function_name,
        )
        while True:
            failed = self._invoke(records, lineage)
            handled = [m.receipt_handle for m in messages if m.message_id not in failed]
            if handled:
                self.source.delete(handled)
            source = self.source
            if not failed or not isinstance(source, SqsSource) or not source.fifo:
                return len(received)  # the failed ones come back after their visibility timeout
            # SQS gives a FIFO group's failed messages back in order; moto can hand back the
            # last one first (its in-flight check sees the others still pending). So the poller
            # keeps them invisible and, after the visibility timeout, invokes them again itself.
            messages = [m for m in messages if m.message_id in failed]
            records = [r for r in records if r["messageId"] in failed]
            wait = self.visibility_timeout if self.visibility_timeout is not None else 30
            source.keep_invisible([m.receipt_handle for m in messages], wait + 60)
            if self._stop.wait(wait):
                return len(received)

    def _invoke(self, records: list[dict[str, Any]], lineage: Lineage) -> set[str]:
        """One invocation; the ids of the messages that failed (all of them if it crashed or
        timed out)."""
        with self._lock:
            self.invocations += 1
        handler = self._checkout()
        context = LambdaContext(timeout_ms=self.timeout_ms)
        call = _Invocation(handler, {"Records": records}, context, lineage, self._crashed)
        # In a thread of its own, so that it can be given up on at the function's timeout.
        thread = threading.Thread(
            target=contextvars.copy_context().run, args=(call.run,), name="invocation", daemon=True
        )
        thread.start()
        thread.join(context.get_remaining_time_in_millis() / 1000)
        if call.abandon():
            # Lambda stops the invocation here and replaces its execution environment. A thread
            # cannot be stopped: it runs on unobserved, its environment is not reused, and the
            # engine starts no step once the context's remaining time is 0. Its writes are
            # bounded by its lease like any late executor's.
            with self._lock:
                self.timeouts += 1
            # Lambda writes this line to the function's own log group; the dev stack's one
            # stream names the function (and the queue), or the line says nothing of whose.
            log.error(
                "%s %s Task timed out after %.2f seconds (a batch of %d from %s)",
                self.function_name or "?",
                context.aws_request_id,
                self.timeout_ms / 1000,
                len(records),
                self.source.name if isinstance(self.source, SqsSource) else "its source",
            )
            return {r["messageId"] for r in records}
        thread.join()  # (ending: it finished in the meantime)
        self._checkin(handler)
        if call.error is not None:
            if isinstance(call.error, _EXITS):
                raise call.error
            # A crashed invocation acknowledges nothing: every message comes back.
            self._crashed()
            log.debug(
                "handler crashed (%s); %d messages left on the queue", call.error, len(records)
            )
            return {r["messageId"] for r in records}
        failures = (call.response or {}).get("batchItemFailures", [])
        return {f["itemIdentifier"] for f in failures}

    def _crashed(self) -> None:
        with self._lock:
            self.crashes += 1

    def start(self) -> None:
        """Poll in ``max_concurrency`` background threads until ``stop()``."""

        def loop() -> None:
            while not self._stop.is_set():
                try:
                    self.poll_once()
                except Exception:
                    log.exception("poller error")
                    self._stop.wait(0.5)

        self._threads = [
            threading.Thread(target=loop, name=f"queue-poller-{n}", daemon=True)
            for n in range(self.max_concurrency)
        ]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=10)
        self._threads = []


class _Invocation:
    """A handler call and what came of it: its response, or what it raised. One the poller gave
    up on still counts its crash (``on_late_crash``) if it raises in the end."""

    def __init__(
        self,
        handler: Handler,
        event: dict[str, Any],
        context: LambdaContext,
        lineage: Lineage,
        on_late_crash: Callable[[], None],
    ) -> None:
        self.handler = handler
        self.event = event
        self.context = context
        self.lineage = lineage
        self.response: Any = None
        self.error: BaseException | None = None
        self._on_late_crash = on_late_crash
        self._lock = threading.Lock()
        self._finished = False
        self._abandoned = False

    def run(self) -> None:
        try:
            with invoking(self.lineage):
                self.response = self.handler(self.event, self.context)
        except BaseException as exc:
            self.error = exc
        with self._lock:
            self._finished = True
            late = self._abandoned
        if late and self.error is not None and not isinstance(self.error, _EXITS):
            self._on_late_crash()

    def abandon(self) -> bool:
        """Give up on the call; False if it has finished."""
        with self._lock:
            if self._finished:
                return False
            self._abandoned = True
            return True


def _lambda_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """SQS's message attributes (``StringValue``) as Lambda's record carries them
    (``stringValue``)."""
    found = {}
    for name, value in attributes.items():
        if not isinstance(value, dict) or "DataType" not in value:
            found[name] = value  # already in Lambda's shape (the in-memory queue)
            continue
        shaped: dict[str, Any] = {"stringListValues": [], "binaryListValues": []}
        shaped["dataType"] = value["DataType"]
        if "StringValue" in value:
            shaped["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            shaped["binaryValue"] = value["BinaryValue"]
        found[name] = shaped
    return found


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
        **scaling: Any,
    ) -> None:
        super().__init__(
            handler,
            SqsSource(queue_url),
            batch_size=batch_size,
            wait_seconds=wait_seconds,
            visibility_timeout=visibility_timeout,
            timeout_ms=timeout_ms,
            region=region,
            **scaling,
        )
        self.queue_url = queue_url
