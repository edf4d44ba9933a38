"""The seeds' channels in functions/app/channels.py accept the seeds' payloads."""

from __future__ import annotations

import pytest
from app.channels import (
    agentic_workflow_channel,
    ai_channel,
    global_channel,
    hello_channel,
    post_channel,
)

from stepstream.realtime import PublishValidationError


def test_ai_channel_topics() -> None:
    ch = ai_channel("run-1")
    assert ch.status.channel == "ai:run-1"
    assert ch.status.validate({"message": "Generating response...", "progress": 0}) == {
        "message": "Generating response...",
        "progress": 0,
    }
    assert ch.tokens.validate({"token": "Hel"}) == {"token": "Hel"}
    result = {"output": "text", "model": "gpt-4o", "tokensUsed": 1}
    assert ch.result.validate(result) == result
    assert ch.result.history is True
    with pytest.raises(PublishValidationError, match="tokensUsed"):
        ch.result.validate({"output": "text", "model": "gpt-4o"})


def test_the_other_seed_channels() -> None:
    assert hello_channel("u1").logs.channel == "hello-world.u1"
    assert global_channel().logs.validate("Liking post 123") == "Liking post 123"
    with pytest.raises(PublishValidationError):
        global_channel().logs.validate({"not": "a string"})
    assert post_channel("123").updated.validate({"id": "123", "likes": 7}) == {
        "id": "123",
        "likes": 7,
    }
    assert post_channel("1").deleted.channel == "post:1"
    message = {"message": "Confirm to proceed?", "confirmationUUid": "u"}
    assert agentic_workflow_channel().messages.validate(message) == message
