"""Shared plumbing of the DynamoDB adapters: attribute helpers, paged queries, conditional
claims, and JSON attributes that move to the blob store when they do not fit an item."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any, cast

from botocore.exceptions import ClientError

from .._aws import client
from .._config import Settings
from ._base import BlobStore

INLINE_JSON_BYTES = 350 * 1024
"""JSON attributes above this go to the blob store; DynamoDB items are capped at 400 KB."""

Item = dict[str, dict[str, Any]]


def _s(value: str) -> dict[str, Any]:
    return {"S": value}


def _n(value: float) -> dict[str, Any]:
    return {"N": repr(value) if isinstance(value, float) else str(value)}


def _str(item: Item, name: str) -> str | None:
    cell = item.get(name)
    return cell["S"] if cell and "S" in cell else None


def _int(item: Item, name: str) -> int | None:
    cell = item.get(name)
    return int(float(cell["N"])) if cell and "N" in cell else None


def _float(item: Item, name: str) -> float | None:
    cell = item.get(name)
    return float(cell["N"]) if cell and "N" in cell else None


def _is_conditional_failure(exc: ClientError) -> bool:
    return exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _key(pk: str, sk: str) -> Item:
    return {"pk": _s(pk), "sk": _s(sk)}


class DynamoTable:
    """One DynamoDB table plus the blob store its large attributes go to."""

    def __init__(self, blobs: BlobStore, settings: Settings | None = None) -> None:
        self._table = (settings or Settings.from_env()).state_table
        self._blobs = blobs

    @property
    def _ddb(self) -> Any:
        return client("dynamodb")

    # --- JSON attributes that may be offloaded -------------------------------------------------
    def _put_json(self, item: Item, name: str, text: str | None, blob_key: str) -> None:
        """Blobs are write-once: each goes under a fresh key below ``blob_key``, written before
        the item that names it. A conditional write that then fails leaves an orphan blob,
        which is harmless; reusing the key would overwrite what the winning item points at."""
        if text is None:
            return
        if len(text.encode()) > INLINE_JSON_BYTES:
            blob_key = f"{blob_key}/{uuid.uuid4().hex}"
            self._blobs.put(blob_key, text.encode())
            item[name + "_blob"] = _s(blob_key)
        else:
            item[name] = _s(text)

    def _get_json(self, item: Item, name: str) -> str | None:
        text = _str(item, name)
        if text is not None:
            return text
        key = _str(item, name + "_blob")
        return self._blobs.get(key).decode() if key else None

    def _loads(self, item: Item, name: str) -> Any:
        text = self._get_json(item, name)
        return json.loads(text) if text is not None else None

    def _query(self, **kwargs: Any) -> Iterator[Item]:
        kwargs["TableName"] = self._table
        while True:
            page = self._ddb.query(**kwargs)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def claim_item(self, item: Item, now: int) -> Item | None:
        """Put ``item`` if its key is free or its claim expired. None if it was put, else the
        item holding the claim."""
        try:
            self._ddb.put_item(
                TableName=self._table,
                Item=item,
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :now",
                ExpressionAttributeValues={":now": _n(now)},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as exc:
            if _is_conditional_failure(exc):
                return cast(Item, exc.response.get("Item") or {})
            raise
        return None
