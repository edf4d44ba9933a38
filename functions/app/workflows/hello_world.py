"""Seed 001, "Stream updates from a single function run": say hello on ``hello-world.{uuid}``.
The HTTP side (send the event, stream the run's ``logs`` as SSE) is in ``..routes``."""

from __future__ import annotations

from stepstream import Context, NonRetriableError

from ..channels import hello_channel
from ..client import app


@app.function(id="hello-world", trigger="hello-world/hello")
async def hello_world(ctx: Context) -> None:
    uuid = ctx.event.data.get("uuid")
    if not isinstance(uuid, str) or not uuid:
        raise NonRetriableError("event.data.uuid must be a non-empty string")
    await ctx.publish(hello_channel(uuid).logs, "Hello, world!")
