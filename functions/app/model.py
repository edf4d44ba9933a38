"""The model generate-response streams from: Amazon Bedrock ``ConverseStream`` when deployed,
a built-in deterministic model in dev, so the example runs with no credentials.

Choice (``model_from_env``): ``STEPSTREAM_MODEL=local`` forces the local model,
``STEPSTREAM_MODEL=bedrock`` forces Bedrock; otherwise Bedrock is used when
``STEPSTREAM_BEDROCK_MODEL_ID`` (a template parameter) is set and AWS calls go to AWS, and the
local model when not. ``AWS_ENDPOINT_URL`` means an emulator (the dev stack always sets it), and
no emulator serves Bedrock.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from stepstream import aws

LOCAL_MODEL_NAME = "stepstream-local"
DEFAULT_TOKENS_PER_SECOND = 40.0
MAX_PROMPT_CHARS = 20_000
MAX_OUTPUT_TOKENS = 1024


class ModelError(Exception):
    """The model could not answer; the message says why and what to check."""


class Model(Protocol):
    @property
    def name(self) -> str:
        """What the result's ``model`` field says."""
        ...

    def stream(self, prompt: str) -> AsyncIterator[str]:
        """The answer to ``prompt``, piece by piece."""
        ...


def check_prompt(prompt: Any) -> str:
    """The prompt as text, or a ``ValueError`` naming what is wrong with it."""
    if not isinstance(prompt, str) or not prompt.strip():
        raise ValueError("event.data.prompt must be a non-empty string")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise ValueError(
            f"event.data.prompt has {len(prompt)} characters; the limit is {MAX_PROMPT_CHARS}"
        )
    return prompt


# --- the local model --------------------------------------------------------------------------


def local_answer(prompt: str) -> str:
    """The local model's whole answer: fixed text around the prompt, so the same prompt always
    streams the same tokens (tests and screenshots depend on that)."""
    words = re.findall(r"\S+", prompt)
    topic = " ".join(words[:12]) + (" ..." if len(words) > 12 else "")
    return (
        f'You asked: "{topic}". This answer comes from the local model that stepstream runs in '
        "development, so the example works with no credentials. Each word you see was published "
        "to the tokens topic while the stream-model step was running, and the full text was then "
        "published once, durably, to the result topic. Deployed, the same function streams from "
        "Amazon Bedrock instead."
    )


def split_tokens(text: str) -> list[str]:
    """Word-sized tokens that join back into ``text`` exactly (each keeps its leading space)."""
    return re.findall(r"\s*\S+|\s+$", text)


@dataclass
class LocalModel:
    """Deterministic tokens at ``tokens_per_second`` (0: as fast as possible)."""

    tokens_per_second: float = DEFAULT_TOKENS_PER_SECOND
    name: str = LOCAL_MODEL_NAME

    async def stream(self, prompt: str) -> AsyncIterator[str]:
        delay = 1 / self.tokens_per_second if self.tokens_per_second > 0 else 0.0
        for token in split_tokens(local_answer(prompt)):
            if delay:
                await asyncio.sleep(delay)  # a model's pace, so the page visibly streams
            yield token


# --- Bedrock ------------------------------------------------------------------------------------


def converse_request(model_id: str, prompt: str) -> dict[str, Any]:
    return {
        "modelId": model_id,
        "messages": [{"role": "user", "content": [{"text": prompt}]}],
        "inferenceConfig": {"maxTokens": MAX_OUTPUT_TOKENS},
    }


def texts_of(events: Iterator[dict[str, Any]]) -> Iterator[str]:
    """The text deltas of a ``ConverseStream`` event stream; a stream error raises
    ``ModelError`` (Bedrock reports throttling and validation mid-stream as events)."""
    for event in events:
        delta = event.get("contentBlockDelta", {}).get("delta", {})
        text = delta.get("text")
        if isinstance(text, str) and text:
            yield text
            continue
        for key in (
            "internalServerException",
            "modelStreamErrorException",
            "validationException",
            "throttlingException",
            "serviceUnavailableException",
        ):
            if key in event:
                message = event[key].get("message", "")
                raise ModelError(f"Bedrock stream failed with {key}: {message}")


@dataclass
class BedrockModel:
    """``bedrock-runtime`` ``ConverseStream``; the blocking boto3 stream is read in a worker
    thread, one event at a time, so the event loop keeps publishing."""

    model_id: str
    client: Any = None

    @property
    def name(self) -> str:
        return self.model_id

    async def stream(self, prompt: str) -> AsyncIterator[str]:
        bedrock = self.client if self.client is not None else aws.client("bedrock-runtime")
        request = converse_request(self.model_id, prompt)
        response = await asyncio.to_thread(lambda: bedrock.converse_stream(**request))
        pieces = texts_of(iter(response["stream"]))
        done = object()
        while True:
            piece = await asyncio.to_thread(next, pieces, done)
            if piece is done:
                return
            assert isinstance(piece, str)
            yield piece


def model_from_env() -> Model:
    choice = os.environ.get("STEPSTREAM_MODEL", "").strip().lower()
    model_id = os.environ.get("STEPSTREAM_BEDROCK_MODEL_ID", "").strip()
    if choice not in ("", "local", "bedrock"):
        raise ModelError(f"STEPSTREAM_MODEL={choice!r}: use 'local' or 'bedrock'")
    if choice == "bedrock" and not model_id:
        raise ModelError("STEPSTREAM_MODEL=bedrock needs STEPSTREAM_BEDROCK_MODEL_ID")
    emulated = bool(os.environ.get("AWS_ENDPOINT_URL")) and not os.environ.get(
        "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"
    )
    if choice == "bedrock" or (choice == "" and model_id and not emulated):
        return BedrockModel(model_id)
    raw = os.environ.get("STEPSTREAM_LOCAL_MODEL_TOKENS_PER_SECOND", "")
    try:
        rate = float(raw) if raw else DEFAULT_TOKENS_PER_SECOND
    except ValueError:
        raise ModelError(
            f"STEPSTREAM_LOCAL_MODEL_TOKENS_PER_SECOND={raw!r} is not a number"
        ) from None
    if rate < 0:
        raise ModelError("STEPSTREAM_LOCAL_MODEL_TOKENS_PER_SECOND must be 0 or more")
    return LocalModel(tokens_per_second=rate)
