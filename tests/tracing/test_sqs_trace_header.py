"""GIVEN the executor queue on moto (server mode, over HTTP)
WHEN the engine queues a message while a trace span is open, with tracing off, on Lambda, and
inside the dev stack's recursion emulation
THEN a real boto3 receive finds the ``AWSTraceHeader`` system attribute naming the open span as
the parent; none with tracing off; Lambda's own header (its ``Lineage`` too) on Lambda; and the
emulation's lineage count added to the sender's header, not replacing it."""

from __future__ import annotations

from typing import Any

import pytest

from stepstream import _tracing
from stepstream.aws import client
from stepstream.local import Provisioned
from stepstream.local._recursion import Lineage, invoking, lineage_of
from stepstream.store import SqsQueue

from ._daemon import Daemon

LAMBDA_HEADER = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


def received_attributes(queue_url: str) -> dict[str, Any]:
    messages = client("sqs").receive_message(
        QueueUrl=queue_url,
        MessageSystemAttributeNames=["AWSTraceHeader"],
        WaitTimeSeconds=1,
    )["Messages"]
    assert len(messages) == 1
    attributes: dict[str, Any] = messages[0].get("Attributes", {})
    return attributes


def test_the_header_names_the_open_span(aws: Provisioned, traced: Daemon) -> None:
    queue_url = aws.environment["STEPSTREAM_QUEUE_URL"]
    with _tracing.message(None, "test"), _tracing.span("sender") as span:
        assert span is not None
        SqsQueue().send({"run_id": "r1", "kind": "retry"})
    header = received_attributes(queue_url)["AWSTraceHeader"]
    assert header == f"Root={span.trace_id};Parent={span.id};Sampled=1"


def test_a_message_sent_outside_any_span_has_no_header(aws: Provisioned, traced: Daemon) -> None:
    SqsQueue().send({"run_id": "r1"})
    assert "AWSTraceHeader" not in received_attributes(aws.environment["STEPSTREAM_QUEUE_URL"])


def test_tracing_off_sends_no_header(aws: Provisioned, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(_tracing.LOCAL_SWITCH, raising=False)
    _tracing.reset()
    assert not _tracing.enabled()
    with _tracing.message(None, "test"), _tracing.span("sender") as span:
        assert span is None
        SqsQueue().send({"run_id": "r1"})
    assert "AWSTraceHeader" not in received_attributes(aws.environment["STEPSTREAM_QUEUE_URL"])


def test_powertools_switch_turns_it_off_even_when_asked_for(
    aws: Provisioned, traced: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    _tracing.reset()
    assert not _tracing.enabled()
    assert _tracing.sqs_trace_header() is None


def test_on_lambda_the_header_is_lambdas_with_its_lineage(
    aws: Provisioned, traced: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(_tracing.LOCAL_SWITCH)
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    monkeypatch.setenv("_X_AMZN_TRACE_ID", f"{LAMBDA_HEADER};Lineage=a87bd80c:3")
    _tracing.reset()
    SqsQueue().send({"run_id": "r1"})  # no span of ours open: Lambda's segment is the parent
    header = received_attributes(aws.environment["STEPSTREAM_QUEUE_URL"])["AWSTraceHeader"]
    assert header == f"{LAMBDA_HEADER};Lineage=a87bd80c:3"


def test_the_recursion_emulation_adds_its_count_to_the_senders_header(
    aws: Provisioned, traced: Daemon
) -> None:
    with (
        invoking(Lineage("1-00000000-000000000000000000000001", (("0000abcd", 4),))),
        _tracing.message(None, "test"),
        _tracing.span("sender") as span,
    ):
        assert span is not None
        SqsQueue().send({"run_id": "r1"})
    attributes = received_attributes(aws.environment["STEPSTREAM_QUEUE_URL"])
    assert attributes["AWSTraceHeader"].startswith(f"Root={span.trace_id};Parent={span.id};")
    lineage = lineage_of(attributes)
    assert lineage is not None
    assert lineage.counts == (("0000abcd", 4),)
