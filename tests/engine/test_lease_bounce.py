"""GIVEN a run whose lease another executor holds (a resume that raced the end of the invocation
that suspended the run)
WHEN messages for it keep arriving
THEN each is put back with a short, growing delay (1, 2, 4 ... s, at most 30 s) rather than the
lease's full remaining time, so a resume is not parked for half a minute."""

from __future__ import annotations

import json
from typing import Any

from stepstream import Context, Stepstream
from stepstream._aws import client
from stepstream.engine._backends import Backends
from stepstream.engine._ids import now_ms
from stepstream.local._lambda_context import LambdaContext
from stepstream.local._provision import Provisioned

from .harness import Harness

app = Stepstream(id="test-lease-bounce")


@app.function(id="held", trigger="test/held.start")
async def held(ctx: Context) -> None:
    await ctx.step.sleep("nap", "1s")


def test_a_busy_lease_bounces_the_message_with_a_growing_delay(engine_env: Provisioned) -> None:
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/held.start"))
    state = Backends.from_env().state
    assert state.claim_run(run_id, "someone-else", now_ms() + 600_000, now_ms()) is not None

    sent: list[dict[str, Any]] = []

    def capture(params: dict[str, Any], **_: Any) -> None:
        sent.append(params)

    sqs = client("sqs")
    sqs.meta.events.register("provide-client-params.sqs.SendMessage", capture)
    try:
        body: dict[str, Any] = {"run_id": run_id, "kind": "resume"}
        for _ in range(7):
            app.execute(body, LambdaContext())
            body = json.loads(sent[-1]["MessageBody"])
    finally:
        sqs.meta.events.unregister("provide-client-params.sqs.SendMessage", capture)

    assert [p["DelaySeconds"] for p in sent] == [1, 2, 4, 8, 16, 30, 30]
    assert state.get_run(run_id).lease_owner == "someone-else"  # nobody took the run
