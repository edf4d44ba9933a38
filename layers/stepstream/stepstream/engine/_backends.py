"""The store, queue and settings one operation uses, read from the environment each time so a
changed environment (tests, a new deploy's variables) takes effect without a restart."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Settings
from ..store import (
    DynamoState,
    MemoryBlobs,
    MemoryQueue,
    MemoryState,
    Queue,
    S3Blobs,
    SqsQueue,
    StateStore,
)


@dataclass(frozen=True)
class Backends:
    settings: Settings
    state: StateStore
    queue: Queue

    @classmethod
    def from_env(cls) -> Backends:
        settings = Settings.from_env()
        return cls(
            settings=settings,
            state=DynamoState(S3Blobs(settings), settings),
            queue=SqsQueue(settings),
        )

    @classmethod
    def in_memory(cls, settings: Settings | None = None) -> Backends:
        """A fresh, empty set of in-memory backends (the same contract as DynamoDB/SQS/S3, see
        tests/store): for the engine's semantic tests and a stack that needs no AWS. Share one
        set across calls: ``Stepstream(..., backends=lambda: backends)``."""
        return cls(
            settings=settings or Settings.from_env(),
            state=MemoryState(MemoryBlobs()),
            queue=MemoryQueue(),
        )
