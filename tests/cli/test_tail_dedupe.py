"""GIVEN a realtime endpoint delivering frames as a resumed socket may (repeated ids, repeated run
frames, two publishers' seqs interleaved, pings, pongs, garbage, an error frame), and dropping
the socket once
WHEN `stepstream tail` follows it
THEN each message is printed once, the drop is announced and resumed with `since=<highest seq>`,
and pings, pongs and garbage print nothing on stdout."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from websockets.asyncio.server import ServerConnection, serve

from stepstream.local._cli_http import ApiClient, CliError, Target
from stepstream.local._cli_tail import Tail


def data(seq: int, message_id: str | None = None) -> str:
    frame = {"kind": "data", "channel": "ch", "topic": "t", "data": seq, "seq": seq}
    return json.dumps({**frame, "id": message_id or f"m{seq}"})


RUN = json.dumps(
    {"kind": "run", "channel": "ch", "id": "r1:completed", "data": {"status": "completed"}}
)


class Endpoint:
    """A realtime endpoint that plays one script of frames per connection, then drops it."""

    def __init__(self, scripts: list[list[str]]) -> None:
        self.scripts = scripts
        self.queries: list[dict[str, list[str]]] = []
        self.url = ""

    async def serve(self, socket: ServerConnection) -> None:
        assert socket.request is not None
        self.queries.append(parse_qs(urlsplit(socket.request.path).query))
        script = (
            self.scripts[len(self.queries) - 1] if len(self.queries) <= len(self.scripts) else []
        )
        if "since" in self.queries[-1]:
            await socket.recv()  # as the gateway does, replay once the client has spoken
        for frame in script:
            await socket.send(frame)
        if len(self.queries) < len(self.scripts):
            return  # drop the socket: the client must resume
        await socket.wait_closed()


class FakeApi(ApiClient):
    """The HTTP API's token endpoint, answered without a server."""

    async def token_async(self, channel: str, topics: list[str]) -> str:
        return f"token-{len(topics)}"


@pytest.fixture
async def endpoint(request: pytest.FixtureRequest) -> AsyncIterator[Endpoint]:
    fake = Endpoint(request.param)
    async with serve(fake.serve, "127.0.0.1", 0) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        fake.url = f"http://127.0.0.1:{port}"
        yield fake


async def follow(endpoint: Endpoint, lines: int, **options: Any) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    api = FakeApi(Target.resolve(endpoint.url, None, None))
    tail = Tail(api, "ch", ["t"], out=out, err=err, **options)
    task = asyncio.create_task(tail.run())
    try:
        for _ in range(500):
            if len(out.getvalue().splitlines()) >= lines or task.done():
                break
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)  # anything printed late would be a duplicate
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        api.close()
    return out.getvalue(), err.getvalue()


FIRST = [data(3), data(3), data(4), RUN, RUN, '{"kind":"ping"}', '{"kind":"pong"}', "not json"]
AFTER_DROP = [data(4), data(5), json.dumps({"kind": "error", "data": {"message": "nope"}})]


@pytest.mark.parametrize("endpoint", [[FIRST, AFTER_DROP]], indirect=True)
async def test_repeats_print_once_and_a_drop_resumes_from_the_highest_seq(
    endpoint: Endpoint,
) -> None:
    out, err = await follow(endpoint, lines=4, since=2)

    lines = out.splitlines()
    assert [line.split()[-1] for line in lines if " t " in f" {line} "] == ["3", "4", "5"]
    assert sum("completed" in line for line in lines) == 1
    assert len(lines) == 4
    assert [q.get("since") for q in endpoint.queries] == [["2"], ["4"]]
    assert endpoint.queries[1]["token"] == ["token-1"]  # a fresh token for the reconnect
    assert "# following ch (t); Ctrl-C to stop" in err
    assert "reconnecting" in err
    assert "# reconnected" in err
    assert "not JSON" in err
    assert "nope" in err


TWO_PUBLISHERS = [data(65, "a1"), data(12, "b1"), data(66, "a2"), data(13, "b2"), data(12, "b1")]


@pytest.mark.parametrize("endpoint", [[TWO_PUBLISHERS]], indirect=True)
async def test_two_publishers_interleaving_lose_nothing(endpoint: Endpoint) -> None:
    out, _ = await follow(endpoint, lines=4)
    assert [line.split()[-1] for line in out.splitlines()] == ["65", "12", "66", "13"]


@pytest.mark.parametrize("endpoint", [[[data(7)]]], indirect=True)
async def test_json_prints_the_frame_compact(endpoint: Endpoint) -> None:
    out, _ = await follow(endpoint, lines=1, raw=True)
    assert json.loads(out) == json.loads(data(7))
    assert '"seq":7' in out


async def test_a_refused_connection_is_one_readable_error() -> None:
    async def refuse(socket: ServerConnection) -> None:
        raise AssertionError("never reached")

    def reject(_: ServerConnection, request: Any) -> Any:
        return _.respond(403, "token_expired\n")

    async with serve(refuse, "127.0.0.1", 0, process_request=reject) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        api = FakeApi(Target.resolve(f"http://127.0.0.1:{port}", None, None))
        tail = Tail(api, "ch", ["t"], out=io.StringIO(), err=io.StringIO())
        with pytest.raises(CliError, match=r"refused the connection \(403\): token_expired"):
            await asyncio.wait_for(tail.run(), 10)
        api.close()
