"""Storage adapters. All boto3 use lives here (and in ``_aws``/``local``)."""

from __future__ import annotations

from ._base import (
    TERMINAL,
    BlobStore,
    CancelRecord,
    CheckpointRejected,
    FlowStore,
    Gather,
    OperationRecord,
    Queue,
    RunRecord,
    SlotCounter,
    SlotLimit,
    StateStore,
    StepRecord,
    WaitRecord,
)
from ._blobs import S3Blobs
from ._connection_listing import CONNECTION_SHARDS
from ._connections import ConnectionStore
from ._connections_api import ConnectionsApi
from ._memory_blobs import MemoryBlobs
from ._memory_queue import MemoryQueue, ReceivedMessage
from ._memory_state import MemoryState
from ._queue import SqsQueue
from ._state import DynamoState
from ._subscriptions import HOLD, Subscription

# --- engine store (above); MemoryState/MemoryQueue/MemoryBlobs: the same contract in memory ---
# --- realtime store (store/_connections.py and its families): ConnectionStore, ConnectionsApi,
# Subscription, HOLD, CONNECTION_SHARDS ---

__all__ = [
    "CONNECTION_SHARDS",
    "HOLD",
    "TERMINAL",
    "BlobStore",
    "CancelRecord",
    "CheckpointRejected",
    "ConnectionStore",
    "ConnectionsApi",
    "DynamoState",
    "FlowStore",
    "Gather",
    "MemoryBlobs",
    "MemoryQueue",
    "MemoryState",
    "OperationRecord",
    "Queue",
    "ReceivedMessage",
    "RunRecord",
    "S3Blobs",
    "SlotCounter",
    "SlotLimit",
    "SqsQueue",
    "StateStore",
    "StepRecord",
    "Subscription",
    "WaitRecord",
]
