"""Drive an app's runs through a queue: a poller invokes the executor handler shape (Powertools
batch processing) exactly as the Lambda event source mapping would, over the in-memory queue or
SQS on moto, whichever backends the test's ``engine_env`` holds."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import pytest

from stepstream import Backends, RunStatus, RunView, Stepstream
from stepstream.aws import client
from stepstream.config import Settings
from stepstream.handlers import executor_handler
from stepstream.local import Handler, Provisioned, QueuePoller, SqsPoller, provision
from stepstream.store import MemoryBlobs, MemoryQueue, MemoryState

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"
BackendKind = Literal["memory", "aws"]


@dataclass
class EngineEnv:
    """The backends one engine test runs on: ``memory`` (MemoryState/MemoryQueue/MemoryBlobs)
    or ``aws`` (DynamoDB/SQS/S3 on moto over HTTP). Settings are read from the environment on
    every call either way, so ``monkeypatch.setenv`` of a STEPSTREAM_* variable takes effect."""

    kind: BackendKind
    monkeypatch: pytest.MonkeyPatch
    aws: Provisioned | None = None
    memory: Backends | None = None

    def backends(self) -> Backends:
        if self.memory is not None:
            return replace(self.memory, settings=Settings.from_env())
        return Backends.from_env()

    def use(self, app: Stepstream) -> Stepstream:
        """Make ``app`` use these backends for the rest of the test."""
        self.monkeypatch.setattr(app, "backends_provider", self.backends)
        return app

    def poller(self, handler: Handler, **options: Any) -> QueuePoller:
        if self.memory is not None:
            assert isinstance(self.memory.queue, MemoryQueue)
            return QueuePoller(handler, self.memory.queue, **options)
        return SqsPoller(handler, self.backends().settings.queue_url, **options)

    def fresh(self) -> None:
        """Start over on empty backends (new tables and queue on moto)."""
        if self.memory is not None:
            self.memory = Backends.in_memory()
            return
        self.aws = provision(TEMPLATE, prefix=f"f{uuid.uuid4().hex[:10]}-")
        for key, value in self.aws.environment.items():
            self.monkeypatch.setenv(key, value)

    def delayed_messages(self) -> int:
        """Messages sent with a delay that has not yet passed (SQS's
        ApproximateNumberOfMessagesDelayed)."""
        if self.memory is not None:
            assert isinstance(self.memory.queue, MemoryQueue)
            return self.memory.queue.counts()["delayed"]
        attributes = client("sqs").get_queue_attributes(
            QueueUrl=self.backends().settings.queue_url,
            AttributeNames=["ApproximateNumberOfMessagesDelayed"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessagesDelayed"])

    def blob_keys(self, prefix: str) -> list[str]:
        """Keys of offloaded payloads under ``prefix`` (S3 objects on moto)."""
        if self.memory is not None:
            assert isinstance(self.memory.state, MemoryState)
            assert isinstance(self.memory.state, MemoryState)
            blobs = self.memory.state.blobs
            assert isinstance(blobs, MemoryBlobs)
            return blobs.list_keys(prefix)
        listed = client("s3").list_objects_v2(Bucket=self.backends().settings.bucket, Prefix=prefix)
        return [o["Key"] for o in listed.get("Contents", [])]


class Harness:
    def __init__(self, app: Stepstream, env: EngineEnv | Provisioned, **poller: Any) -> None:
        """Drive ``app`` on ``env``'s backends; given only provisioned AWS resources (as
        tests/examples do), on the app's own backends and the provisioned SQS queue."""
        handler = executor_handler(app)
        if isinstance(env, Provisioned):
            self.queue_url = env.environment["STEPSTREAM_QUEUE_URL"]
            self.app = app
            self.poller: QueuePoller = SqsPoller(handler, self.queue_url, wait_seconds=0, **poller)
            return
        self.queue_url = env.backends().settings.queue_url
        self.app = env.use(app)
        self.poller = env.poller(handler, wait_seconds=0, **poller)

    def send(self, name: str, data: dict[str, Any] | None = None, **extra: Any) -> str:
        return self.app.send({"name": name, "data": data or {}, **extra})[0]

    def run_of(self, event_id: str, function_id: str | None = None) -> str:
        runs = [
            r
            for r in self.app.runs.for_event(event_id)
            if function_id is None or r.function_id == function_id
        ]
        assert len(runs) == 1, f"expected one run for {event_id}, got {runs}"
        return runs[0].run_id

    def drive(
        self,
        until: Callable[[], bool],
        timeout: float = 20.0,
        *,
        between: Callable[[], None] | None = None,
    ) -> None:
        """Poll the queue until ``until()`` holds; fail after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while not until():
            assert time.monotonic() < deadline, "timed out driving the queue"
            got = self.poller.poll_once(wait_seconds=0)
            if between is not None:
                between()
            if not got:
                time.sleep(0.05)

    def finish(self, run_id: str, timeout: float = 20.0) -> RunView:
        """Drive until the run is terminal and return it."""
        self.drive(lambda: RunStatus.is_terminal(self.status(run_id)), timeout)
        view = self.app.runs.get(run_id)
        assert view is not None
        return view

    def status(self, run_id: str) -> str | None:
        view = self.app.runs.get(run_id)
        return view.status if view else None

    def settle(self, run_id: str, status: str, timeout: float = 20.0) -> RunView:
        """Drive until the run reaches ``status``."""
        self.drive(lambda: self.status(run_id) == status, timeout)
        view = self.app.runs.get(run_id)
        assert view is not None
        return view
