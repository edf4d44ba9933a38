"""``stepstream tail``: follow a channel's messages in a terminal.

It is an ordinary realtime client: it mints a token through the token endpoint, connects to
``/v1/realtime/connect`` and, when the socket drops (API Gateway's 2 h limit, a restarted dev
stack), reconnects with a fresh token and ``since=<highest seq seen>`` so nothing kept is missed,
and drops a message whose ``id`` it already printed. It never drops a message for its ``seq``: with
two publishers on one channel a lower seq can arrive after a higher one (docs/realtime.md,
"Sequence numbers").
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TextIO

import websockets
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI, WebSocketException

from ._cli_http import ApiClient, CliError, unreachable
from ._cli_render import message_line, use_colour

CONNECT_PATH = "/v1/realtime/connect"
MAX_BACKOFF_SECONDS = 10.0
KEEPALIVE_SECONDS = 300.0
PING = json.dumps({"kind": "ping"})
SEEN_IDS = 2048
"""Message ids remembered for deduplication; a resume only repeats recent ones."""


class Tail:
    """Prints every message of one channel's topics until cancelled."""

    def __init__(
        self,
        api: ApiClient,
        channel: str,
        topics: list[str],
        *,
        since: int | None = None,
        raw: bool = False,
        out: TextIO = sys.stdout,
        err: TextIO = sys.stderr,
    ) -> None:
        self.api = api
        self.channel = channel
        self.topics = topics
        self.last_seq = since
        self.raw = raw
        self.out = out
        self.err = err
        self._seen_ids: OrderedDict[str, None] = OrderedDict()
        self._colour = use_colour(out)

    async def run(self) -> None:
        failures = 0
        while True:
            token = await asyncio.to_thread(self.api.token, self.channel, self.topics)
            try:
                async with websockets.connect(self._connect_url(token), max_size=None) as socket:
                    if failures:
                        self._note("reconnected")
                    else:
                        self._note(
                            f"following {self.channel} ({', '.join(self.topics)}); Ctrl-C to stop"
                        )
                    failures = 0
                    await self._follow(socket)
            except InvalidStatus as exc:
                status = exc.response.status_code
                body = exc.response.body.decode("utf-8", "replace") if exc.response.body else ""
                raise CliError(
                    f"the realtime endpoint refused the connection ({status}): "
                    f"{body.strip() or 'no reason given'}"
                ) from exc
            except InvalidURI as exc:
                raise CliError(f"cannot build a WebSocket URL from {self.api.target.url}") from exc
            except OSError as exc:
                if failures == 0:
                    raise CliError(unreachable(self.api.target.url, exc)) from exc
            except (ConnectionClosed, WebSocketException) as exc:
                self._note(f"connection closed ({exc}); reconnecting")
            failures += 1
            await asyncio.sleep(_backoff(failures))

    async def _follow(self, socket: ClientConnection) -> None:
        # With `since`, the server holds live messages until the replay has run, and the replay
        # starts on the client's first frame (docs/realtime.md, "History and resume"): speak
        # first. Afterwards, a ping every few quiet minutes keeps API Gateway's 10-minute idle
        # timeout away.
        if self.last_seq is not None:
            await socket.send(PING)
        while True:
            try:
                raw = await asyncio.wait_for(socket.recv(), timeout=KEEPALIVE_SECONDS)
            except TimeoutError:
                await socket.send(PING)
                continue
            self._show(raw if isinstance(raw, str) else raw.decode("utf-8", "replace"))

    def _connect_url(self, token: str) -> str:
        query = {"token": token}
        if self.last_seq is not None:
            query["since"] = str(self.last_seq)
        return f"{self.api.target.ws_url}{CONNECT_PATH}?{urllib.parse.urlencode(query)}"

    def _show(self, raw: str) -> None:
        try:
            frame = json.loads(raw)
        except json.JSONDecodeError:
            self._note(f"ignored a frame that is not JSON: {raw[:80]!r}")
            return
        if not isinstance(frame, dict):
            return
        kind = frame.get("kind")
        if kind in ("ping", "pong"):
            return
        if kind == "error":
            self._note(f"server error frame: {json.dumps(frame.get('data'))}")
            return
        if not self._is_new(frame):
            return
        line = raw if self.raw else message_line(frame, self._colour)
        print(line, file=self.out, flush=True)

    def _is_new(self, frame: dict[str, Any]) -> bool:
        """Drop what a resume delivers twice, by message ``id`` (the last :data:`SEEN_IDS`);
        remember the highest ``seq`` of the channel as the point to resume from."""
        message_id = frame.get("id")
        if isinstance(message_id, str):
            if message_id in self._seen_ids:
                return False
            self._seen_ids[message_id] = None
            if len(self._seen_ids) > SEEN_IDS:
                self._seen_ids.popitem(last=False)
        seq = frame.get("seq")
        if (
            isinstance(seq, int)
            and not isinstance(seq, bool)
            and frame.get("channel") == self.channel
        ):
            self.last_seq = seq if self.last_seq is None else max(self.last_seq, seq)
        return True

    def _note(self, text: str) -> None:
        print(f"# {text}", file=self.err, flush=True)


def _backoff(failures: int, rand: Callable[[], float] = random.random) -> float:
    """Exponential backoff with full jitter, capped."""
    return float(rand() * min(MAX_BACKOFF_SECONDS, 0.25 * 2**failures))
