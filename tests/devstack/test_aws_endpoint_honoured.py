"""GIVEN AWS_ENDPOINT_URL already points at an AWS endpoint (here a separate moto server standing
in for DynamoDB Local or an account)
WHEN `stepstream dev` starts
THEN it starts no embedded moto, provisions the template's resources there, and runs use it."""

from __future__ import annotations

import time

import boto3
import httpx
from devprocess import DevProcess, app_env

from stepstream._config import DEV_EVENT_KEY, DEV_SIGNING_KEY


def test_provisions_on_the_given_endpoint(moto_endpoint) -> None:  # type: ignore[no-untyped-def]
    env = app_env(
        AWS_ENDPOINT_URL=moto_endpoint.url,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
    )
    stack = DevProcess(env=env)
    try:
        url = stack.wait_ready()
        assert f"using AWS_ENDPOINT_URL={moto_endpoint.url}" in stack.output
        assert "embedded moto" not in stack.output

        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=moto_endpoint.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        assert {"StateTable", "RealtimeTable"} <= set(dynamodb.list_tables()["TableNames"])

        sent = httpx.post(f"{url}/e/{DEV_EVENT_KEY}", json={"name": "test/echo", "data": {"n": 1}})
        event_id = sent.json()["ids"][0]
        auth = {"Authorization": f"Bearer {DEV_SIGNING_KEY}"}
        deadline = time.monotonic() + 30
        runs: list[dict[str, str]] = []
        while time.monotonic() < deadline:
            runs = httpx.get(f"{url}/v1/events/{event_id}/runs", headers=auth).json()["data"]
            if runs and runs[0]["state"] == "completed":
                break
            time.sleep(0.2)
        assert runs, stack.output
        assert runs[0]["state"] == "completed", stack.output
        # The run lives in the external endpoint's table, where a restarted stack would find it.
        item = dynamodb.get_item(
            TableName="StateTable",
            Key={"pk": {"S": f"RUN#{runs[0]['run_id']}"}, "sk": {"S": "RUN"}},
        )
        assert "Item" in item
    finally:
        stack.kill()
