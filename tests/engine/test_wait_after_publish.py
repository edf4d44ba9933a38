"""GIVEN a function that finishes a step, tells someone to answer (the seeds' human-in-the-loop
pattern: publish "Confirm to proceed?", then wait) and only then reaches its wait
WHEN the answer is ingested after that step returned but well before the wait is written (a slow
line of code in between, or a loaded Lambda)
THEN the wait still resumes with it: a wait covers events from the moment the previous step
returned, because the code between two steps takes no logical time."""

from __future__ import annotations

import time
from typing import Any

import pytest

from stepstream import Stepstream, SyncContext

from .harness import EngineEnv, Harness

app = Stepstream(id="test-wait-after-publish")


@app.function(id="asker", trigger="test/ask.start")
def asker(ctx: SyncContext) -> dict[str, Any]:  # a plain def: the slow line blocks nothing
    ctx.step.run("prepare", lambda: "ready")
    # Stand-in for "publish the question, and the answer comes back before the next line runs".
    app.send({"name": "test/ask.answer", "data": {"k": ctx.event.data["k"], "yes": True}})
    time.sleep(0.6)  # longer than the clock skew the look-back allows on its own
    answer = ctx.step.wait_for_event(
        "answer", event="test/ask.answer", timeout="1m", match="data.k"
    )
    return {"yes": answer.data["yes"] if answer else None}


@pytest.mark.also_on_aws
def test_answer_before_the_wait_is_written_resumes_it(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    run = h.finish(h.run_of(h.send("test/ask.start", {"k": 7})))

    assert run.status == "completed"
    assert run.output == {"yes": True}
