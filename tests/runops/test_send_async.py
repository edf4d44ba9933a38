"""GIVEN async code WHEN it sends events with ``await app.send_async`` THEN they are stored
and start runs like ``app.send``, without blocking the loop."""

from __future__ import annotations

import asyncio

import pytest

from stepstream import Context, Stepstream
from tests.engine.harness import EngineEnv, Harness

app = Stepstream(id="runops-send-async")


@app.function(id="echo", trigger="runops/echo")
async def echo(ctx: Context) -> str:
    return str(ctx.event.data["word"])


@pytest.mark.also_on_aws
def test_send_async_starts_runs(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)

    async def main() -> list[str]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0)

        task = asyncio.create_task(ticker())
        ids = await app.send_async([{"name": "runops/echo", "data": {"word": w}} for w in "ab"])
        task.cancel()
        assert ticks > 0  # the loop kept running while the events were stored
        return ids

    ids = asyncio.run(main())
    outputs = sorted(h.finish(h.run_of(i)).output for i in ids)
    assert outputs == ["a", "b"]
