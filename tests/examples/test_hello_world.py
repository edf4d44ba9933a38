"""GIVEN the hello-world example (seed 001) WHEN ``hello-world/hello`` arrives THEN
"Hello, world!" is published to ``hello-world.{uuid}``'s ``logs``; without a uuid the run fails
at once and publishes nothing."""

from __future__ import annotations

import pytest

from stepstream import Stepstream
from tests.engine.harness import Harness

from .conftest import RecordingRealtime


def test_hello_is_published_on_the_uuid_channel(
    app: Stepstream, harness: Harness, realtime: RecordingRealtime
) -> None:
    run_id = harness.run_of(harness.send("hello-world/hello", {"uuid": "u-1"}))

    run = harness.finish(run_id)

    assert run.status == "completed", run.error
    assert [(p.channel, p.topic, p.data) for p in realtime.published] == [
        ("hello-world.u-1", "logs", "Hello, world!")
    ]


@pytest.mark.parametrize("data", [{}, {"uuid": ""}, {"uuid": ["u"]}])
def test_missing_uuid_fails_without_publishing(
    app: Stepstream, harness: Harness, realtime: RecordingRealtime, data: dict[str, object]
) -> None:
    run = harness.finish(harness.run_of(harness.send("hello-world/hello", data)))

    assert run.status == "failed"
    assert "event.data.uuid must be a non-empty string" in str(run.error)
    assert realtime.published == []
