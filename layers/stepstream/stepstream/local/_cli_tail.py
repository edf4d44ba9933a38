"""``stepstream tail``: follow a channel's messages in a terminal.

It is :func:`stepstream.realtime.subscribe` with two CLI choices: tokens come from the HTTP API's
token endpoint (the CLI has a signing key, not the app's JWT secret), and what happens to the
connection is printed on stderr. Reconnecting with a fresh token and ``since=<highest seq seen>``,
dropping a message whose ``id`` was already printed, and the backoff are subscribe's.
"""

from __future__ import annotations

import sys
from typing import TextIO

from websockets.exceptions import InvalidStatus, InvalidURI, WebSocketException

from ..realtime._frames import dumps
from ..realtime._subscribe import CONNECT_PATH, Message, subscribe
from ._cli_http import ApiClient, CliError, unreachable
from ._cli_render import message_line, use_colour

MAX_BACKOFF_SECONDS = 10.0
KEEPALIVE_SECONDS = 300.0


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
        self.since = since
        self.raw = raw
        self.out = out
        self.err = err
        self.connects = 0
        self._colour = use_colour(out)

    async def run(self) -> None:
        messages = subscribe(
            channel=self.channel,
            topics=self.topics,
            since=self.since,
            url=f"{self.api.target.ws_url}{CONNECT_PATH}",
            tokens=self._token,
            keepalive=KEEPALIVE_SECONDS,
            max_backoff=MAX_BACKOFF_SECONDS,
            on_subscribed=self._subscribed,
            on_drop=self._dropped,
            on_notice=self._note,
        )
        try:
            async for message in messages:
                self.show(message)
        except InvalidURI as exc:
            raise CliError(f"cannot build a WebSocket URL from {self.api.target.url}") from exc
        finally:
            await messages.aclose()

    async def _token(self) -> str:
        return await self.api.token_async(self.channel, self.topics)

    def show(self, message: Message) -> None:
        """One line per message: ``time  topic  #seq  data``, or the frame (``--json``)."""
        frame = message.to_frame()
        print(
            dumps(frame) if self.raw else message_line(frame, self._colour),
            file=self.out,
            flush=True,
        )

    def _subscribed(self) -> None:
        if self.connects:
            self._note("reconnected")
        else:
            self._note(f"following {self.channel} ({', '.join(self.topics)}); Ctrl-C to stop")
        self.connects += 1

    def _dropped(self, error: Exception) -> None:
        """Say why the socket went; give up (raise) where reconnecting cannot help: the endpoint
        refused us, or it was never reachable at all."""
        if isinstance(error, InvalidStatus):
            status = error.response.status_code
            body = error.response.body.decode("utf-8", "replace") if error.response.body else ""
            raise CliError(
                f"the realtime endpoint refused the connection ({status}): "
                f"{body.strip() or 'no reason given'}"
            )
        if isinstance(error, OSError | TimeoutError) and not self.connects:
            raise CliError(unreachable(self.api.target.url, error))
        if isinstance(error, WebSocketException):  # closed, or a handshake that went wrong
            self._note(f"connection closed ({error}); reconnecting")

    def _note(self, text: str) -> None:
        print(f"# {text}", file=self.err, flush=True)
