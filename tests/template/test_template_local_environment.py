"""GIVEN template.yaml WHEN the local stack provisions it on moto THEN the functions' environment
holds only values that mean something locally: resource names, URLs and plain settings, never an
unresolved parameter, secret reference or API id (those take the library's local defaults)."""

from __future__ import annotations

import re

from stepstream.local import Provisioned, load_template

from ._template_support import TEMPLATE


def test_local_environment_has_no_unresolved_values(aws: Provisioned) -> None:
    parameters = set(load_template(TEMPLATE)["Parameters"])
    for name, value in aws.environment.items():
        assert "${" not in value, (name, value)
        assert "{{resolve" not in value, (name, value)
        assert value not in parameters, f"{name} resolved to the parameter name {value!r}"
        assert not re.fullmatch(r"[A-Z][A-Za-z]+", value), (name, value)


def test_local_environment_points_at_the_provisioned_resources(aws: Provisioned) -> None:
    env = aws.environment
    assert env["STEPSTREAM_STATE_TABLE"] == aws.tables["StateTable"]
    assert env["STEPSTREAM_REALTIME_TABLE"] == aws.tables["RealtimeTable"]
    assert env["STEPSTREAM_QUEUE_URL"] == aws.queues["ExecutorQueue"]
    assert env["STEPSTREAM_BUCKET"] == aws.buckets["OutputsBucket"]
    assert env["STEPSTREAM_APP"] == "app:app"
    # Deploy-only settings are left to the library's local defaults.
    for name in (
        "STEPSTREAM_EVENT_KEY",
        "STEPSTREAM_SIGNING_KEY",
        "STEPSTREAM_WS_MANAGEMENT_URL",
        "STEPSTREAM_REALTIME_URL",
        "STEPSTREAM_CORS_ORIGINS",
        "STEPSTREAM_BEDROCK_MODEL_ID",
        "POWERTOOLS_LOG_LEVEL",
    ):
        assert name not in env
    assert env.get("STEPSTREAM_JWT_SECRET_ARN", "") == ""
