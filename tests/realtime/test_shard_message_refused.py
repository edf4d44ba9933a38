"""GIVEN a fan-out message this version did not write (wrong attributes, a body that is not a
frame of the named channel, a shard outside its shard count, connections that are not the
shard's) WHEN the fan-out handler gets it THEN it is refused with the reason in the log and
acknowledged (SQS would only hand the same bytes back), nothing is posted, and the batch's good
messages are still handled; an event without records is an error."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from stepstream.handlers import fanout_handler
from stepstream.local import Provisioned, RunningGateway
from stepstream.realtime._shards import ShardMessage, ShardMessageError, shard_of

FRAME = json.dumps({"kind": "data", "channel": "c", "topic": "t", "data": 1, "seq": 1})
IN_SHARD_0 = next(f"id{n}" for n in range(100) if shard_of(f"id{n}", 2) == 0)
IN_SHARD_1 = next(f"id{n}" for n in range(100) if shard_of(f"id{n}", 2) == 1)
GOOD = {"v": "1", "channel": "c", "shard": "0", "shards": "2"}


def _record(message_id: str, body: Any = FRAME, connections: Any = None, **changes: Any) -> Any:
    attributes = {**GOOD, **changes}
    listed = [[IN_SHARD_0, False]] if connections is None else connections
    attributes["connections"] = listed if isinstance(listed, str) else json.dumps(listed)
    return {
        "messageId": message_id,
        "body": body,
        "messageAttributes": {
            k: {"stringValue": v, "dataType": "String"}
            for k, v in attributes.items()
            if v is not None
        },
    }


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (_record("m", v="2"), "format version 2"),
        (_record("m", channel=None), "'channel' is missing"),
        (_record("m", shard="2"), "shard must be in 0..1"),
        (_record("m", shards="3"), "power of two"),
        (_record("m", shards="-1"), "not a small integer"),
        (_record("m", body="not json"), "not JSON"),
        (_record("m", body=json.dumps({"channel": "other"})), "not a frame of the channel"),
        (_record("m", body=None), "no body"),
        (_record("m", connections="[oops"), "'connections' is not JSON"),
        (_record("m", connections=[]), "not a list of 1 to"),
        (_record("m", connections=[[IN_SHARD_0, "yes"]]), "is not \\[id, coalesce\\]"),
        (_record("m", connections=[[IN_SHARD_1, False]]), "is not in shard 0 of 2"),
        ({"messageId": "m", "body": FRAME}, "no messageAttributes"),
        ("a string", "a record is an object"),
    ],
)
def test_a_malformed_message_is_refused_with_its_reason(
    gateway: RunningGateway, caplog: pytest.LogCaptureFixture, record: Any, reason: str
) -> None:
    with pytest.raises(ShardMessageError, match=reason):
        ShardMessage.from_record(record)
    handler = fanout_handler()
    with caplog.at_level(logging.ERROR, logger="stepstream.realtime"):
        # next to a good message for a connection that is gone: the good one is handled
        answer = handler({"Records": [record, _record("good")]}, None)
    assert answer == {"batchItemFailures": []}  # refused, not retried
    assert (
        "refusing fan-out message m" in caplog.text or "refusing fan-out message ?" in caplog.text
    )
    assert "refusing fan-out message good" not in caplog.text


@pytest.mark.parametrize("event", [{}, {"Records": "x"}, []])
def test_an_event_without_records_is_an_error(aws: Provisioned, event: Any) -> None:
    with pytest.raises(ValueError, match="takes an SQS event"):
        fanout_handler()(event, None)
