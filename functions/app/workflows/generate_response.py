"""Seed 000, "Stream AI responses to your UI": stream a model's tokens to ``ai:{runId}``.

``ctx.publish`` for the tokens (frequent; a retried step may send them again, which the page
tolerates) and ``ctx.step.realtime.publish`` for the result (memoized, kept, sent once).
"""

from __future__ import annotations

from stepstream import Context, NonRetriableError

from ..channels import ai_channel
from ..client import app
from ..model import check_prompt, model_from_env


@app.function(id="generate-response", trigger="app/prompt.submitted")
async def generate_response(ctx: Context) -> None:
    run_id = ctx.event.data.get("runId")
    if not isinstance(run_id, str) or not run_id:
        raise NonRetriableError(
            "event.data.runId must be a non-empty string: the page subscribes to ai:{runId}"
        )
    try:
        prompt = check_prompt(ctx.event.data.get("prompt"))
    except ValueError as exc:
        raise NonRetriableError(str(exc)) from None
    ch = ai_channel(run_id)
    model = model_from_env()

    await ctx.publish(ch.status, {"message": "Generating response...", "progress": 0})

    async def stream_model() -> str:
        text = ""
        async for token in model.stream(prompt):
            text += token
            await ctx.publish(ch.tokens, {"token": token})
        return text

    full_text = await ctx.step.run("stream-model", stream_model)

    await ctx.step.realtime.publish(
        "send-result",
        ch.result,
        {"output": full_text, "model": model.name, "tokensUsed": len(full_text.split(" "))},
    )
