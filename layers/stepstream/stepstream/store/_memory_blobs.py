"""Large payloads in a dict: the blob store of the in-memory backends."""

from __future__ import annotations

import threading

from ._base import BlobStore


class MemoryBlobs(BlobStore):
    """Bytes by key. A missing key raises ``KeyError`` (S3 raises ``NoSuchKey``)."""

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, key: str, body: bytes) -> None:
        with self._lock:
            self._blobs[key] = bytes(body)

    def get(self, key: str) -> bytes:
        with self._lock:
            if key not in self._blobs:
                raise KeyError(f"no blob {key!r}")
            return self._blobs[key]

    def list_keys(self, prefix: str = "") -> list[str]:
        """The stored keys under ``prefix``, sorted (S3's ListObjectsV2)."""
        with self._lock:
            return sorted(key for key in self._blobs if key.startswith(prefix))
