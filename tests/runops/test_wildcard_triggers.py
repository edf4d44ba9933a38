"""GIVEN triggers with Inngest wildcards (``app/*``, ``app/user.*``) WHEN events arrive THEN every
event under the prefix starts a run and others do not; a wildcard anywhere but at the end after
``/`` or ``.`` is refused when the function is defined."""

from __future__ import annotations

import pytest

from stepstream import Context, Stepstream
from tests.engine.harness import EngineEnv, Harness

app = Stepstream(id="runops-wildcards")


@app.function(id="everything", trigger="shop/*")
async def everything(ctx: Context) -> str:
    return ctx.event.name


@app.function(id="users", trigger="shop/user.*")
async def users(ctx: Context) -> str:
    return ctx.event.name


@pytest.mark.also_on_aws
def test_wildcards_match_by_prefix(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    started = {
        name: sorted(r.function_id for r in app.runs.for_event(h.send(name)))
        for name in ["shop/user.created", "shop/order.paid", "shopping/x", "shop/user"]
    }
    assert started == {
        "shop/user.created": ["everything", "users"],
        "shop/order.paid": ["everything"],
        "shopping/x": [],
        "shop/user": ["everything"],
    }


@pytest.mark.parametrize("pattern", ["shop*", "shop/*/x", "*", "shop/u*", "shop/**"])
def test_misplaced_wildcards_are_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="wildcard may only end the name"):
        Stepstream(id="x").function(id="f", trigger=pattern)
