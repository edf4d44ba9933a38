"""The app ``bench.soak`` runs in ``stepstream dev``: one function that publishes durable messages
(``step.realtime.publish``, each a memoized step kept in history) at a steady pace."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from stepstream import Context, Stepstream
from stepstream.realtime import channel, topic

app = Stepstream(id="soak")

soak = channel(lambda name: f"soak:{name}").add_topic(topic("m").type(dict))


@app.function(id="soak-publish", trigger="bench/soak.publish", retries=0)
async def publish(ctx: Context) -> dict[str, Any]:
    data = ctx.event.data
    ref = soak(data["channel"]).m
    for number in range(int(data["messages"])):
        # "t" is taken inside the step, so a replay returns the time the message was first sent.
        await ctx.step.realtime.publish("m", ref, {"i": number, "t": time.time()})
        await asyncio.sleep(float(data["interval"]))
    return {"published": int(data["messages"])}
