"""The store, queue and settings one operation uses, read from the environment each time so a
changed environment (tests, a new deploy's variables) takes effect without a restart."""

from __future__ import annotations

from dataclasses import dataclass

from .._config import Settings
from ..store import DynamoState, Queue, S3Blobs, SqsQueue, StateStore


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
