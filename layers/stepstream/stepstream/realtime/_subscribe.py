"""Python subscriber: the messages of a channel as an async iterator, and as Server-Sent Events.

``subscribe`` mints a fresh token for every (re)connect (tokens live 60 s and are checked only at
connect), resumes from the highest ``seq`` it has seen after a drop (``since=``), and drops a
message whose ``id`` it has already yielded, so a resume never repeats one; it never drops a
message for its ``seq`` (two publishers' seqs interleave, docs/realtime.md "Sequence numbers").
When it connects with ``since`` it speaks first (``{"kind":"ping"}``): on AWS the replay of a
``?since=`` connect runs in the connection's first ``$default`` invocation (docs/realtime.md,
"History and resume"). It also pings after ``keepalive`` seconds of silence, so API Gateway's
10-minute idle close never hits.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import websockets
from websockets.exceptions import ConnectionClosed, InvalidStatus

from ._channel import Channel
from ._tokens import get_subscription_token

CONNECT_PATH = "/v1/realtime/connect"
_SEEN_IDS = 10_000
"""Message ids remembered for deduplication (oldest forgotten first). Dedupe is by id only: with
two publishers on one channel a lower seq can follow a higher one, and it is a new message."""


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


class SubscriptionRefused(Exception):
    """The gateway refused the token (401/403): reconnecting cannot help."""


@dataclass(frozen=True)
class Message:
    """One ``data`` or ``run`` frame received."""

    kind: str
    """``data`` or ``run``."""
    channel: str
    """The channel it was published to."""
    topic: str | None
    """The topic (``data`` frames)."""
    data: Any
    """The payload (for ``run`` frames: ``{"status", "output"?, "error"?}``)."""
    created_at: str | None
    """RFC 3339 publish time."""
    run_id: str | None
    """The run that published it, when known."""
    fn_id: str | None
    """The function that published it, when known."""
    seq: int | None
    """Per-channel sequence number (``data`` frames)."""
    id: str | None
    """Message id, for deduplication."""

    @classmethod
    def from_frame(cls, frame: dict[str, Any]) -> Message:
        seq = frame.get("seq")
        return cls(
            kind=str(frame["kind"]),
            channel=str(frame.get("channel", "")),
            topic=frame.get("topic"),
            data=frame.get("data"),
            created_at=frame.get("created_at"),
            run_id=frame.get("run_id"),
            fn_id=frame.get("fn_id"),
            seq=seq if isinstance(seq, int) and not isinstance(seq, bool) else None,
            id=frame.get("id"),
        )

    def to_json(self) -> dict[str, Any]:
        """The shape the official client's streams carry (camelCase), plus ``seq`` and ``id``;
        absent fields are left out."""
        shape = {
            "kind": self.kind,
            "channel": self.channel,
            "topic": self.topic,
            "data": self.data,
            "createdAt": self.created_at,
            "runId": self.run_id,
            "fnId": self.fn_id,
            "seq": self.seq,
            "id": self.id,
        }
        return {k: v for k, v in shape.items() if v is not None}


def default_url() -> str:
    """``STEPSTREAM_REALTIME_URL``, else the local gateway serving
    ``STEPSTREAM_WS_MANAGEMENT_URL``."""
    explicit = os.environ.get("STEPSTREAM_REALTIME_URL")
    if explicit:
        return explicit
    management = os.environ.get("STEPSTREAM_WS_MANAGEMENT_URL", "")
    if not management:
        raise ValueError(
            "no realtime URL: pass url=, or set STEPSTREAM_REALTIME_URL "
            "(wss://<host>/v1/realtime/connect)"
        )
    parts = urlsplit(management)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}{CONNECT_PATH}"


def _connect_url(base: str, token: str, since: int | None) -> str:
    query = {"token": token}
    if since is not None:
        query["since"] = str(since)
    return f"{base}{'&' if '?' in base else '?'}{urlencode(query)}"


async def subscribe(
    app: _HasId,
    *,
    channel: Channel | str,
    topics: Sequence[str],
    since: int | None = None,
    url: str | None = None,
    token: str | None = None,
    keepalive: float = 300.0,
    max_backoff: float = 5.0,
) -> AsyncGenerator[Message, None]:
    """Yield the ``data`` and ``run`` messages of ``channel``'s ``topics`` until the caller stops.

    ``since``: first replay the kept messages with a greater ``seq``. ``token``: use this token for
    the first connect (later ones are minted from the app's secret). Drops are retried forever with
    jittered exponential backoff up to ``max_backoff`` seconds; a refused token is raised as
    :class:`SubscriptionRefused`."""
    name = channel.name if isinstance(channel, Channel) else channel
    wanted = frozenset(topics)
    base = url or default_url()
    seen: OrderedDict[str, None] = OrderedDict()
    resume_from = since
    attempt = 0
    while True:
        key = token or get_subscription_token(app, channel=channel, topics=list(topics))["key"]
        token = None  # only the first connect may use the caller's token
        try:
            async with websockets.connect(
                _connect_url(base, key, resume_from), max_size=2**20, ping_interval=None
            ) as socket:
                attempt = 0
                if resume_from is not None:
                    await socket.send(json.dumps({"kind": "ping"}))
                while True:
                    try:
                        raw = await asyncio.wait_for(socket.recv(), keepalive)
                    except TimeoutError:
                        await socket.send(json.dumps({"kind": "ping"}))
                        continue
                    message = _accept(raw, name, wanted, seen)
                    if message is None:
                        continue
                    if message.seq is not None:
                        resume_from = max(resume_from or 0, message.seq)
                    yield message
        except InvalidStatus as exc:
            if exc.response.status_code in (401, 403):
                raise SubscriptionRefused(
                    f"the gateway refused the subscription token for channel {name!r} "
                    f"(HTTP {exc.response.status_code}); check the JWT secret and the URL"
                ) from exc
        except (ConnectionClosed, OSError, TimeoutError):
            pass
        attempt += 1
        await asyncio.sleep(min(max_backoff, 0.05 * 2**attempt) * (0.5 + random.random() / 2))


def _accept(
    raw: str | bytes, channel: str, topics: frozenset[str], seen: OrderedDict[str, None]
) -> Message | None:
    try:
        frame = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(frame, dict) or frame.get("kind") not in ("data", "run"):
        return None  # ping, pong, error: nothing for the caller
    if frame.get("channel") != channel:
        return None
    if frame["kind"] == "data" and frame.get("topic") not in topics:
        return None
    message_id = frame.get("id")
    if isinstance(message_id, str):
        if message_id in seen:
            return None
        seen[message_id] = None
        if len(seen) > _SEEN_IDS:
            seen.popitem(last=False)
    return Message.from_frame(frame)


async def encode_sse(messages: AsyncIterator[Message]) -> AsyncIterator[bytes]:
    """``data: <json>\\n\\n`` per message, for ``StreamingResponse(..., media_type=
    "text/event-stream")`` (the seed's ``getEncodedStream``)."""
    async for message in messages:
        body = json.dumps(message.to_json(), separators=(",", ":"), ensure_ascii=False)
        yield f"data: {body}\n\n".encode()
