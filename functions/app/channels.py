"""The seeds' channels, typed with pydantic models (the TypeScript originals use type
parameters and zod schemas)."""

from __future__ import annotations

from pydantic import BaseModel

from stepstream import channel, topic


class Status(BaseModel):
    """Progress of a generation."""

    message: str
    progress: int | float


class Token(BaseModel):
    """One streamed piece of model output."""

    token: str


class Result(BaseModel):
    """The final output of a generation."""

    output: str
    model: str
    tokensUsed: int  # the seed's wire name


ai_channel = (
    channel(lambda run_id: f"ai:{run_id}")
    .add_topic(topic("status").type(Status))
    .add_topic(topic("tokens").type(Token))
    # kept, so a browser that reconnects late still gets the result
    .add_topic(topic("result", history=True).type(Result))
)

hello_channel = channel(lambda uuid: f"hello-world.{uuid}").add_topic(topic("logs").type(str))

global_channel = channel("global").add_topic(topic("logs").type(str))


class PostUpdated(BaseModel):
    id: str
    likes: int


class PostDeleted(BaseModel):
    id: str
    reason: str


post_channel = (
    channel(lambda post_id: f"post:{post_id}")
    .add_topic(topic("updated").schema(PostUpdated))
    .add_topic(topic("deleted").schema(PostDeleted))
)


class AgentMessage(BaseModel):
    message: str
    confirmationUUid: str  # the seed's wire name


agentic_workflow_channel = channel("agentic-workflow").add_topic(
    topic("messages").schema(AgentMessage)
)
