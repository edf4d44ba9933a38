"""A small example: greet a user, wait a moment, then confirm (try it with ``app/hello``)."""

from __future__ import annotations

from stepstream import Context

from .client import app


def _greeting(name: str) -> str:
    return f"Hello, {name}!"


@app.function(id="hello", trigger="app/hello", retries=2)
async def hello(ctx: Context) -> dict[str, str]:
    name = str(ctx.event.data.get("name", "world"))
    ctx.logger.info("greeting %s", name)
    greeting = await ctx.step.run("greet", _greeting, name)
    await ctx.step.sleep("pause", "1s")
    return {"greeting": greeting}
