"""GIVEN the template's LoggingConfig (JSON, ApplicationLogLevel from the LogLevel parameter)
WHEN a handler logs a library INFO line (the API ignoring a duplicate event) THEN it is written,
as one JSON object, at LogLevel INFO and dropped at WARNING, as Lambda's runtime does."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from stepstream.handlers import handler_logger
from tests.support.aws import MotoEndpoint

from ._support import fidelity_stack, send


def _duplicate_event_lines(
    moto: MotoEndpoint,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    level: str,
) -> list[dict[str, Any]]:
    # The service's Powertools Logger exists before the stack's runtime handler, as after an
    # earlier stack in the same process: its records must still be written once.
    handler_logger()
    capfd.readouterr()
    event_id = f"dup-{uuid.uuid4().hex}"
    with fidelity_stack(moto, monkeypatch, pollers=False, parameters={"LogLevel": level}) as stack:
        send(stack, "test/slow", {}, event_id=event_id)
        send(stack, "test/slow", {}, event_id=event_id)
    out, err = capfd.readouterr()
    lines = [json.loads(line) for line in (out + err).splitlines() if line.startswith("{")]
    return [line for line in lines if f"duplicate event {event_id}" in str(line.get("message"))]


def test_info_lines_are_written_at_info(
    moto_endpoint: MotoEndpoint, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    lines = _duplicate_event_lines(moto_endpoint, monkeypatch, capfd, "INFO")
    assert len(lines) == 1, lines
    assert lines[0]["level"] == "INFO"


def test_info_lines_are_dropped_at_warning(
    moto_endpoint: MotoEndpoint, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    assert _duplicate_event_lines(moto_endpoint, monkeypatch, capfd, "WARNING") == []
