"""A scripted workflow through the deployed handlers with metrics on, on DynamoDB/SQS/S3 in moto
and the local WebSocket gateway, its stdout captured as Lambda's log stream would be."""

from __future__ import annotations

from pathlib import Path

import pytest

from stepstream.local import Provisioned, RunningGateway

from ._scenario import Observed, run_scenario

TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"


@pytest.fixture
def observed(
    aws: Provisioned,
    gateway: RunningGateway,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Observed:
    return run_scenario(aws, gateway, monkeypatch, capsys)
