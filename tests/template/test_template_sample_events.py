"""GIVEN the sample events in events/ WHEN parsed with Powertools' models of the AWS event each
handler receives THEN each is a well-formed event of its kind, and every handler has one."""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
from aws_lambda_powertools.utilities.parser.models import (
    APIGatewayProxyEventV2Model,
    APIGatewayWebSocketConnectEventModel,
    APIGatewayWebSocketDisconnectEventModel,
    APIGatewayWebSocketMessageEventModel,
    EventBridgeModel,
    SqsModel,
)
from aws_lambda_powertools.utilities.parser.models.apigw_websocket import (
    APIGatewayWebSocketConnectEventRequestContext,
)
from pydantic import BaseModel, Field, ValidationError

from stepstream.config import DEV_EVENT_KEY, DEV_SIGNING_KEY

from ._template_support import EVENTS, HANDLERS, transform_template


class WebSocketAuthorizerRequest(BaseModel):
    """A WebSocket $connect REQUEST authorizer event. Powertools' authorizer models are the REST
    API's, which carry resource/path/httpMethod that a WebSocket connect does not have."""

    type: Literal["REQUEST"]
    method_arn: str = Field(
        alias="methodArn", pattern=r"^arn:aws:execute-api:[^/]+/[^/]+/\$connect$"
    )
    headers: dict[str, str]
    multi_value_headers: dict[str, list[str]] = Field(alias="multiValueHeaders")
    query: dict[str, str] = Field(alias="queryStringParameters")
    stage_variables: dict[str, str] = Field(alias="stageVariables")
    request_context: APIGatewayWebSocketConnectEventRequestContext = Field(alias="requestContext")


MODELS: dict[str, type[BaseModel]] = {
    "api.json": APIGatewayProxyEventV2Model,
    "api_send_event.json": APIGatewayProxyEventV2Model,
    "realtime_token.json": APIGatewayProxyEventV2Model,
    "realtime_publish.json": APIGatewayProxyEventV2Model,
    "executor.json": SqsModel,
    "fanout.json": SqsModel,
    "scheduler.json": EventBridgeModel,
    "ws_authorizer.json": WebSocketAuthorizerRequest,
    "ws_connect.json": APIGatewayWebSocketConnectEventModel,
    "ws_disconnect.json": APIGatewayWebSocketDisconnectEventModel,
    "ws_default.json": APIGatewayWebSocketMessageEventModel,
}


def load(name: str) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((EVENTS / name).read_text(encoding="utf-8"))
    return document


def test_every_handler_has_a_sample_and_every_sample_a_model() -> None:
    # run_stream.sh receives no Lambda event: the adapter turns it into an HTTP request.
    modules = {h.split(".")[0] for h in HANDLERS.values() if not h.endswith(".sh")}
    assert modules <= {name.removesuffix(".json") for name in MODELS}
    assert {p.name for p in EVENTS.glob("*.json")} - {"env.json"} == set(MODELS)


@pytest.mark.parametrize("name", sorted(MODELS))
def test_sample_is_a_valid_event_of_its_kind(name: str) -> None:
    MODELS[name].model_validate(load(name))


def test_models_refuse_a_sample_of_another_kind() -> None:
    with pytest.raises(ValidationError):
        APIGatewayWebSocketConnectEventModel.model_validate(load("ws_disconnect.json"))
    with pytest.raises(ValidationError):
        SqsModel.model_validate(load("scheduler.json"))


def test_http_samples_address_the_routes_the_template_sends_there() -> None:
    assert load("api.json")["requestContext"]["http"]["path"] == "/health"
    assert load("api_send_event.json")["rawPath"].startswith("/e/")
    assert load("realtime_token.json")["routeKey"] == "POST /v1/realtime/token"
    assert load("realtime_publish.json")["routeKey"] == "POST /v1/realtime/publish"


def test_sqs_sample_carries_an_executor_message() -> None:
    (record,) = load("executor.json")["Records"]
    body = json.loads(record["body"])
    assert set(body) >= {"run_id", "kind"}
    assert body["kind"] == "start"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_no_sample_carries_a_development_key(name: str) -> None:
    # Lambda refuses the development keys, so `sam local invoke -e` with them answers 401.
    text = (EVENTS / name).read_text(encoding="utf-8")
    assert DEV_EVENT_KEY not in text
    assert DEV_SIGNING_KEY not in text


def test_env_file_sets_only_variables_sam_local_passes_on() -> None:
    # `sam local invoke --env-vars` sets only variables the template declares for the function.
    overrides = load("env.json")
    functions = {
        logical_id: spec["Properties"]["Environment"]["Variables"]
        for logical_id, spec in transform_template()["Resources"].items()
        if spec["Type"] == "AWS::Lambda::Function"
    }
    for variable in overrides.pop("Parameters"):
        assert all(variable in declared for declared in functions.values()), variable
    for logical_id, variables in overrides.items():
        assert set(variables) <= set(functions[logical_id]), logical_id


def test_env_file_keys_are_the_ones_the_samples_send() -> None:
    overrides = load("env.json")
    event_key = overrides["ApiFunction"]["STEPSTREAM_EVENT_KEY"]
    signing_key = overrides["TokenFunction"]["STEPSTREAM_SIGNING_KEY"]
    assert load("api_send_event.json")["rawPath"] == f"/e/{event_key}"
    assert load("realtime_token.json")["headers"]["authorization"] == f"Bearer {signing_key}"
    assert overrides["ApiFunction"]["STEPSTREAM_SIGNING_KEY"] == signing_key
