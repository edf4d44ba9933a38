"""GIVEN kept messages and an ``@connections`` endpoint that throttles mid-replay, WHEN a sub with
``since`` is handled, THEN the error propagates (Lambda retries/logs it) but the subscription is
not left held: it is released at the last message actually delivered.

API Gateway's 429 ``LimitExceededException`` is an error the local gateway never produces, so the
``@connections`` client here is a real boto3 client with botocore's Stubber; DynamoDB is moto."""

from __future__ import annotations

import json
import time

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from stepstream import aws as _aws
from stepstream.local import Provisioned
from stepstream.realtime import Realtime, channel, topic
from stepstream.realtime._socket import on_message
from stepstream.store import HOLD, ConnectionsApi, ConnectionStore, _seq_blocks

from ._support import APP_ID, token


@pytest.fixture(autouse=True)
def seqs_from_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """These scenarios name seqs 1, 2, 3...; a new channel's counter starts from the clock."""
    monkeypatch.setattr(_seq_blocks, "seq_floor", lambda: 0)


saga = channel("saga").add_topic(topic("line", history=True))
STUB_URL = "https://stub.execute-api.us-east-1.amazonaws.com/local"


async def test_throttled_replay_releases_the_hold(aws: Provisioned) -> None:
    realtime = Realtime(APP_ID, cache_seconds=0)
    try:
        for n in range(5):
            await realtime.publish(saga().line, f"line {n}")
        await realtime.flush()
    finally:
        realtime.close()
    client = _aws.client("apigatewaymanagementapi", endpoint_url=STUB_URL)
    event = {
        "requestContext": {
            "connectionId": "conn-1=",
            "connectedAt": int(time.time() * 1000),
            "authorizer": {},
        },
        "body": json.dumps({"kind": "sub", "data": token("saga", ["line"]), "since": 0}),
        "isBase64Encoded": False,
    }
    store = ConnectionStore()
    with Stubber(client) as stub:
        stub.add_response("post_to_connection", {})
        stub.add_response("post_to_connection", {})
        stub.add_client_error(
            "post_to_connection", "LimitExceededException", "Too Many Requests", 429
        )
        with pytest.raises(ClientError):
            on_message(event, store=store, api=ConnectionsApi(STUB_URL))
    held = store.subscription("conn-1=", "saga")
    assert held is not None
    assert held.live_after == 2  # seqs 1 and 2 were delivered; not HOLD
    assert held.live_after != HOLD
