"""Large payloads in S3."""

from __future__ import annotations

from typing import Any

from .._aws import client
from .._config import Settings
from ._base import BlobStore


class S3Blobs(BlobStore):
    def __init__(self, settings: Settings | None = None) -> None:
        self._bucket = (settings or Settings.from_env()).bucket

    @property
    def bucket(self) -> str:
        return self._bucket

    @property
    def _s3(self) -> Any:
        return client("s3")

    def put(self, key: str, body: bytes) -> None:
        self._s3.put_object(Bucket=self._bucket, Key=key, Body=body)

    def get(self, key: str) -> bytes:
        data: bytes = self._s3.get_object(Bucket=self._bucket, Key=key)["Body"].read()
        return data
