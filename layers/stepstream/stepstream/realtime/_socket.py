"""The WebSocket side of realtime: what the authorizer, ``$connect``, ``$default`` and
``$disconnect`` Lambdas do (``functions/ws_*.py`` only adapt events to these functions).

The token is checked once, by the authorizer; what it allowed travels to every later event of the
connection as ``requestContext.authorizer`` (API Gateway repeats it), so ``$default`` never
re-verifies the connect token. Every client frame is answered through ``@connections``; a bad frame
gets an ``error`` frame and the socket stays open. History resume is described in docs/realtime.md
("History and resume"): a subscription with ``since`` is added *held* (``live_after = HOLD``, so
publishers skip it), the kept frames after ``since`` are posted in ``seq`` order, and the
subscription is released at the last ``seq`` posted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from ..store import HOLD, ConnectionsApi, ConnectionStore
from ._frames import (
    COALESCE_PARAM,
    PONG,
    ClientFrame,
    FrameError,
    coalesce,
    dumps,
    error_frame,
    parse_client_frame,
    wants_coalescing,
)
from ._realtime import subscriber_cache_seconds
from ._tokens import TokenClaims, TokenError, verify_token

MAX_CONNECTION_SECONDS = 2 * 60 * 60
"""API Gateway closes every WebSocket after 2 h; no subscription is kept longer."""
REPLAY_PAGE = 500
log = logging.getLogger("stepstream.realtime")


class Unauthorized(Exception):
    """Raised by :func:`authorize` when no token was sent: API Gateway answers 401 only when a
    REQUEST authorizer fails with exactly the message ``Unauthorized``."""

    def __init__(self, reason: str) -> None:
        super().__init__("Unauthorized")
        self.reason = reason


# --- authorizer -----------------------------------------------------------------------------


def token_from(event: Mapping[str, Any]) -> str | None:
    """The subscription token of a ``$connect``: ``?token=`` or ``Authorization: Bearer``."""
    query = event.get("queryStringParameters") or {}
    token = query.get("token")
    if isinstance(token, str) and token.strip():
        return token.strip()
    for name, value in (event.get("headers") or {}).items():
        if name.lower() == "authorization" and isinstance(value, str):
            scheme, _, credentials = value.strip().partition(" ")
            if scheme.lower() == "bearer" and credentials.strip():
                return credentials.strip()
    return None


def _since_param(event: Mapping[str, Any]) -> int | None:
    raw = (event.get("queryStringParameters") or {}).get("since")
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not raw.isdigit() or len(raw) > 18:
        raise ValueError(f"since must be a non-negative integer seq, got {str(raw)[:40]!r}")
    return int(raw)


def _coalesce_param(event: Mapping[str, Any]) -> bool:
    return wants_coalescing((event.get("queryStringParameters") or {}).get(COALESCE_PARAM))


def _policy(event: Mapping[str, Any], effect: str, principal: str) -> dict[str, Any]:
    return {
        "principalId": principal,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Action": "execute-api:Invoke",
                    "Effect": effect,
                    "Resource": str(event.get("methodArn", "*")),
                }
            ],
        },
    }


def authorize(event: Mapping[str, Any]) -> dict[str, Any]:
    """The REQUEST authorizer: an Allow policy whose context names the token's channel and
    topics, a Deny policy (→ 403) for a bad token or ``since``, :class:`Unauthorized` (→ 401) for
    no token at all."""
    token = token_from(event)
    if token is None:
        raise Unauthorized("no token: pass ?token=<jwt> or Authorization: Bearer <jwt>")
    try:
        claims = verify_token(token)
        since = _since_param(event)
        coalesced = _coalesce_param(event)
    except (TokenError, ValueError) as exc:
        log.info("refused a connection: %s", exc)
        return _policy(event, "Deny", "anonymous")
    context: dict[str, Any] = {
        "channel": claims.channel,
        "topics": ",".join(sorted(claims.topics)),
        "exp": claims.expires_at,
        "app_id": claims.app_id,
    }
    if since is not None:
        context["since"] = since
    if coalesced:
        context[COALESCE_PARAM] = 1
    return {**_policy(event, "Allow", claims.app_id), "context": context}


# --- $connect / $disconnect -----------------------------------------------------------------


def _connection_expiry(request_context: Mapping[str, Any]) -> int:
    connected_ms = request_context.get("connectedAt")
    started = int(connected_ms) // 1000 if isinstance(connected_ms, int) else int(time.time())
    return started + MAX_CONNECTION_SECONDS


def _granted(authorizer: Mapping[str, Any]) -> tuple[str, list[str]] | None:
    channel = authorizer.get("channel")
    topics = authorizer.get("topics")
    if not isinstance(channel, str) or not channel or not isinstance(topics, str):
        return None
    names = [t for t in topics.split(",") if t]
    return (channel, names) if names else None


def _authorized_since(authorizer: Mapping[str, Any]) -> int | None:
    since = authorizer.get("since")
    if since is None or since == "":
        return None
    return int(since)  # API Gateway may hand context numbers back as strings


def _authorized_coalesce(authorizer: Mapping[str, Any]) -> bool:
    # API Gateway may hand context values back as strings
    return str(authorizer.get(COALESCE_PARAM, "")) in ("1", "True", "true")


def on_connect(event: Mapping[str, Any], store: ConnectionStore | None = None) -> dict[str, Any]:
    """Record the subscription the authorizer granted (held if the client asked to resume)."""
    request_context = event.get("requestContext") or {}
    granted = _granted(request_context.get("authorizer") or {})
    if granted is None:  # only reachable if the route is deployed without the authorizer
        return {"statusCode": 403, "body": "no authorized subscription on this connection"}
    channel, topics = granted
    since = _authorized_since(request_context.get("authorizer") or {})
    (store or ConnectionStore()).add(
        str(request_context["connectionId"]),
        channel,
        topics,
        expires_at=_connection_expiry(request_context),
        live_after=HOLD if since is not None else None,
        coalesce=_authorized_coalesce(request_context.get("authorizer") or {}),
    )
    return {"statusCode": 200}


def on_disconnect(event: Mapping[str, Any], store: ConnectionStore | None = None) -> None:
    """Forget every subscription of the closed connection."""
    (store or ConnectionStore()).remove_connection(str(event["requestContext"]["connectionId"]))


# --- $default -------------------------------------------------------------------------------


class _Session:
    """One ``$default`` invocation: the connection, its store and its ``@connections`` client."""

    def __init__(
        self, event: Mapping[str, Any], store: ConnectionStore, api: ConnectionsApi
    ) -> None:
        self.request_context: Mapping[str, Any] = event.get("requestContext") or {}
        self.connection_id = str(self.request_context["connectionId"])
        self.authorizer: Mapping[str, Any] = self.request_context.get("authorizer") or {}
        self.store = store
        self.api = api
        self._replayed_to = 0
        self.coalesced = _authorized_coalesce(self.authorizer)

    def send(self, frame: dict[str, Any]) -> bool:
        return self.api.post(self.connection_id, dumps(frame).encode("utf-8"))

    def subscribe(self, channel: str, topics: list[str], since: int | None) -> None:
        self.store.add(
            self.connection_id,
            channel,
            topics,
            expires_at=_connection_expiry(self.request_context),
            live_after=HOLD if since is not None else None,
            coalesce=self.coalesced,
        )
        if since is not None:
            self.replay(channel, frozenset(topics), since)

    def replay(self, channel: str, topics: frozenset[str], since: int) -> None:
        """Post the kept frames after ``since`` in order, then release the hold at the last one.

        A publisher keeps a frame before it looks up subscribers, so a frame whose publisher
        saw the hold is already in history when the hold is released: one more read after the
        release posts those (a publisher that saw the release may post one too; clients dedupe
        by ``id``)."""
        self._replayed_to = since
        # Publishers cache subscriber lists for up to subscriber_cache_seconds(); one that
        # cached before this subscription existed doesn't know it at all. Releasing only once
        # every such cache has expired means each publisher has seen the hold by then.
        release_at = time.monotonic() + subscriber_cache_seconds()
        try:
            last = self._post_history(channel, topics, since)
            wait = release_at - time.monotonic()
            if last is not None and wait > 0:
                time.sleep(wait)
                last = self._post_history(channel, topics, last)
        except Exception:
            # never leave a socket held: it would receive nothing, ever
            self.store.set_live_after(self.connection_id, channel, self._replayed_to)
            raise
        if last is None:
            return
        self.store.set_live_after(self.connection_id, channel, last)
        self._post_history(channel, topics, last)

    def _post_history(self, channel: str, topics: frozenset[str], after: int) -> int | None:
        """Post kept frames with ``seq > after`` in order; the last seq seen, None if gone."""
        last = after
        while frames := self.store.history(channel, after_seq=last, limit=REPLAY_PAGE):
            wanted = [
                frame
                for frame in frames
                if frame.get("kind") != "data" or frame.get("topic") in topics
            ]
            if not self._send_in_order(wanted):
                return None  # gone: $disconnect (or the TTL) cleans up
            last = max(last, *(int(frame["seq"]) for frame in frames))
            self._replayed_to = last
        return last

    def _send_in_order(self, frames: list[dict[str, Any]]) -> bool:
        """Post ``frames`` in order, coalesced if the connection asked; False if it is gone."""
        encoded = [dumps(frame).encode("utf-8") for frame in frames]
        start = 0
        while start < len(encoded):
            if self.coalesced:
                data, posted = coalesce(encoded[start:])
            else:
                data, posted = encoded[start], 1
            if not self.api.post(self.connection_id, data):
                return False
            start += posted
            # a failure after this point resumes after the last frame posted
            self._replayed_to = max(self._replayed_to, int(frames[start - 1]["seq"]))
        return True

    def resume_pending_connect_replay(self) -> None:
        """Run the replay a ``?since=`` connect asked for, if it is still held."""
        since = _authorized_since(self.authorizer)
        granted = _granted(self.authorizer)
        if since is None or granted is None:
            return
        channel, _ = granted
        held = self.store.subscription(self.connection_id, channel)
        if held is not None and held.held:
            self.replay(channel, held.topics, since)

    def handle(self, frame: ClientFrame) -> None:
        if frame.kind == "ping":
            self.send(PONG)
        elif frame.kind == "unsub":
            self.store.remove_topics(self.connection_id, frame.topics, frame.channel)
        else:
            self.handle_sub(frame)

    def handle_sub(self, frame: ClientFrame) -> None:
        try:
            claims: TokenClaims = verify_token(frame.token or "")
        except TokenError as exc:
            self.send(error_frame(f"token_{exc.code}", f"sub refused: {exc.message}"))
            return
        app_id = self.authorizer.get("app_id")
        if app_id and claims.app_id != app_id:
            self.send(error_frame("token_wrong_app", "sub refused: the token is for another app"))
            return
        # The token alone decides: its one channel and its topics, nothing from the frame.
        self.subscribe(claims.channel, sorted(claims.topics), frame.since)


def on_message(
    event: Mapping[str, Any],
    store: ConnectionStore | None = None,
    api: ConnectionsApi | None = None,
) -> dict[str, Any]:
    """Handle one client frame; every outcome, including a bad frame, is answered on the socket."""
    session = _Session(event, store or ConnectionStore(), api or ConnectionsApi())
    session.resume_pending_connect_replay()
    body = event.get("body") or ""
    try:
        frame = parse_client_frame(body, binary=bool(event.get("isBase64Encoded")))
    except FrameError as exc:
        session.send(exc.frame())
        return {"statusCode": 200}
    session.handle(frame)
    return {"statusCode": 200}
