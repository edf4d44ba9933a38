"""The BlobStore contract on S3 (moto) and in memory."""

from __future__ import annotations

import pytest

from stepstream.store import BlobStore


def test_put_then_get_returns_the_bytes_and_a_put_replaces(blobs: BlobStore) -> None:
    blobs.put("runs/r1/out", b"\x00first")
    assert blobs.get("runs/r1/out") == b"\x00first"
    blobs.put("runs/r1/out", b"second")
    assert blobs.get("runs/r1/out") == b"second"


def test_a_missing_key_raises(blobs: BlobStore) -> None:
    with pytest.raises(Exception):  # noqa: B017, PT011 - S3 raises NoSuchKey, memory KeyError
        blobs.get("missing")
