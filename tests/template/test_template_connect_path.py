"""GIVEN the optional CloudFront front WHEN a client opens wss://<host>/v1/realtime/connect THEN
that path (and only it) goes to the WebSocket API, rewritten to the API's stage, with the query
string (the token) and headers passed through; everything else goes to the HTTP API.

The viewer-request function is JavaScript; it runs here in Node on a CloudFront-shaped event."""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import pytest

from stepstream.local import load_template

from ._template_support import TEMPLATE


def distribution() -> dict[str, Any]:
    config: dict[str, Any] = load_template(TEMPLATE)["Resources"]["Distribution"]["Properties"][
        "DistributionConfig"
    ]
    return config


def rewrite(uri: str, stage: str) -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (scripts/system-deps.sh installs it)")
    code = load_template(TEMPLATE)["Resources"]["ConnectPathRewrite"]["Properties"]["FunctionCode"]
    source = code["Fn::Sub"].replace("${Stage}", stage)
    event = {
        "request": {
            "method": "GET",
            "uri": uri,
            "querystring": {"token": {"value": "eyJ.a.b"}},
            "headers": {"sec-websocket-key": {"value": "dGhlIHNhbXBsZSBub25jZQ=="}},
        }
    }
    script = f"{source}\nprocess.stdout.write(JSON.stringify(handler({json.dumps(event)})));"
    result = subprocess.run(
        [node, "-e", script], capture_output=True, text=True, timeout=30, check=True
    )
    request: dict[str, Any] = json.loads(result.stdout)
    return request


def test_connect_path_is_rewritten_to_the_stage_keeping_token_and_headers() -> None:
    request = rewrite("/v1/realtime/connect", stage="prod")
    assert request["uri"] == "/prod"
    assert request["querystring"] == {"token": {"value": "eyJ.a.b"}}
    assert "sec-websocket-key" in request["headers"]


@pytest.mark.parametrize(
    "uri", ["/v1/realtime/connect/../../@connections/abc", "/v1/realtime/connect%2F..%2Fx"]
)
def test_no_path_a_client_sends_reaches_another_websocket_route(uri: str) -> None:
    # The rewrite is unconditional: whatever follows the pattern, only the stage is requested.
    assert rewrite(uri, stage="prod")["uri"] == "/prod"


def test_only_the_connect_path_reaches_the_websocket_api() -> None:
    config = distribution()
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "http-api"
    (behaviour,) = config["CacheBehaviors"]
    assert behaviour["PathPattern"] == "/v1/realtime/connect"
    assert behaviour["TargetOriginId"] == "websocket-api"
    (association,) = behaviour["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"


def test_nothing_is_cached_and_the_origin_host_is_api_gateways() -> None:
    caching_disabled = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
    all_viewer_except_host = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    config = distribution()
    for behaviour in [config["DefaultCacheBehavior"], *config["CacheBehaviors"]]:
        assert behaviour["CachePolicyId"] == caching_disabled
        assert behaviour["OriginRequestPolicyId"] == all_viewer_except_host
