"""Seed 001, "Stream updates from multiple function runs": like a post, log to ``global`` and
publish the post's new like count to ``post:{id}``.

The seed destructures ``{ postId = "123" }``: JavaScript applies that default only when the key
is missing, so an explicit ``""`` (or ``null``, ``0``, ``false``) takes the error path.
"""

from __future__ import annotations

import json
import math
import random
from typing import Any

from stepstream import Context

from ..channels import global_channel, post_channel
from ..client import app


def js_falsy(value: Any) -> bool:
    """JavaScript's falsiness for JSON values (``[]`` and ``{}`` are truthy there)."""
    if value is None or value is False or value == "":
        return True
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value == 0 or math.isnan(value)
    return False


def js_template(value: Any) -> str:
    """How a JSON value reads inside a JavaScript template string."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, list):
        return ",".join("" if v is None else js_template(v) for v in value)
    return "[object Object]"


@app.function(id="post/like", trigger="app/post.like", retries=0)
async def like_post(ctx: Context) -> dict[str, Any] | None:
    data = ctx.event.data
    post_id = data.get("postId", "123")  # only a missing key gets the default

    if js_falsy(post_id):
        await ctx.publish(global_channel().logs, "Missing postId when trying to like post")
        raise ValueError("Missing postId")

    await ctx.publish(global_channel().logs, f"Liking post {js_template(post_id)}")

    async def update_likes() -> dict[str, Any] | None:
        # The seed fakes the update, and the fake post is always "123" whatever was liked.
        fake_post = {"id": "123", "likes": random.randrange(10_000)}
        return await ctx.publish(post_channel(fake_post["id"]).updated, fake_post)

    post = await ctx.step.run("Update likes", update_likes)
    return post
