"""GIVEN template.yaml after the SAM transform WHEN its resources are read THEN they carry what
issue 5 asks for: durable tables, a private encrypted bucket, a safe queue, scoped permissions."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from ._template_support import HANDLERS


def of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for policy in template["Resources"][role]["Properties"].get("Policies", []):
        if "Fn::If" in policy:  # a conditional policy: check the branch that grants
            policy = policy["Fn::If"][1]
        found.extend(policy["PolicyDocument"]["Statement"])
    return found


def test_every_handler_is_a_python313_arm64_function_with_the_layer(
    transformed: dict[str, Any],
) -> None:
    functions = of_type(transformed, "AWS::Lambda::Function")
    assert {k: v["Properties"]["Handler"] for k, v in functions.items()} == HANDLERS
    for props in (f["Properties"] for f in functions.values()):
        assert props["Runtime"] == "python3.13"
        assert props["Architectures"] == ["arm64"]
        stepstream_layer = {"Ref": next(iter(of_type(transformed, "AWS::Lambda::LayerVersion")))}
        # The streaming function adds the Lambda Web Adapter's layer after it.
        assert props["Layers"][0] == stepstream_layer
        assert len(props["Layers"]) == (2 if props["Handler"].endswith(".sh") else 1)


def test_tables_have_ttl_pitr_and_on_demand_billing(transformed: dict[str, Any]) -> None:
    tables = of_type(transformed, "AWS::DynamoDB::Table")
    assert set(tables) == {"StateTable", "RealtimeTable"}
    for table in tables.values():
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST"
        assert props["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
        assert props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
        assert table["DeletionPolicy"] == "Retain"


def test_bucket_is_encrypted_private_and_versioned(transformed: dict[str, Any]) -> None:
    props = transformed["Resources"]["OutputsBucket"]["Properties"]
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    assert props["VersioningConfiguration"] == {"Status": "Enabled"}


def test_queue_outlasts_six_executor_timeouts_and_feeds_it_one_at_a_time(
    transformed: dict[str, Any],
) -> None:
    resources = transformed["Resources"]
    timeout = resources["ExecutorFunction"]["Properties"]["Timeout"]
    queue = resources["ExecutorQueue"]["Properties"]
    assert queue["VisibilityTimeout"] >= 6 * timeout
    assert queue["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["ExecutorDeadLetterQueue", "Arn"]
    }
    mapping = of_type(transformed, "AWS::Lambda::EventSourceMapping")["ExecutorQueueMapping"]
    assert mapping["Properties"]["BatchSize"] == 1
    assert mapping["Properties"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["Properties"]["FunctionName"] == {"Ref": "ExecutorFunction"}
    assert "ReservedConcurrentExecutions" in resources["ExecutorFunction"]["Properties"]


def test_every_lambda_permission_names_its_source(transformed: dict[str, Any]) -> None:
    permissions = of_type(transformed, "AWS::Lambda::Permission")
    assert len(permissions) >= 7  # 2 HTTP routes, schedule, authorizer, 3 WebSocket routes
    for logical_id, permission in permissions.items():
        props = permission["Properties"]
        if props.get("FunctionUrlAuthType") == "NONE" or props.get("InvokedViaFunctionUrl"):
            # A public Function URL (the streaming function's) has no source to name: SAM
            # scopes its two permissions to calls through that URL instead.
            assert props["FunctionName"] == {"Ref": "StreamFunction"}, logical_id
            continue
        assert "SourceArn" in permission["Properties"], logical_id


def test_no_role_is_granted_every_resource(transformed: dict[str, Any]) -> None:
    for role in of_type(transformed, "AWS::IAM::Role"):
        # The managed policies are AWSLambdaBasicExecutionRole (logs only) and, with active
        # tracing, AWSXrayWriteOnlyAccess (trace segments only).
        managed = transformed["Resources"][role]["Properties"].get("ManagedPolicyArns", [])
        assert managed == [
            "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
        ]
        for statement in statements(transformed, role):
            assert statement["Resource"] != "*", (role, statement)
            assert "*" not in json.dumps(statement["Action"]), (role, statement)


@pytest.mark.parametrize(
    "role", ["ExecutorFunctionRole", "PublishFunctionRole", "WsDefaultFunctionRole"]
)
def test_manage_connections_is_scoped_to_this_apis_stage(
    transformed: dict[str, Any], role: str
) -> None:
    (grant,) = [
        s for s in statements(transformed, role) if s["Action"] == "execute-api:ManageConnections"
    ]
    resource = grant["Resource"]["Fn::Sub"]
    assert resource.endswith(":${WebSocketApi}/${Stage}/*/@connections/*")


@pytest.mark.parametrize(
    ("secret", "readers"),
    [
        # Minting (token, the API's own routes) and verifying (authorizer, "sub" frames).
        (
            "JwtSecret",
            {
                "ApiFunction",
                "StreamFunction",
                "TokenFunction",
                "WsAuthorizerFunction",
                "WsDefaultFunction",
            },
        ),
        ("EventKeySecret", {"ApiFunction"}),
        ("SigningKeySecret", {"ApiFunction", "TokenFunction", "PublishFunction"}),
    ],
)
def test_each_secret_is_readable_and_named_only_where_it_is_used(
    transformed: dict[str, Any], secret: str, readers: set[str]
) -> None:
    granted = {
        role.removesuffix("Role")
        for role in of_type(transformed, "AWS::IAM::Role")
        for s in statements(transformed, role)
        if "secretsmanager:GetSecretValue" in json.dumps(s["Action"])
        and {"Ref": secret}
        in (s["Resource"] if isinstance(s["Resource"], list) else [s["Resource"]])
    }
    named = {
        logical_id
        for logical_id, function in of_type(transformed, "AWS::Lambda::Function").items()
        if {"Ref": secret} in function["Properties"]["Environment"]["Variables"].values()
    }
    assert granted == readers
    assert named == readers


def test_executor_may_stream_from_the_configured_model_only(transformed: dict[str, Any]) -> None:
    (grant,) = [
        s
        for s in statements(transformed, "ExecutorFunctionRole")
        if "bedrock" in json.dumps(s["Action"])
    ]
    assert grant["Action"] == "bedrock:InvokeModelWithResponseStream"
    assert all("${BedrockModelId}" in r["Fn::Sub"] for r in grant["Resource"])


def test_websocket_connect_is_authorized_and_stage_throttled(transformed: dict[str, Any]) -> None:
    routes = {
        r["Properties"]["RouteKey"]: r["Properties"]
        for r in of_type(transformed, "AWS::ApiGatewayV2::Route").values()
        if r["Properties"]["ApiId"] == {"Ref": "WebSocketApi"}
    }
    assert set(routes) == {"$connect", "$disconnect", "$default"}
    assert routes["$connect"]["AuthorizationType"] == "CUSTOM"
    (authorizer,) = of_type(transformed, "AWS::ApiGatewayV2::Authorizer").values()
    assert authorizer["Properties"]["AuthorizerType"] == "REQUEST"
    # No identity source, so a token in either the query string or the header reaches the
    # function (API Gateway would refuse a connect lacking any listed source).
    assert "IdentitySource" not in authorizer["Properties"]
    stage = transformed["Resources"]["WebSocketStage"]["Properties"]
    assert {"ThrottlingRateLimit", "ThrottlingBurstLimit"} <= set(stage["DefaultRouteSettings"])


def test_alarms_watch_dead_letters_errors_and_throttles(transformed: dict[str, Any]) -> None:
    watched = {
        a["Properties"]["MetricName"]
        for a in of_type(transformed, "AWS::CloudWatch::Alarm").values()
    }
    assert watched == {
        "ApproximateNumberOfMessagesVisible",
        "ApproximateAgeOfOldestMessage",
        "Errors",
        "Throttles",
    }


def test_outputs_name_urls_tables_and_secret(transformed: dict[str, Any]) -> None:
    assert {
        "HttpApiUrl",
        "WebSocketUrl",
        "RealtimeConnectUrl",
        "StateTableName",
        "RealtimeTableName",
        "JwtSecretArn",
    } <= set(transformed["Outputs"])


def test_functions_read_powertools_and_stepstream_settings(transformed: dict[str, Any]) -> None:
    # The executor runs user code: no key and no secret's ARN is in its environment.
    variables = transformed["Resources"]["ExecutorFunction"]["Properties"]["Environment"][
        "Variables"
    ]
    assert {
        "STEPSTREAM_STATE_TABLE",
        "STEPSTREAM_REALTIME_TABLE",
        "STEPSTREAM_QUEUE_URL",
        "STEPSTREAM_FANOUT_QUEUE_URL",
        "STEPSTREAM_BUCKET",
        "STEPSTREAM_RUN_RETENTION_DAYS",
        "STEPSTREAM_WS_MANAGEMENT_URL",
        "STEPSTREAM_REALTIME_URL",
        "STEPSTREAM_ROUTES",
        "STEPSTREAM_CORS_ORIGINS",
        "STEPSTREAM_APP",
        "STEPSTREAM_BEDROCK_MODEL_ID",
        "POWERTOOLS_SERVICE_NAME",
        "POWERTOOLS_LOG_LEVEL",
        "POWERTOOLS_METRICS_NAMESPACE",
    } == set(variables)


@pytest.mark.parametrize(
    ("parameter", "good", "bad"),
    [
        ("SigningKey", "signkey-prod-" + "ab12" * 16, "signkey-prod-XYZ"),
        ("EventKey", "a" * 32, "short"),
        ("CorsAllowedOrigins", "https://a.example.com,http://localhost:5173", "example.com"),
        ("CorsAllowedOrigins", "*", "https://a.example.com, https://b.example.com"),
        ("BedrockModelId", "anthropic.claude-3-haiku-20240307-v1:0", "model id with spaces"),
        ("Stage", "prod", "Prod"),
    ],
)
def test_parameters_accept_real_values_and_refuse_mistakes(
    transformed: dict[str, Any], parameter: str, good: str, bad: str
) -> None:
    spec = transformed["Parameters"][parameter]
    pattern = spec["AllowedPattern"]
    assert re.fullmatch(pattern, str(spec["Default"]))
    assert re.fullmatch(pattern, good)
    assert not re.fullmatch(pattern, bad)
