"""GIVEN the post/like example WHEN ``app/post.like`` arrives THEN it logs on ``global`` and
publishes the fake post to ``post:123``; a present-but-empty postId takes the error path (the
seed's destructuring default only covers a missing key) and, with retries 0, fails once."""

from __future__ import annotations

from typing import Any

import pytest

from stepstream import Stepstream
from tests.engine.harness import Harness

from .conftest import RecordingRealtime


@pytest.mark.parametrize(
    ("data", "log"),
    [
        ({}, "Liking post 123"),
        ({"postId": "42"}, "Liking post 42"),
        ({"postId": 7}, "Liking post 7"),
        ({"postId": []}, "Liking post "),  # truthy in JavaScript, read as "" in a template
        ({"postId": {"id": 1}}, "Liking post [object Object]"),
    ],
)
def test_like_logs_and_publishes_the_fake_post(
    app: Stepstream,
    harness: Harness,
    realtime: RecordingRealtime,
    data: dict[str, Any],
    log: str,
) -> None:
    run_id = harness.run_of(harness.send("app/post.like", data))

    run = harness.finish(run_id)

    assert run.status == "completed", run.error
    assert realtime.on("global", "logs") == [log]
    [updated] = realtime.on("post:123", "updated")
    assert updated["id"] == "123"
    assert 0 <= updated["likes"] < 10_000
    assert realtime.on("post:123", "deleted") == []
    # THEN the run's output is what publish returned: the frame sent to post:123
    assert run.output["channel"] == "post:123"
    assert run.output["topic"] == "updated"
    assert run.output["data"] == updated
    assert [s.id for s in run.steps] == ["Update likes"]


@pytest.mark.parametrize("post_id", ["", None, 0, False])
def test_falsy_post_id_logs_then_fails_once(
    app: Stepstream, harness: Harness, realtime: RecordingRealtime, post_id: Any
) -> None:
    run_id = harness.run_of(harness.send("app/post.like", {"postId": post_id}))

    run = harness.finish(run_id)

    assert run.status == "failed"
    assert "Missing postId" in str(run.error)
    # THEN retries=0: one attempt, so the log was published exactly once
    assert realtime.on("global", "logs") == ["Missing postId when trying to like post"]
    assert [p.channel for p in realtime.published] == ["global"]


def test_a_post_id_too_large_to_publish_fails_the_run_clearly(
    app: Stepstream, harness: Harness, realtime: RecordingRealtime
) -> None:
    # GIVEN a postId that fits an event but not a realtime message (API Gateway's 128 KB)
    run_id = harness.run_of(harness.send("app/post.like", {"postId": "x" * 150_000}))

    run = harness.finish(run_id)

    assert run.status == "failed"
    assert run.error is not None
    assert run.error["name"] == "PublishTooLargeError"
    assert "at most 131072 bytes per WebSocket message" in run.error["message"]
    assert realtime.published == []
