"""GIVEN template.yaml WHEN provisioned on moto THEN its resources exist and the functions'
environment points at them."""

from __future__ import annotations

import pytest

from stepstream.aws import client
from stepstream.local import Provisioned


def test_provision_creates_template_resources(aws: Provisioned) -> None:
    assert set(aws.tables) == {"StateTable", "RealtimeTable"}
    table = client("dynamodb").describe_table(TableName=aws.tables["StateTable"])["Table"]
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["pk", "sk"]
    assert table["GlobalSecondaryIndexes"][0]["IndexName"] == "gsi1"
    assert aws.environment["STEPSTREAM_STATE_TABLE"] == aws.tables["StateTable"]
    assert aws.environment["STEPSTREAM_QUEUE_URL"] == aws.queues["ExecutorQueue"]

    attributes = client("sqs").get_queue_attributes(
        QueueUrl=aws.queues["ExecutorQueue"], AttributeNames=["All"]
    )["Attributes"]
    assert aws.queue_arns["ExecutorDeadLetterQueue"] in attributes["RedrivePolicy"]


def test_clients_honour_service_specific_endpoint(
    aws: Provisioned, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stepstream.aws import reset_clients

    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:9")
    reset_clients()
    assert client("sqs").meta.endpoint_url == "http://127.0.0.1:9"
    assert client("dynamodb").meta.endpoint_url != "http://127.0.0.1:9"
