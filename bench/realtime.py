"""Realtime delivery: publish-to-receive latency through the local gateway vs a raw broadcast.

Everything is real and local: moto's server over HTTP for DynamoDB (tables from template.yaml),
the local API Gateway WebSocket emulator running the real ``functions/ws_*.py`` handlers, real
sockets for the subscribers, ``Realtime.publish`` posting through boto3's
``apigatewaymanagementapi`` client (one ``@connections`` POST per subscriber per message, as on
AWS).

For 1, 100 and 1,000 subscribers of one channel: publish a message carrying its send time, wait
until every subscriber has it, repeat. Latency = receive time - send time, for every (message,
subscriber) pair, p50 and p99. The baseline, measured in the same run with the same client code
and the same number of sockets, is a raw ``websockets`` server on its own thread broadcasting each
message to all its sockets (``websockets.broadcast``): the cost of delivering a WebSocket message
at all on this machine. Reported: both, their ratios, and the counted ``@connections`` posts and
DynamoDB requests per publish.

Run: ``python -m bench.realtime`` (or ``make bench``). Writes bench/results/realtime.json.
``BENCH_REALTIME_COUNTS=1,100`` limits the subscriber counts. The full run takes ~5 minutes,
over the ~2-minute budget: opening 1,000 sockets takes ~3 of them, because every ``$connect``
writes with ``TransactWriteItems`` and moto deep-copies the whole table for each transaction
(O(n) per connect); the measured latencies are not affected.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import statistics
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._support import local_stack as _local_stack
from bench._support import moto_process

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "bench" / "results" / "realtime.json"
MESSAGES = {1: 60, 100: 20, 1000: 6}
if os.environ.get("BENCH_REALTIME_COUNTS"):  # e.g. "1,100" for a quicker look
    MESSAGES = {int(n): MESSAGES[int(n)] for n in os.environ["BENCH_REALTIME_COUNTS"].split(",")}
"""Messages measured per subscriber count (after one warm-up message): bounded run time."""
CONNECT_CONCURRENCY = 1
"""Sockets opened at a time: moto's TransactWriteItems (used by ``$connect``) is not safe
against concurrent writes to the same table, so connects go one by one."""


@contextmanager
def local_stack() -> Iterator[Any]:
    """moto (its own process) + tables from template.yaml + the local gateway; yields the stack."""
    with (
        moto_process() as endpoint,
        _local_stack("r", gateway=True, aws_endpoint=endpoint, gateway_workers=64) as stack,
    ):
        yield stack


class BroadcastBaseline:
    """A raw websockets server on its own thread and loop that broadcasts what it is given."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.clients: set[Any] = set()
        self.url = ""
        self._ready = threading.Event()
        self._stop: asyncio.Future[None] | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()
        self._ready.wait(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(self._serve())

    async def _serve(self) -> None:
        from websockets.asyncio.server import serve

        async def handler(ws: Any) -> None:
            self.clients.add(ws)
            try:
                await ws.wait_closed()
            finally:
                self.clients.discard(ws)

        async with serve(handler, "127.0.0.1", 0, ping_interval=None) as server:
            host, port = next(iter(server.sockets)).getsockname()[:2]
            self.url = f"ws://{host}:{port}/"
            self._stop = self.loop.create_future()
            self._ready.set()
            await self._stop

    async def publish(self, message: str) -> None:
        from websockets.asyncio.server import broadcast

        self.loop.call_soon_threadsafe(broadcast, list(self.clients), message)

    def stop(self) -> None:
        if self._stop is not None:
            self.loop.call_soon_threadsafe(self._stop.set_result, None)
        self.thread.join(10)


class Receivers:
    """N client sockets recording, per message number, when each received it."""

    def __init__(self, sockets: list[Any]) -> None:
        self.sockets = sockets
        self.latencies: list[float] = []
        self.counts: Counter[int] = Counter()
        self.complete: dict[int, asyncio.Event] = {}
        self.tasks = [asyncio.create_task(self._listen(ws)) for ws in sockets]

    async def _listen(self, ws: Any) -> None:
        async for raw in ws:
            now = time.perf_counter()
            frame = json.loads(raw)
            body = frame.get("data")
            if not isinstance(body, dict) or "i" not in body:
                continue  # pings, pongs
            self.latencies.append(now - body["t"])
            number = body["i"]
            self.counts[number] += 1
            if self.counts[number] == len(self.sockets):
                self.complete.setdefault(number, asyncio.Event()).set()

    async def wait_for(self, number: int) -> None:
        try:
            await asyncio.wait_for(self.complete.setdefault(number, asyncio.Event()).wait(), 60)
        except TimeoutError:
            open_sockets = sum(1 for ws in self.sockets if ws.close_code is None)
            raise RuntimeError(
                f"message {number} reached {self.counts[number]} of {len(self.sockets)} "
                f"subscribers in 60 s ({open_sockets} sockets open)"
            ) from None

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)


async def _open(urls: list[str]) -> list[Any]:
    from websockets.asyncio.client import connect

    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def one(url: str) -> Any:
        async with gate:
            return await connect(url, ping_interval=None, open_timeout=60)

    return list(await asyncio.gather(*(one(url) for url in urls)))


async def _measure(
    receivers: Receivers, publish: Callable[[dict[str, Any]], Awaitable[None]], messages: int
) -> dict[str, float]:
    await publish({"i": -1, "t": time.perf_counter()})  # warm-up: seq block, subscriber cache
    await receivers.wait_for(-1)
    receivers.latencies.clear()
    for number in range(messages):
        await publish({"i": number, "t": time.perf_counter()})
        await receivers.wait_for(number)
    ms = sorted(x * 1000 for x in receivers.latencies)
    return {
        "samples": len(ms),
        "p50_ms": round(statistics.median(ms), 3),
        "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 3),
    }


async def _run_count(gateway: Any, baseline: BroadcastBaseline, count: int) -> dict[str, Any]:
    from stepstream import aws as _aws
    from stepstream.realtime import Realtime, channel, topic
    from stepstream.realtime._tokens import mint_token

    bench = channel(lambda n: f"bench:{n}").add_topic(topic("tick").type(dict))
    ref = bench(count).tick
    messages = MESSAGES[count]

    # the local gateway, through the real handlers and @connections
    token = mint_token(app_id="bench", channel=ref.channel, topics=["tick"], expires_in=600)
    started = time.perf_counter()
    sockets = await _open([f"{gateway.ws_url}?token={token}"] * count)
    connect_seconds = time.perf_counter() - started
    receivers = Receivers(sockets)
    posts: Counter[str] = Counter()
    dynamodb: Counter[str] = Counter()
    # this process posts every frame: bench.delivery measures the sharded fan-out
    realtime = Realtime("bench", cache_seconds=1.0, workers=16, sharding=False)
    _aws.client(
        "apigatewaymanagementapi", endpoint_url=gateway.management_url
    ).meta.events.register(
        "before-send.apigatewaymanagementapi", lambda **_: posts.update(["post"])
    )
    _aws.client("dynamodb").meta.events.register(
        "before-send.dynamodb", lambda **_: dynamodb.update(["request"])
    )

    async def via_gateway(body: dict[str, Any]) -> None:
        await realtime.publish(ref, body)

    try:
        ours = await _measure(receivers, via_gateway, messages)
        await realtime.flush()
        counted = (posts["post"], dynamodb["request"])  # before the sockets close
    finally:
        realtime.close()
        await receivers.close()
    published = messages + 1

    # the raw broadcast baseline, same clients, same count
    raw_sockets = await _open([baseline.url] * count)
    for _ in range(1000):  # the server registers a socket just after the client sees it open
        if len(baseline.clients) >= count:
            break
        await asyncio.sleep(0.01)
    raw_receivers = Receivers(raw_sockets)

    async def via_broadcast(body: dict[str, Any]) -> None:
        await baseline.publish(json.dumps({"kind": "data", "data": body}))

    try:
        raw = await _measure(raw_receivers, via_broadcast, messages)
    finally:
        await raw_receivers.close()
    return {
        "subscribers": count,
        "messages": messages,
        "gateway": ours,
        "baseline_broadcast": raw,
        "ratio_p50": round(ours["p50_ms"] / raw["p50_ms"], 1),
        "ratio_p99": round(ours["p99_ms"] / raw["p99_ms"], 1),
        "connections_posts_per_publish": round(counted[0] / published, 2),
        "dynamodb_requests_per_publish": round(counted[1] / published, 3),
        "connect_seconds": round(connect_seconds, 2),
    }


def readme_rows(report: dict[str, Any]) -> list[Any]:
    """This benchmark's lines of the README's table (``bench.readme``)."""
    from bench.readme import ReadmeRow, count, times

    def one(r: dict[str, Any]) -> str:
        ours = r["gateway"]
        return (
            f"{count(r['subscribers'])} sub.: {_ms(ours['p50_ms'])} / {_ms(ours['p99_ms'])} "
            f"({times(r['ratio_p50'])} / {times(r['ratio_p99'])}; {count(ours['samples'])} samples)"
        )

    return [
        ReadmeRow(
            "publish→receive p50 / p99 on the local gateway (vs a raw websockets broadcast)",
            "; ".join(one(r) for r in report["results"]),
        )
    ]


def _ms(value: float) -> str:
    return f"{value / 1000:.3g} s" if value >= 1000 else f"{value:.3g} ms"


async def main() -> dict[str, Any]:
    baseline = BroadcastBaseline()
    results = []
    try:
        with local_stack() as gateway:
            for count in MESSAGES:
                result = await _run_count(gateway, baseline, count)
                print(json.dumps(result), flush=True)
                results.append(result)
    finally:
        baseline.stop()
    return {
        "benchmark": "realtime publish-to-receive latency",
        "command": "python -m bench.realtime",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, {platform.platform()}, "
        f"Python {platform.python_version()}",
        "note": "local gateway = uvicorn emulator + real handlers + boto3 @connections posts, "
        "moto over HTTP for DynamoDB; baseline = raw websockets broadcast; "
        "clients, gateway and baseline share this machine",
        "results": results,
    }


if __name__ == "__main__":
    report = asyncio.run(main())
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULT.relative_to(ROOT)}")
