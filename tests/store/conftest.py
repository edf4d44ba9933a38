"""The store contract suite: every test runs on the in-memory backends and on DynamoDB/SQS/S3
in moto over HTTP, so both implementations answer to the same tests (ids ``[memory]`` and
``[dynamodb]``)."""

from __future__ import annotations

import time

import pytest

from stepstream.aws import client
from stepstream.config import Settings
from stepstream.store import (
    BlobStore,
    DynamoState,
    MemoryBlobs,
    MemoryState,
    S3Blobs,
    StateStore,
)

KINDS = ["memory", "dynamodb"]


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    if request.param == "dynamodb":
        request.getfixturevalue("aws")  # fresh tables, queue and bucket; env pointing there
    return str(request.param)


@pytest.fixture
def blobs(kind: str) -> BlobStore:
    return S3Blobs(Settings.from_env()) if kind == "dynamodb" else MemoryBlobs()


@pytest.fixture
def state(kind: str, blobs: BlobStore) -> StateStore:
    if kind == "dynamodb":
        return DynamoState(blobs, Settings.from_env())
    return MemoryState(blobs)


@pytest.fixture
def now() -> int:
    return int(time.time() * 1000)


def blob_texts(blobs: BlobStore, prefix: str) -> list[str]:
    """The bodies stored under ``prefix``: large values go under a fresh key below their item's
    prefix, so the contract names the prefix, not the key."""
    if isinstance(blobs, MemoryBlobs):
        keys = blobs.list_keys(prefix)
    else:
        listed = client("s3").list_objects_v2(Bucket=Settings.from_env().bucket, Prefix=prefix)
        keys = [o["Key"] for o in listed.get("Contents", [])]
    return [blobs.get(key).decode() for key in keys]
