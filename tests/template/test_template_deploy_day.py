"""GIVEN template.yaml after the SAM transform WHEN read as AWS will run it THEN it has what
issue 8 found missing: the recursion opt-in, JSON logs at the LogLevel, tracing, an alarm topic
CloudWatch can publish to, retention consistent between the tables and the bucket, no key in any
function's configuration, and the production settings checkov and cfn-lint point at."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ._template_support import HANDLERS
from .test_template_resources import of_type, statements

LAMBDA_LEVELS = {"TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"}


def functions(transformed: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: v["Properties"] for k, v in of_type(transformed, "AWS::Lambda::Function").items()}


def test_the_executor_may_send_to_its_own_queue_without_being_stopped(
    transformed: dict[str, Any],
) -> None:
    props = functions(transformed)
    assert props["ExecutorFunction"]["RecursiveLoop"] == "Allow"
    # Only the executor loops; everything else keeps Lambda's default protection.
    assert [k for k, p in props.items() if "RecursiveLoop" in p] == ["ExecutorFunction"]


def test_every_function_logs_json_at_the_stacks_log_level(transformed: dict[str, Any]) -> None:
    levels = transformed["Mappings"]["LambdaLogLevel"]
    assert set(levels) == set(transformed["Parameters"]["LogLevel"]["AllowedValues"])
    assert {level["Name"] for level in levels.values()} <= LAMBDA_LEVELS
    for logical_id, props in functions(transformed).items():
        logging = props["LoggingConfig"]
        assert logging["LogFormat"] == "JSON", logical_id
        assert logging["ApplicationLogLevel"] == {
            "Fn::FindInMap": ["LambdaLogLevel", {"Ref": "LogLevel"}, "Name"]
        }
        assert logging["SystemLogLevel"] in LAMBDA_LEVELS


def test_every_function_is_traced(transformed: dict[str, Any]) -> None:
    assert set(functions(transformed)) == set(HANDLERS)
    for logical_id, props in functions(transformed).items():
        assert props["TracingConfig"] == {"Mode": "Active"}, logical_id


def test_the_alarm_topic_is_encrypted_with_a_key_cloudwatch_may_use(
    transformed: dict[str, Any],
) -> None:
    resources = transformed["Resources"]
    topic = resources["AlarmTopic"]["Properties"]
    assert topic["KmsMasterKeyId"] == {"Ref": "AlarmTopicKey"}
    (grant,) = [
        s
        for s in resources["AlarmTopicKey"]["Properties"]["KeyPolicy"]["Statement"]
        if s["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    ]
    assert set(grant["Action"]) >= {"kms:GenerateDataKey*", "kms:Decrypt"}
    assert grant["Effect"] == "Allow"


def test_outputs_expire_only_after_their_run_ended_and_its_retention(
    transformed: dict[str, Any],
) -> None:
    resources = transformed["Resources"]
    assert transformed["Parameters"]["RunRetentionDays"]["Type"] == "Number"
    rules = resources["OutputsBucket"]["Properties"]["LifecycleConfiguration"]["Rules"]
    expiring = [r for r in rules if "ExpirationInDays" in r or "ExpirationDate" in r]
    # No age-based expiry of an object that is not marked as belonging to an ended run: a run
    # may sleep longer than any fixed age.
    assert expiring
    for rule in expiring:
        assert rule["TagFilters"] == [{"Key": "stepstream-run", "Value": "ended"}]
        assert rule["ExpirationInDays"] == {"Ref": "RunRetentionDays"}
    for logical_id, props in functions(transformed).items():
        assert "STEPSTREAM_RUN_RETENTION_DAYS" in props["Environment"]["Variables"], logical_id
    state = resources["StateTable"]["Properties"]["TimeToLiveSpecification"]
    assert state == {"AttributeName": "ttl", "Enabled": True}


def test_no_function_configuration_holds_a_key(transformed: dict[str, Any]) -> None:
    for logical_id, props in functions(transformed).items():
        variables = props["Environment"]["Variables"]
        assert "{{resolve:" not in json.dumps(variables), logical_id
        # Declared empty where `sam local invoke --env-vars` may fill in a sample key.
        for name in ("STEPSTREAM_EVENT_KEY", "STEPSTREAM_SIGNING_KEY", "STEPSTREAM_JWT_SECRET"):
            assert variables.get(name, "") == "", (logical_id, name)
    # Parameters given as keys go into the secrets, never into a function.
    for secret in ("EventKeySecret", "SigningKeySecret"):
        assert "Condition" not in transformed["Resources"][secret]


def test_the_api_may_wait_for_subscriptions_in_the_realtime_table(
    transformed: dict[str, Any],
) -> None:
    (grant,) = [
        s
        for s in statements(transformed, "ApiFunctionRole")
        if s["Resource"] == {"Fn::GetAtt": ["RealtimeTable", "Arn"]}
    ]
    assert grant["Action"] == "dynamodb:Query"


def test_the_token_function_answers_browsers_from_the_allowed_origins(
    transformed: dict[str, Any],
) -> None:
    for logical_id in ("ApiFunction", "TokenFunction"):
        variables = functions(transformed)[logical_id]["Environment"]["Variables"]
        assert variables["STEPSTREAM_CORS_ORIGINS"] == {
            "Fn::If": ["HasCorsOrigins", {"Ref": "CorsAllowedOrigins"}, {"Ref": "AWS::NoValue"}]
        }


def test_tables_are_deletion_protected_by_a_parameter(transformed: dict[str, Any]) -> None:
    for table in of_type(transformed, "AWS::DynamoDB::Table").values():
        assert table["Properties"]["DeletionProtectionEnabled"] == {
            "Fn::If": ["ProtectTables", True, False]
        }
    assert transformed["Parameters"]["TableDeletionProtection"]["Default"] == "true"


def test_the_queue_mapping_invokes_no_more_than_the_reserved_concurrency(
    transformed: dict[str, Any],
) -> None:
    mapping = of_type(transformed, "AWS::Lambda::EventSourceMapping")["ExecutorQueueMapping"]
    assert mapping["Properties"]["ScalingConfig"] == {
        "Fn::If": [
            "HasReservedConcurrency",
            {"MaximumConcurrency": {"Ref": "ExecutorReservedConcurrency"}},
            {"Ref": "AWS::NoValue"},
        ]
    }


def _evaluate_name(value: Any, stack_id: str) -> str:
    """The few intrinsics a resource name uses, evaluated for one stack."""
    if isinstance(value, str):
        return value
    ((key, arg),) = value.items()
    if key == "Fn::Join":
        return str(arg[0]).join(_evaluate_name(part, stack_id) for part in arg[1])
    if key == "Fn::Select":
        index, listed = arg
        ((split_key, (separator, source)),) = listed.items()
        assert split_key == "Fn::Split"
        assert source == {"Ref": "AWS::StackId"}
        return str(stack_id.split(separator)[int(index)])
    if key == "Fn::Sub":
        return str(arg).replace("${AWS::StackName}", "s" * 128)
    raise AssertionError(f"unexpected intrinsic {key}")


def test_the_cloudfront_function_name_fits_for_any_stack_name(
    transformed: dict[str, Any],
) -> None:
    stack_id = (
        "arn:aws:cloudformation:us-east-1:123456789012:stack/"
        + "s" * 128
        + "/51af3dc0-da77-11e4-872e-1234567db123"
    )
    name = _evaluate_name(
        transformed["Resources"]["ConnectPathRewrite"]["Properties"]["Name"], stack_id
    )
    assert len(name) <= 64, name


def test_both_apis_write_access_logs(transformed: dict[str, Any]) -> None:
    stages = of_type(transformed, "AWS::ApiGatewayV2::Stage")
    (http_stage,) = [s for s in stages.values() if s["Properties"]["ApiId"] == {"Ref": "HttpApi"}]
    assert http_stage["Properties"]["AccessLogSettings"]["DestinationArn"] == {
        "Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]
    }
    websocket = stages["WebSocketStage"]["Properties"]["AccessLogSettings"]["Fn::If"]
    assert websocket[0] == "HasWebSocketAccessLogs"
    assert websocket[1]["DestinationArn"] == {"Fn::GetAtt": ["ApiAccessLogGroup", "Arn"]}


@pytest.mark.parametrize("function", sorted(HANDLERS))
def test_every_function_has_an_errors_alarm(transformed: dict[str, Any], function: str) -> None:
    watched = [
        a["Properties"]
        for a in of_type(transformed, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "Errors"
        and a["Properties"]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function}}]
    ]
    assert len(watched) == 1


def test_queue_age_is_alarmed_beyond_the_longest_timer_hop(transformed: dict[str, Any]) -> None:
    (alarm,) = [
        a["Properties"]
        for a in of_type(transformed, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "ApproximateAgeOfOldestMessage"
    ]
    assert alarm["Dimensions"][0]["Value"] == {"Fn::GetAtt": ["ExecutorQueue", "QueueName"]}
    assert alarm["Threshold"] > 900  # an SQS delay (a timer hop) is at most 900 s
