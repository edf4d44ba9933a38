"""Kept frames, for replay (docs/realtime.md, "History and resume"):

- ``HIST#<channel>`` / zero-padded ``seq``: a kept frame (JSON text), ``ttl`` = retention;
- ``HIST#<channel>`` / ``ID#<message id>``: the seq a durable message got, so writing it twice
  is a no-op (exactly-once history). It sorts after every seq key, so a range read of seqs never
  returns it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from ._dynamo import Item, _error_code, _key
from ._realtime_table import RealtimeTable

_SEQ_WIDTH = 20
_SEQ_MAX = "9" * _SEQ_WIDTH


def seq_key(seq: int) -> str:
    """The sort key of a kept frame: zero-padded so keys sort as the numbers do."""
    return str(seq).zfill(_SEQ_WIDTH)


class History(RealtimeTable):
    """Writes and reads the frames kept per channel."""

    def keep(self, channel: str, frames: Sequence[dict[str, Any]], *, ttl: int) -> None:
        """Keep frames (each with a ``seq``) for replay, in ``BatchWriteItem``s of 25."""
        self._batch_write(
            [{"PutRequest": {"Item": _history_item(channel, f, ttl)}} for f in frames]
        )

    def keep_once(self, channel: str, frame: dict[str, Any], *, ttl: int) -> dict[str, Any]:
        """Keep a durable frame exactly once per message id (one ``TransactWriteItems``; two
        ``GetItem``s more when the id was kept before).

        Returns ``frame`` if this call kept it, or the frame kept earlier under the same ``id``
        (with its original ``seq``), so a retried publish re-sends the same message."""
        marker = {
            "pk": {"S": f"HIST#{channel}"},
            "sk": {"S": f"ID#{frame['id']}"},
            "seq": {"N": str(frame["seq"])},
            "ttl": {"N": str(ttl)},
        }
        try:
            self._db("TransactWriteItems").transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": marker,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {"Put": {"TableName": self.table, "Item": _history_item(channel, frame, ttl)}},
                ]
            )
            return frame
        except ClientError as exc:
            if _error_code(exc) != "TransactionCanceledException":
                raise
            reasons = exc.response.get("CancellationReasons") or [{}]
            if reasons[0].get("Code") not in (None, "ConditionalCheckFailed"):
                raise  # a conflict or throttle, not "already kept": let the caller retry
            kept = self._kept_by_id(channel, frame)
            if kept is None:
                raise
            return kept

    def _kept_by_id(self, channel: str, frame: dict[str, Any]) -> dict[str, Any] | None:
        marker = self._get(_key(f"HIST#{channel}", f"ID#{frame['id']}"))
        if marker is None:
            return None
        kept = self._get(_key(f"HIST#{channel}", seq_key(int(marker["seq"]["N"]))))
        if kept is None:  # expired between the two reads: re-use the seq with this frame
            return {**frame, "seq": int(marker["seq"]["N"])}
        loaded: dict[str, Any] = json.loads(kept["frame"]["S"])
        return loaded

    def history(self, channel: str, *, after_seq: int, limit: int = 1000) -> list[dict[str, Any]]:
        """Kept frames of ``channel`` with ``seq > after_seq``, oldest first, at most ``limit``
        (one ``Query`` per page)."""
        now = int(time.time())
        frames: list[dict[str, Any]] = []
        for item in self._query(
            KeyConditionExpression="pk = :pk AND sk BETWEEN :lo AND :hi",
            ExpressionAttributeValues={
                ":pk": {"S": f"HIST#{channel}"},
                ":lo": {"S": seq_key(max(after_seq, -1) + 1)},
                ":hi": {"S": _SEQ_MAX},
            },
            ScanIndexForward=True,
            Limit=limit,
        ):
            if int(item.get("ttl", {"N": "0"})["N"]) > now:  # TTL deletes lazily
                frames.append(json.loads(item["frame"]["S"]))
            if len(frames) >= limit:
                break
        return frames


def _history_item(channel: str, frame: dict[str, Any], ttl: int) -> Item:
    return {
        "pk": {"S": f"HIST#{channel}"},
        "sk": {"S": seq_key(int(frame["seq"]))},
        "frame": {"S": json.dumps(frame, separators=(",", ":"), ensure_ascii=False)},
        "ttl": {"N": str(ttl)},
    }
