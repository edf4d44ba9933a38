"""GIVEN template.yaml through the SAM transform THEN the sharded fan-out is deployed as
docs/realtime.md describes it: a FIFO queue with one group per shard, a function fed by its own
mapping (batches of a shard's consecutive frames, partial failures reported), a FIFO
dead-letter queue with an alarm for messages that keep failing, and least
privilege: only the two publishers may send to the queue, and the fan-out function may forget
gone connections, consume that queue and post to this API's connections, nothing
else."""

from __future__ import annotations

from typing import Any

from .test_template_resources import of_type, statements

QUEUE = {"Fn::GetAtt": ["FanoutQueue", "Arn"]}


def test_the_queue_is_fifo_with_throughput_per_group(transformed: dict[str, Any]) -> None:
    queue = transformed["Resources"]["FanoutQueue"]["Properties"]
    assert queue["FifoQueue"] is True
    assert queue["FifoThroughputLimit"] == "perMessageGroupId"
    assert queue["DeduplicationScope"] == "messageGroup"
    timeout = transformed["Resources"]["FanoutFunction"]["Properties"]["Timeout"]
    assert queue["VisibilityTimeout"] >= 6 * timeout


def test_the_function_is_fed_by_its_own_mapping(transformed: dict[str, Any]) -> None:
    mapping = of_type(transformed, "AWS::Lambda::EventSourceMapping")["FanoutQueueMapping"]
    props = mapping["Properties"]
    assert props["EventSourceArn"] == QUEUE
    assert props["FunctionName"] == {"Ref": "FanoutFunction"}
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BatchSize"] <= 10  # a FIFO mapping's limit
    assert props["ScalingConfig"]["MaximumConcurrency"] >= 2


def test_only_the_publishers_may_send_to_the_queue(transformed: dict[str, Any]) -> None:
    senders = {
        role.removesuffix("Role")
        for role in of_type(transformed, "AWS::IAM::Role")
        for s in statements(transformed, role)
        if s["Resource"] == QUEUE and "sqs:SendMessage" in _actions(s)
    }
    assert senders == {"ExecutorFunction", "PublishFunction"}


def test_the_fanout_role_has_exactly_what_a_shard_needs(transformed: dict[str, Any]) -> None:
    granted = {
        (action, str(s["Resource"]))
        for s in statements(transformed, "FanoutFunctionRole")
        for action in _actions(s)
    }
    table = str({"Fn::GetAtt": ["RealtimeTable", "Arn"]})
    actions = {action for action, _ in granted}
    assert actions == {
        "dynamodb:GetItem",  # a gone connection's channels...
        "dynamodb:BatchWriteItem",  # ...and deleting its items
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
        "execute-api:ManageConnections",
    }
    for action, resource in granted:
        if action.startswith("dynamodb:"):
            assert resource == table
        elif action.startswith("sqs:"):
            assert resource == str(QUEUE)
        else:
            assert "@connections/*" in resource


def test_a_message_that_keeps_failing_goes_to_a_fifo_dead_letter_queue_with_an_alarm(
    transformed: dict[str, Any],
) -> None:
    resources = transformed["Resources"]
    redrive = resources["FanoutQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["FanoutDeadLetterQueue", "Arn"]}
    # fewer receives than the retention allows (300 s / 90 s visibility): it leaves the group
    # for the dead-letter queue before it would expire blocking it
    queue = resources["FanoutQueue"]["Properties"]
    assert (
        1
        < redrive["maxReceiveCount"]
        <= queue["MessageRetentionPeriod"] // queue["VisibilityTimeout"]
    )
    dead = resources["FanoutDeadLetterQueue"]["Properties"]
    assert dead["FifoQueue"] is True  # a FIFO queue's dead-letter queue must be FIFO
    assert dead["SqsManagedSseEnabled"] is True
    assert dead["MessageRetentionPeriod"] > queue["MessageRetentionPeriod"]
    alarm = of_type(transformed, "AWS::CloudWatch::Alarm")["FanoutDeadLetterAlarm"]["Properties"]
    assert alarm["Namespace"] == "AWS/SQS"
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["FanoutDeadLetterQueue", "QueueName"]}}
    ]
    assert alarm["Threshold"] == 0
    assert alarm["ComparisonOperator"] == "GreaterThanThreshold"


def test_no_role_may_touch_the_dead_letter_queue(transformed: dict[str, Any]) -> None:
    # SQS moves the messages itself; least privilege is no grant at all
    for role in of_type(transformed, "AWS::IAM::Role"):
        for statement in statements(transformed, role):
            assert "FanoutDeadLetterQueue" not in str(statement["Resource"]), role


def test_every_function_knows_the_queue(transformed: dict[str, Any]) -> None:
    for name, function in of_type(transformed, "AWS::Lambda::Function").items():
        variables = function["Properties"]["Environment"]["Variables"]
        assert variables["STEPSTREAM_FANOUT_QUEUE_URL"] == {"Ref": "FanoutQueue"}, name


def _actions(statement: dict[str, Any]) -> list[str]:
    action = statement["Action"]
    return [action] if isinstance(action, str) else list(action)
