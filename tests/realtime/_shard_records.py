"""Fan-out queue records (as Lambda's SQS event carries them) for a one-shard channel."""

from __future__ import annotations

import json
from typing import Any


def shard_record(channel: str, seq: int, connections: list[str]) -> dict[str, Any]:
    """Message ``m<seq>`` of ``channel``'s only shard: a data frame for ``connections``."""
    frame = json.dumps({"kind": "data", "channel": channel, "topic": "t", "data": seq, "seq": seq})
    attributes = {
        "v": "1",
        "channel": channel,
        "shard": "0",
        "shards": "1",
        "connections": json.dumps([[c, False] for c in connections]),
    }
    return {
        "messageId": f"m{seq}",
        "body": frame,
        "messageAttributes": {
            k: {"stringValue": v, "dataType": "String"} for k, v in attributes.items()
        },
    }
