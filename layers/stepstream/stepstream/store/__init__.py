"""Storage adapters. All boto3 use lives here (and in ``_aws``/``local``)."""

from __future__ import annotations

from ._base import (
    TERMINAL,
    BlobStore,
    CancelRecord,
    CheckpointRejected,
    Queue,
    RunRecord,
    StateStore,
    StepRecord,
    WaitRecord,
)
from ._blobs import S3Blobs
from ._connections import ConnectionsApi, ConnectionStore, Subscription
from ._memory_blobs import MemoryBlobs
from ._memory_queue import MemoryQueue, ReceivedMessage
from ._memory_state import MemoryState
from ._queue import SqsQueue
from ._state import DynamoState

# --- engine store (above); MemoryState/MemoryQueue/MemoryBlobs: the same contract in memory ---
# --- realtime store (store/_connections.py): ConnectionStore, ConnectionsApi, Subscription ---

__all__ = [
    "TERMINAL",
    "BlobStore",
    "CancelRecord",
    "CheckpointRejected",
    "ConnectionStore",
    "ConnectionsApi",
    "DynamoState",
    "MemoryBlobs",
    "MemoryQueue",
    "MemoryState",
    "Queue",
    "ReceivedMessage",
    "RunRecord",
    "S3Blobs",
    "SqsQueue",
    "StateStore",
    "StepRecord",
    "Subscription",
    "WaitRecord",
]
