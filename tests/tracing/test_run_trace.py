"""GIVEN tracing on (``STEPSTREAM_TRACING``) and a UDP socket on loopback standing in for the
X-Ray daemon, and a workflow whose second step fails once, then publishes to a channel with a
subscriber
WHEN its messages run through the real executor handler, fed from SQS on moto by the local poller
THEN both invocations land in one trace (the retry message carried the trace header), each has a
segment and a ``run`` subsegment, every step that ran has a subsegment annotated with its id,
kind, attempt, outcome, function id and run id (the replayed step has none), and the publish has
a publish-batch and a fan-out subsegment."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from stepstream import Stepstream
from stepstream.local import Provisioned, RunningGateway

from ._daemon import Daemon
from ._flow import make_app, run_through_the_executor


@pytest.fixture
def app(aws: Provisioned, gateway: RunningGateway, traced: Daemon) -> Iterator[Stepstream]:
    made = make_app()
    yield made
    if made._realtime is not None:
        made._realtime.close()


def kinds(documents: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    return [d for d in documents if d["name"] == name]


def test_a_run_is_one_trace_with_a_subsegment_per_step(
    app: Stepstream, aws: Provisioned, traced: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPSTREAM_RETRY_BASE_SECONDS", "0")
    run_id = run_through_the_executor(app, aws.environment["STEPSTREAM_QUEUE_URL"])

    documents = traced.wait_for(
        lambda docs: len(kinds(docs, "run")) == 2 and len(kinds(docs, "realtime fanout")) >= 1
    )
    assert traced.malformed == []

    # One trace: the second invocation's segment continues the first's run subsegment.
    assert {d["trace_id"] for d in documents} == {documents[0]["trace_id"]}
    segments = sorted(
        (d for d in documents if d.get("type") != "subsegment"), key=lambda d: d["start_time"]
    )
    runs = sorted(kinds(documents, "run"), key=lambda d: d["start_time"])
    assert len(segments) == 2
    assert "parent_id" not in segments[0]
    assert segments[1]["parent_id"] == runs[0]["id"]
    assert [r["parent_id"] for r in runs] == [s["id"] for s in segments]
    assert [r["annotations"]["outcome"] for r in runs] == ["retrylater", "completed"]
    for run in runs:
        assert run["annotations"]["run_id"] == run_id
        assert run["annotations"]["function_id"] == "traced-flow"

    # A subsegment per step that ran, under its invocation's run subsegment.
    steps = sorted(
        (d for d in documents if d["name"].startswith("step ")), key=lambda d: d["start_time"]
    )
    seen = [
        (
            s["name"],
            s["annotations"]["step_id"],
            s["annotations"]["step_kind"],
            s["annotations"]["attempt"],
            s["annotations"]["outcome"],
            s["parent_id"],
        )
        for s in steps
    ]
    assert seen == [
        ("step fetch", "fetch", "run", 0, "ok", runs[0]["id"]),
        ("step flaky", "flaky", "run", 0, "retry", runs[0]["id"]),
        ("step flaky", "flaky", "run", 1, "ok", runs[1]["id"]),
        ("step tell", "tell", "publish", 0, "ok", runs[1]["id"]),
    ]
    for step in steps:
        assert step["annotations"]["run_id"] == run_id
        assert step["annotations"]["function_id"] == "traced-flow"

    # The publish: its batch under the step that published, the fan-out to the subscriber under
    # the batch.
    [tell] = [s for s in steps if s["annotations"]["step_id"] == "tell"]
    batches = kinds(documents, "realtime publish batch")
    batches = [b for b in batches if b["parent_id"] == tell["id"]]
    assert [b["annotations"]["frames"] for b in batches] == [1]
    fanouts = kinds(documents, "realtime fanout")
    fanouts = [f for f in fanouts if f["parent_id"] == batches[0]["id"]]
    assert [(f["annotations"]["channel"], f["annotations"]["connections"]) for f in fanouts] == [
        (f"traced:{run_id}", 1)
    ]
