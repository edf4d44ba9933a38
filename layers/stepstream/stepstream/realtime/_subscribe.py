"""Python subscriber: the messages of a channel as an async iterator, and as Server-Sent Events.

``subscribe`` mints a fresh token for every (re)connect (tokens live 60 s and are checked only at
connect), resumes from the highest ``seq`` it has seen after a drop (``since=``), and drops a
message whose ``id`` it has already yielded, so a resume never repeats one; it never drops a
message for its ``seq`` (two publishers' seqs interleave, docs/realtime.md "Sequence numbers").
When it connects with ``since`` it speaks first (``{"kind":"ping"}``): on AWS the replay of a
``?since=`` connect runs in the connection's first ``$default`` invocation (docs/realtime.md,
"History and resume"). It also pings after ``keepalive`` seconds of silence, so API Gateway's
10-minute idle close never hits.

It is the one Python client of the protocol: ``stepstream tail`` is ``subscribe`` with tokens from
the HTTP API and hooks that print what happens (``on_subscribed``, ``on_drop``, ``on_notice``).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections import OrderedDict
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode, urlsplit

import websockets
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from ._channel import Channel
from ._frames import COALESCE_PARAM
from ._tokens import get_subscription_token

CONNECT_PATH = "/v1/realtime/connect"
SEEN_IDS = 10_000
"""Message ids remembered for deduplication; a resume only repeats recent ones."""
CLOSE_TIMEOUT = 1.0
"""Seconds a stopping subscriber waits for the gateway to answer its close: it has nothing left
to receive, and a Ctrl-C should end ``stepstream tail`` at once, not after websockets' 10 s."""
PING = json.dumps({"kind": "ping"})


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

    def to_frame(self) -> dict[str, Any]:
        """The frame as the server sent it (wire names, absent fields left out): the inverse of
        :meth:`from_frame`."""
        frame = {
            "kind": self.kind,
            "channel": self.channel,
            "topic": self.topic,
            "data": self.data,
            "created_at": self.created_at,
            "run_id": self.run_id,
            "fn_id": self.fn_id,
            "seq": self.seq,
            "id": self.id,
        }
        return {k: v for k, v in frame.items() if v is not None}


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
    # coalesce=1: the server may post several frames as one ``batch`` frame (docs/realtime.md)
    query = {"token": token, COALESCE_PARAM: "1"}
    if since is not None:
        query["since"] = str(since)
    return f"{base}{'&' if '?' in base else '?'}{urlencode(query)}"


def backoff(attempt: int, cap: float, rand: Callable[[], float] = random.random) -> float:
    """Seconds to wait before reconnect number ``attempt`` (1, 2, ...): exponential from 0.1 s,
    capped at ``cap``, with the upper half jittered so clients dropped together spread out."""
    return float(min(cap, 0.05 * 2**attempt) * (0.5 + rand() / 2))


class Resume:
    """What a subscription has seen: the ids of the messages it yielded (the last ``remember``,
    oldest forgotten first), to drop a message a resume delivers twice, and the highest ``seq``
    of its channel, to resume from. Dedupe is by id only: with two publishers on one channel a
    lower seq can follow a higher one, and it is a new message."""

    def __init__(self, since: int | None = None, remember: int = SEEN_IDS) -> None:
        self.since = since
        self.remember = remember
        self.seen: OrderedDict[str, None] = OrderedDict()

    def is_new(self, message: Message) -> bool:
        if message.id is not None:
            if message.id in self.seen:
                return False
            self.seen[message.id] = None
            if len(self.seen) > self.remember:
                self.seen.popitem(last=False)
        if message.seq is not None:
            self.since = max(self.since or 0, message.seq)
        return True


async def subscribe(
    app: _HasId | None = None,
    *,
    channel: Channel | str,
    topics: Sequence[str],
    since: int | None = None,
    url: str | None = None,
    token: str | None = None,
    tokens: Callable[[], Awaitable[str]] | None = None,
    keepalive: float = 300.0,
    max_backoff: float = 5.0,
    on_subscribed: Callable[[], object] | None = None,
    on_drop: Callable[[Exception], object] | None = None,
    on_notice: Callable[[str], object] | None = None,
) -> AsyncGenerator[Message, None]:
    """Yield the ``data`` and ``run`` messages of ``channel``'s ``topics`` until the caller stops.

    ``since``: first replay the kept messages with a greater ``seq``. ``token``: use this token for
    the first connect; later ones come from ``tokens()`` if given, else are minted from ``app``'s
    secret. Drops are retried forever with jittered exponential backoff up to ``max_backoff``
    seconds; a refused token is raised as :class:`SubscriptionRefused`.

    ``on_subscribed()`` runs each time the gateway has accepted a (re)connect: the subscription is
    registered, so a message published from then on reaches it (a kept one published during a
    drop comes with the resume). ``on_drop(error)`` runs when a socket closes or cannot open;
    raising from it stops the subscription with that exception instead of reconnecting.
    ``on_notice(text)`` hears about frames skipped that a person may want to see (``error``
    frames, frames that are not JSON)."""
    name = channel.name if isinstance(channel, Channel) else channel
    wanted = frozenset(topics)
    base = url or default_url()
    if tokens is None and app is None:
        raise ValueError("subscribe needs an app to mint tokens from, or tokens=")
    resume = Resume(since)
    attempt = 0
    while True:
        key = token or await _mint(app, tokens, channel, topics)
        token = None  # only the first connect may use the caller's token
        try:
            async with websockets.connect(
                _connect_url(base, key, resume.since),
                max_size=2**20,
                ping_interval=None,
                close_timeout=CLOSE_TIMEOUT,
            ) as socket:
                attempt = 0
                if on_subscribed is not None:
                    on_subscribed()
                if resume.since is not None:
                    await socket.send(PING)
                while True:
                    try:
                        raw = await asyncio.wait_for(socket.recv(), keepalive)
                    except TimeoutError:
                        await socket.send(PING)
                        continue
                    for message in _accept(raw, name, wanted, on_notice):
                        if resume.is_new(message):
                            yield message
        except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError) as exc:
            if on_drop is not None:
                on_drop(exc)
            if isinstance(exc, InvalidStatus) and exc.response.status_code in (401, 403):
                raise SubscriptionRefused(
                    f"the gateway refused the subscription token for channel {name!r} "
                    f"(HTTP {exc.response.status_code}); check the JWT secret and the URL"
                ) from exc
        attempt += 1
        await asyncio.sleep(backoff(attempt, max_backoff))


async def _mint(
    app: _HasId | None,
    tokens: Callable[[], Awaitable[str]] | None,
    channel: Channel | str,
    topics: Sequence[str],
) -> str:
    if tokens is not None:
        return await tokens()
    assert app is not None  # subscribe checked that one of them is given
    return str(get_subscription_token(app, channel=channel, topics=list(topics))["key"])


def _accept(
    raw: str | bytes,
    channel: str,
    topics: frozenset[str],
    on_notice: Callable[[str], object] | None = None,
) -> list[Message]:
    """The messages a frame carries for this subscription, in order: one, several for a
    ``batch`` frame, or none (pings, pongs, errors, other channels' or topics' frames)."""
    text = raw if isinstance(raw, str) else raw.decode("utf-8", "replace")
    try:
        frame = json.loads(text)
    except ValueError:
        if on_notice is not None:
            on_notice(f"ignored a frame that is not JSON: {text[:80]!r}")
        return []
    if isinstance(frame, dict) and frame.get("kind") == "batch":
        inner = frame.get("data")
        if not isinstance(inner, list):
            if on_notice is not None:
                on_notice("ignored a batch frame without a list of frames")
            return []
        found = (_message(f, channel, topics, on_notice) for f in inner)
        return [message for message in found if message is not None]
    message = _message(frame, channel, topics, on_notice)
    return [] if message is None else [message]


def _message(
    frame: object,
    channel: str,
    topics: frozenset[str],
    on_notice: Callable[[str], object] | None,
) -> Message | None:
    if not isinstance(frame, dict):
        return None
    if frame.get("kind") == "error" and on_notice is not None:
        on_notice(f"server error frame: {json.dumps(frame.get('data'))}")
    if frame.get("kind") not in ("data", "run"):
        return None  # ping, pong, error: nothing for the caller
    if frame.get("channel") != channel:
        return None
    if frame["kind"] == "data" and frame.get("topic") not in topics:
        return None
    return Message.from_frame(frame)


async def encode_sse(messages: AsyncIterator[Message]) -> AsyncIterator[bytes]:
    """``data: <json>\\n\\n`` per message, for ``StreamingResponse(..., media_type=
    "text/event-stream")`` (the seed's ``getEncodedStream``)."""
    async for message in messages:
        body = json.dumps(message.to_json(), separators=(",", ":"), ensure_ascii=False)
        yield f"data: {body}\n\n".encode()
