"""The examples run on the user's real ``app`` (functions/app) against moto, through the SQS
queue and the executor handler shape (tests/engine/harness.py). A recording ``Realtime`` — the
real publisher over moto's tables, noting each publish — shows what each run published."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from app import app as user_app

from stepstream import Stepstream
from stepstream.local import Provisioned
from stepstream.realtime import Realtime
from tests.engine.harness import Harness


@dataclass(frozen=True)
class Published:
    channel: str
    topic: str
    data: Any
    durable: bool


class RecordingRealtime(Realtime):
    def __init__(self, app_id: str) -> None:
        super().__init__(app_id)
        self.published: list[Published] = []

    def publish_sync(self, ref: Any, data: Any, **kwargs: Any) -> dict[str, Any]:
        frame = super().publish_sync(ref, data, **kwargs)
        self.published.append(
            Published(ref.channel, ref.topic, data, bool(kwargs.get("durable", False)))
        )
        return frame

    def on(self, channel: str, topic: str | None = None) -> list[Any]:
        return [
            p.data
            for p in self.published
            if p.channel == channel and (topic is None or p.topic == topic)
        ]


@pytest.fixture
def realtime(aws: Provisioned, monkeypatch: pytest.MonkeyPatch) -> Iterator[RecordingRealtime]:
    monkeypatch.setenv("STEPSTREAM_RETRY_BASE_SECONDS", "0")
    monkeypatch.setenv("STEPSTREAM_MODEL", "local")
    monkeypatch.setenv("STEPSTREAM_LOCAL_MODEL_TOKENS_PER_SECOND", "0")
    recording = RecordingRealtime(user_app.id)
    previous = user_app._realtime
    user_app._realtime = recording
    yield recording
    recording.close()
    user_app._realtime = previous


@pytest.fixture
def app(realtime: RecordingRealtime) -> Stepstream:
    return user_app


@pytest.fixture
def harness(app: Stepstream, aws: Provisioned) -> Harness:
    return Harness(app, aws)
