"""The model behind generate-response: the local model's tokens, the choice from the
environment, and the Bedrock ``ConverseStream`` request and stream parsing.

No emulator serves Bedrock (moto has no ``bedrock-runtime``). So the request is checked by
botocore's Stubber against the service model, an AccessDenied answer is made by the Stubber, and
the stream is AWS's binary event-stream framing handed to a real ``bedrock-runtime`` client at
``before-send``, so botocore's own parser turns it into the events the model reads."""

from __future__ import annotations

import io
import json
import struct
import zlib
from collections.abc import AsyncIterator
from typing import Any

import boto3
import pytest
from app.model import (
    MAX_OUTPUT_TOKENS,
    BedrockModel,
    LocalModel,
    ModelError,
    local_answer,
    model_from_env,
    split_tokens,
)
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import EventStreamError
from botocore.stub import Stubber


async def collect(stream: AsyncIterator[str]) -> list[str]:
    return [piece async for piece in stream]


@pytest.mark.parametrize("text", ["", "one", "  lead and  double  spaces ", "tab\there\nnewline"])
def test_tokens_join_back_exactly(text: str) -> None:
    assert "".join(split_tokens(text)) == text


async def test_local_model_is_deterministic() -> None:
    model = LocalModel(tokens_per_second=0)
    first = await collect(model.stream("What is stepstream?"))
    again = await collect(model.stream("What is stepstream?"))
    other = await collect(model.stream("Something else"))
    assert first == again
    assert first != other
    assert "".join(first) == local_answer("What is stepstream?")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "stepstream-local"),
        ({"STEPSTREAM_BEDROCK_MODEL_ID": "amazon.nova-micro-v1:0"}, "amazon.nova-micro-v1:0"),
        # the dev stack points AWS_ENDPOINT_URL at moto, which has no Bedrock
        (
            {
                "STEPSTREAM_BEDROCK_MODEL_ID": "amazon.nova-micro-v1:0",
                "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
            },
            "stepstream-local",
        ),
        (
            {
                "STEPSTREAM_BEDROCK_MODEL_ID": "amazon.nova-micro-v1:0",
                "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
                "STEPSTREAM_MODEL": "bedrock",
            },
            "amazon.nova-micro-v1:0",
        ),
        (
            {"STEPSTREAM_BEDROCK_MODEL_ID": "amazon.nova-micro-v1:0", "STEPSTREAM_MODEL": "local"},
            "stepstream-local",
        ),
    ],
)
def test_model_choice(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str) -> None:
    for key in ("STEPSTREAM_MODEL", "STEPSTREAM_BEDROCK_MODEL_ID", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert model_from_env().name == expected


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"STEPSTREAM_MODEL": "gpt"}, "use 'local' or 'bedrock'"),
        ({"STEPSTREAM_MODEL": "bedrock"}, "needs STEPSTREAM_BEDROCK_MODEL_ID"),
        ({"STEPSTREAM_LOCAL_MODEL_TOKENS_PER_SECOND": "fast"}, "is not a number"),
        ({"STEPSTREAM_LOCAL_MODEL_TOKENS_PER_SECOND": "-1"}, "must be 0 or more"),
    ],
)
def test_bad_model_settings_are_named(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], says: str
) -> None:
    monkeypatch.delenv("STEPSTREAM_BEDROCK_MODEL_ID", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ModelError, match=says):
        model_from_env()


def bedrock() -> Any:
    return boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _header(name: str, value: str) -> bytes:
    raw = value.encode()
    return bytes([len(name)]) + name.encode() + b"\x07" + struct.pack(">H", len(raw)) + raw


def event_message(event_type: str, body: dict[str, Any], *, exception: bool = False) -> bytes:
    """One message in AWS's binary event-stream framing (prelude, headers, payload, CRCs)."""
    kind = "exception" if exception else "event"
    headers = (
        _header(":message-type", kind)
        + _header(":exception-type" if exception else ":event-type", event_type)
        + _header(":content-type", "application/json")
    )
    payload = json.dumps(body).encode()
    total = 12 + len(headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + headers + payload
    return message + struct.pack(">I", zlib.crc32(message))


def answering(client: Any, body: bytes) -> list[dict[str, Any]]:
    """Make ``client`` receive ``body`` as the HTTP answer, through botocore's real event-stream
    parser; returns the requests it sent."""
    sent: list[dict[str, Any]] = []

    def reply(request: Any, **_: Any) -> AWSResponse:
        sent.append({"url": request.url, "body": json.loads(request.body)})
        headers = HTTPHeaders()
        headers["content-type"] = "application/vnd.amazon.eventstream"
        return AWSResponse(request.url, 200, headers, _Raw(body))

    client.meta.events.register("before-send.bedrock-runtime.ConverseStream", reply)
    return sent


class _Raw:
    """The urllib3-like body botocore's event stream reads from."""

    def __init__(self, body: bytes) -> None:
        self._body = io.BytesIO(body)

    def stream(self, amt: int = 1024, decode_content: bool = False) -> Any:
        while chunk := self._body.read(amt):
            yield chunk

    def read(self, amt: int | None = None) -> bytes:
        return self._body.read(amt)

    def close(self) -> None:
        pass


async def test_bedrock_request_matches_the_service_model() -> None:
    client = bedrock()
    with Stubber(client) as stub:
        stub.add_response(
            "converse_stream",
            {"stream": {}},
            expected_params={
                "modelId": "amazon.nova-micro-v1:0",
                "messages": [{"role": "user", "content": [{"text": "Say hello"}]}],
                "inferenceConfig": {"maxTokens": MAX_OUTPUT_TOKENS},
            },
        )
        await collect(BedrockModel("amazon.nova-micro-v1:0", client).stream("Say hello"))
        stub.assert_no_pending_responses()


async def test_bedrock_stream_yields_the_text_deltas_in_order() -> None:
    client = bedrock()
    wire = b"".join(
        [
            event_message("messageStart", {"role": "assistant"}),
            *(
                event_message("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": t}})
                for t in ["Hello", ", ", "world"]
            ),
            event_message("contentBlockStop", {"contentBlockIndex": 0}),
            event_message("messageStop", {"stopReason": "end_turn"}),
            event_message(
                "metadata",
                {
                    "usage": {"inputTokens": 3, "outputTokens": 3, "totalTokens": 6},
                    "metrics": {"latencyMs": 9},
                },
            ),
        ]
    )
    sent = answering(client, wire)

    pieces = await collect(BedrockModel("amazon.nova-micro-v1:0", client).stream("Say hello"))

    assert pieces == ["Hello", ", ", "world"]
    [request] = sent
    assert request["url"].endswith("/model/amazon.nova-micro-v1%3A0/converse-stream")
    assert request["body"]["messages"] == [{"role": "user", "content": [{"text": "Say hello"}]}]


async def test_bedrock_mid_stream_error_is_raised_with_its_message() -> None:
    client = bedrock()
    wire = event_message(
        "contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "partial"}}
    ) + event_message("throttlingException", {"message": "Too many requests"}, exception=True)
    answering(client, wire)
    model = BedrockModel("amazon.nova-micro-v1:0", client)

    stream = model.stream("Say hello")
    assert await anext(stream) == "partial"
    with pytest.raises(EventStreamError, match="Too many requests"):
        await anext(stream)


async def test_bedrock_access_denied_surfaces_as_client_error() -> None:
    client = bedrock()
    with Stubber(client) as stub:
        stub.add_client_error(
            "converse_stream",
            service_error_code="AccessDeniedException",
            service_message="You don't have access to the model",
            http_status_code=403,
        )
        with pytest.raises(client.exceptions.AccessDeniedException):
            await collect(BedrockModel("amazon.nova-micro-v1:0", client).stream("hi"))
