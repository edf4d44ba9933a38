"""GIVEN AWS_ENDPOINT_URL already points at an AWS endpoint (here a separate moto server standing
in for DynamoDB Local or an account), or only AWS_ENDPOINT_URL_DYNAMODB does
WHEN `stepstream dev` starts
THEN it provisions the template's resources there and runs use it; embedded moto serves only the
services nothing else is configured for."""

from __future__ import annotations

import time

import boto3
import httpx

from stepstream.config import DEV_EVENT_KEY, DEV_SIGNING_KEY
from tests.support.devprocess import DevProcess, app_env


def _completed_run(url: str, stack: DevProcess) -> str:
    sent = httpx.post(f"{url}/e/{DEV_EVENT_KEY}", json={"name": "test/echo", "data": {"n": 1}})
    event_id = sent.json()["ids"][0]
    auth = {"Authorization": f"Bearer {DEV_SIGNING_KEY}"}
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        runs = httpx.get(f"{url}/v1/events/{event_id}/runs", headers=auth).json()["data"]
        if runs and runs[0]["state"] == "completed":
            return str(runs[0]["run_id"])
        time.sleep(0.2)
    raise AssertionError(f"the run did not complete:\n{stack.output}")


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
        assert f"using dynamodb at {moto_endpoint.url}" in stack.output
        assert "embedded moto" not in stack.output

        dynamodb = boto3.client(
            "dynamodb",
            endpoint_url=moto_endpoint.url,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        assert {"StateTable", "RealtimeTable"} <= set(dynamodb.list_tables()["TableNames"])

        run_id = _completed_run(url, stack)
        # The run lives in the external endpoint's table, where a restarted stack would find it.
        item = dynamodb.get_item(
            TableName="StateTable",
            Key={"pk": {"S": f"RUN#{run_id}"}, "sk": {"S": "RUN"}},
        )
        assert "Item" in item
    finally:
        stack.kill()


def test_only_dynamodb_elsewhere_keeps_sqs_and_s3_in_embedded_moto() -> None:
    from moto.server import ThreadedMotoServer

    external = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    external.start()
    host, port = external.get_host_and_port()
    url = f"http://{host}:{port}"
    stack = DevProcess(env=app_env(AWS_ENDPOINT_URL_DYNAMODB=url))
    try:
        stack.wait_ready()
        assert "starting embedded moto for sqs, s3" in stack.output
        assert f"dynamodb at {url}" in stack.output
        kwargs = {
            "endpoint_url": url,
            "region_name": "us-east-1",
            "aws_access_key_id": "testing",
            "aws_secret_access_key": "testing",
        }
        dynamodb = boto3.client("dynamodb", **kwargs)  # type: ignore[call-overload]
        assert "StateTable" in dynamodb.list_tables()["TableNames"]
        # moto's in-process servers share one backend, so which server holds the queue cannot
        # be told apart from here; the banner says where SQS went, and a run proves both work.
        assert stack.aws_endpoint != url
        run_id = _completed_run(stack.url, stack)
        item = dynamodb.get_item(
            TableName="StateTable", Key={"pk": {"S": f"RUN#{run_id}"}, "sk": {"S": "RUN"}}
        )
        assert "Item" in item
    finally:
        stack.kill()
        external.stop()
