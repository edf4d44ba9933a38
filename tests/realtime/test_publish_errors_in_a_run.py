"""GIVEN a function whose durable publish has data its topic refuses WHEN it runs THEN the run
fails at once with the validation message: retrying cannot fix the data, so it is not retried."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stepstream import Context, Stepstream
from stepstream.local import Provisioned
from stepstream.realtime import channel, topic
from tests.engine.harness import Harness  # the engine's real-queue driver (tests/engine)

app = Stepstream(id="publish-errors")
results = channel(lambda run_id: f"results:{run_id}").add_topic(topic("result").type(int))
attempts: list[int] = []


@app.function(id="bad-publisher", trigger="test/bad-publish", retries=3)
async def bad_publisher(ctx: Context) -> None:
    attempts.append(ctx.attempt)
    await ctx.step.realtime.publish("result", results(ctx.run_id).result, "not a number")


@pytest.fixture
def publishing_app(aws: Provisioned, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stepstream]:
    monkeypatch.setenv("STEPSTREAM_RETRY_BASE_SECONDS", "0")
    attempts.clear()
    app._realtime = None  # bound to this test's tables
    yield app
    if app._realtime is not None:
        app._realtime.close()
    app._realtime = None


def test_invalid_durable_publish_fails_the_run_without_retries(
    publishing_app: Stepstream, aws: Provisioned
) -> None:
    h = Harness(publishing_app, aws)
    run_id = h.run_of(h.send("test/bad-publish"))
    run = h.finish(run_id)
    assert run.status == "failed"
    assert "'result'" in str(run.error)
    assert "valid integer" in str(run.error)
    assert len(attempts) == 1
