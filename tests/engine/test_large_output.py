"""GIVEN steps returning large outputs WHEN they are stored THEN outputs over 350 KB go to S3
with a pointer in DynamoDB and come back on replay; outputs over 4 MB fail the step with a
NonRetriableError naming the size and the limit."""

from __future__ import annotations

from typing import Any

import pytest

from stepstream import Context, StepError, Stepstream
from stepstream.aws import client

from .harness import EngineEnv, Harness

app = Stepstream(id="test-large")
MB = 1024 * 1024


@app.function(id="large", trigger="test/large")
async def large(ctx: Context) -> dict[str, Any]:
    blob = await ctx.step.run("big", lambda: "z" * (3 * MB))
    await ctx.step.sleep("nap", "1s")  # the next invocation replays `big` from S3
    try:
        await ctx.step.run("huge", lambda: "z" * (5 * MB))
    except StepError as exc:
        return {"len": len(blob), "huge": exc.message}
    return {"len": len(blob)}


@pytest.mark.also_on_aws
def test_large_outputs_go_to_s3_and_huge_ones_fail_clearly(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    run_id = h.run_of(h.send("test/large"))

    run = h.finish(run_id)

    assert run.status == "completed", run.error
    assert run.output["len"] == 3 * MB
    assert "step output is 5242882 bytes; the limit is 4194304 bytes (4 MB)" in run.output["huge"]
    # THEN the big output lives in the blob store (S3) under the run, and the state item (in
    # DynamoDB) only points at it
    assert len(engine_env.blob_keys(f"runs/{run_id}/")) == 1
    if engine_env.kind == "aws":
        table = engine_env.backends().settings.state_table
        items = client("dynamodb").scan(TableName=table)["Items"]
        assert max(len(str(i)) for i in items) < 400 * 1024
    big = next(s for s in run.steps if s.id == "big")
    assert big.output == "z" * (3 * MB)
