"""GIVEN template.yaml through the SAM transform WHEN the streaming function is read THEN it is
what the AWS Lambda Web Adapter needs to stream ``POST /api/hello-world``: the adapter's arm64
layer and wrapper, response-stream mode in both the adapter and the Function URL, a readiness
path the app answers, and a handler script that serves the streaming app on ``$PORT``."""

from __future__ import annotations

import os
from typing import Any

from ._template_support import ROOT


def resource(transformed: dict[str, Any], logical_id: str) -> dict[str, Any]:
    found: dict[str, Any] = transformed["Resources"][logical_id]
    return found


def test_the_function_url_streams_and_is_the_stream_url_output(
    transformed: dict[str, Any],
) -> None:
    url = resource(transformed, "StreamFunctionUrl")
    assert url["Type"] == "AWS::Lambda::Url"
    assert url["Properties"]["InvokeMode"] == "RESPONSE_STREAM"
    assert url["Properties"]["TargetFunctionArn"] == {"Ref": "StreamFunction"}
    output = transformed["Outputs"]["StreamUrl"]["Value"]
    assert output == {"Fn::GetAtt": ["StreamFunctionUrl", "FunctionUrl"]}


def test_the_adapter_wraps_the_function_in_response_stream_mode(
    transformed: dict[str, Any],
) -> None:
    props = resource(transformed, "StreamFunction")["Properties"]
    variables = props["Environment"]["Variables"]
    assert variables["AWS_LAMBDA_EXEC_WRAPPER"] == "/opt/bootstrap"
    assert variables["AWS_LWA_INVOKE_MODE"] == "response_stream"
    assert variables["AWS_LWA_READINESS_CHECK_PATH"] == "/health"
    assert props["Architectures"] == ["arm64"]
    adapter = props["Layers"][1]["Fn::Sub"]
    assert ":753240598075:layer:LambdaAdapterLayerArm64:" in adapter


def test_the_handler_script_serves_the_streaming_app_on_port() -> None:
    script = ROOT / "functions" / "run_stream.sh"
    assert os.access(script, os.X_OK), "Lambda runs the handler file itself: it must be executable"
    text = script.read_text(encoding="utf-8")
    assert text.startswith("#!/bin/sh\n")
    assert "exec python -m uvicorn stream_api:app" in text
    assert '--port "${PORT:-8080}"' in text
    assert (ROOT / "functions" / "stream_api.py").is_file()


def test_the_role_allows_what_the_hello_world_route_does_and_no_posting(
    transformed: dict[str, Any],
) -> None:
    role = resource(transformed, "StreamFunctionRole")["Properties"]
    actions = [
        action
        for policy in role["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
        for action in (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
    ]
    assert "sqs:SendMessage" in actions
    assert "dynamodb:Query" in actions
    assert "secretsmanager:GetSecretValue" in actions
    assert "execute-api:ManageConnections" not in actions
