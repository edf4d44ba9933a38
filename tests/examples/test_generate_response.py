"""GIVEN the generate-response example (seed 000) on the local model WHEN
``app/prompt.submitted`` arrives THEN ``ai:{runId}`` gets a status, every token in order, and
one durable result whose output is exactly the streamed text."""

from __future__ import annotations

import pytest
from app.model import LOCAL_MODEL_NAME, MAX_PROMPT_CHARS, local_answer, split_tokens

from stepstream import Stepstream
from tests.engine.harness import Harness

from .conftest import RecordingRealtime


def test_tokens_then_result_on_the_run_channel(
    app: Stepstream, harness: Harness, realtime: RecordingRealtime
) -> None:
    prompt = "Summarize the key points of this document..."
    run_id = harness.run_of(
        harness.send("app/prompt.submitted", {"runId": "r-1", "prompt": prompt})
    )

    run = harness.finish(run_id)

    assert run.status == "completed", run.error
    channel = "ai:r-1"
    assert realtime.on(channel, "status") == [{"message": "Generating response...", "progress": 0}]
    tokens = [m["token"] for m in realtime.on(channel, "tokens")]
    assert tokens == split_tokens(local_answer(prompt))
    assert len(tokens) > 20
    [result] = realtime.on(channel, "result")
    assert result["output"] == "".join(tokens) == local_answer(prompt)
    assert result["model"] == LOCAL_MODEL_NAME
    assert result["tokensUsed"] == len(result["output"].split(" "))
    # THEN the order is the seed's: status, tokens, result; only the result is durable
    topics = [(p.topic, p.durable) for p in realtime.published if p.channel == channel]
    assert topics[0] == ("status", False)
    assert topics[-1] == ("result", True)
    assert {t for t, _ in topics[1:-1]} == {"tokens"}
    steps = {s.id: s for s in run.steps}
    assert set(steps) == {"stream-model", "send-result"}
    assert steps["stream-model"].output == result["output"]


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"prompt": "hi"}, "event.data.runId must be a non-empty string"),
        ({"runId": 7, "prompt": "hi"}, "event.data.runId must be a non-empty string"),
        ({"runId": "r-2"}, "event.data.prompt must be a non-empty string"),
        ({"runId": "r-3", "prompt": "   "}, "event.data.prompt must be a non-empty string"),
        ({"runId": "r-4", "prompt": "x" * (MAX_PROMPT_CHARS + 1)}, "the limit is 20000"),
        ({"runId": "r\n5", "prompt": "hi"}, "contains a control character"),
    ],
)
def test_malformed_events_fail_the_run_at_once_and_publish_nothing(
    app: Stepstream,
    harness: Harness,
    realtime: RecordingRealtime,
    data: dict[str, object],
    says: str,
) -> None:
    run_id = harness.run_of(harness.send("app/prompt.submitted", data))

    run = harness.finish(run_id)

    assert run.status == "failed"
    assert says in str(run.error)
    assert realtime.published == []
