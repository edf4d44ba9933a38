"""Publishing: DynamoDB requests per publish, and whether posting slows the publisher.

Everything is real and local: moto's server over HTTP for DynamoDB (tables from template.yaml),
the local API Gateway WebSocket emulator running the real ``functions/ws_*.py`` handlers, real
sockets for the subscribers, and boto3's ``apigatewaymanagementapi`` client for the posts.

1. **DynamoDB requests per publish.** A 500-token stream (``publish`` in a loop, then ``flush``)
   to 1, 10 and 100 subscribers, plus the same stream on a ``history=True`` topic. Requests are
   counted as botocore sends them (``before-send.dynamodb``, retries included), by operation,
   from the first publish to the end of ``flush``; every subscriber must have received all 500
   frames in order or the run fails.
2. **Posting off the caller's path.** 200 publishes to one subscriber whose ``@connections``
   posts each take an extra ``SLOW_POST_SECONDS`` (added before the real post, standing in for a
   slow network to API Gateway), against the baseline of the same 200 publishes with no
   subscriber, in ``ROUNDS`` interleaved rounds of the same run. Reported: the ratio of the
   median publish loops (target about 1; the baseline is tens of milliseconds, so the GIL the
   posting threads share with the loop shows as noise), the extra time per publish, and for
   scale what posting inline would have cost (loop + posting time) as a ratio to the baseline.
   The executor always flushes before an invocation ends, so the publisher's whole cost is the
   loop *and* the flush: that ratio is reported too, and it is the one the README shows.
3. **At the demo's real rate.** ``PACED_TOKENS`` publishes at ``PACED_RATE`` per second (a
   model's token rate, as the demo streams) to 1, 100 and 1,000 subscribers, then ``flush``:
   DynamoDB requests per publish, counted as in 1. The subscriptions are real items in the
   realtime table (written as ``$connect`` writes them); the posts go to a poster that counts them
   and sends nothing, since what is measured is DynamoDB, not the gateway (which 1,000 sockets in
   one process would make the bottleneck). Every subscriber must be posted every frame.

Run: ``python -m bench.publish`` (or ``make bench``). Writes bench/results/publish.json.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import platform
import statistics
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._support import local_stack as _local_stack
from bench._support import seed_subscriptions

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "bench" / "results" / "publish.json"
TOKENS = 500
SUBSCRIBER_COUNTS = (1, 10, 100)
SLOW_PUBLISHES = 200
SLOW_POST_SECONDS = 0.005
ROUNDS = 5
TARGET_REQUESTS_PER_PUBLISH = 0.1
PACED_TOKENS = 400
PACED_RATE = 40.0
PACED_SUBSCRIBER_COUNTS = (1, 100, 1000)


@contextmanager
def local_stack() -> Iterator[None]:
    """moto + tables from template.yaml + the local gateway, with the environment pointing there."""
    with _local_stack("b", gateway=True) as stack:
        os.environ["BENCH_WS_URL"] = stack.ws_url
        yield


class RequestCounter:
    """Counts DynamoDB HTTP requests, by operation, as botocore sends them."""

    def __init__(self) -> None:
        from stepstream import aws as _aws

        self.counts: Counter[str] = Counter()
        _aws.client("dynamodb").meta.events.register("before-send.dynamodb", self._count)

    def _count(self, event_name: str, **_: Any) -> None:
        self.counts[event_name.rsplit(".", 1)[-1]] += 1

    def reset(self) -> None:
        self.counts.clear()


async def _connect(channel: str, count: int) -> list[Any]:
    from websockets.asyncio.client import connect

    from stepstream.realtime._tokens import mint_token

    sockets = []
    for _ in range(count):
        token = mint_token(app_id="bench", channel=channel, topics=["tokens"], expires_in=600)
        url = f"{os.environ['BENCH_WS_URL']}?token={token}"
        # Read everything as it comes (no backpressure onto the gateway) and no client pings:
        # a loaded single-process run may answer them late, which says nothing about publishing.
        sockets.append(await connect(url, max_queue=None, ping_interval=None))
    return sockets


async def _received(ws: Any, count: int) -> list[int]:
    return [json.loads(await asyncio.wait_for(ws.recv(), 180))["seq"] for _ in range(count)]


async def requests_per_publish(
    counter: RequestCounter, subscribers: int, history: bool
) -> dict[str, Any]:
    from stepstream.realtime import Realtime, channel, topic

    name = f"bench-{subscribers}-{'kept' if history else 'live'}-{uuid.uuid4().hex[:6]}"
    ch = channel(name).add_topic(topic("tokens", history=history).type(dict))()
    sockets = await _connect(name, subscribers)
    receivers = [asyncio.create_task(_received(ws, TOKENS)) for ws in sockets]
    realtime = Realtime("bench", sharding=False)  # this process posts (bench.delivery shards)
    try:
        counter.reset()
        started = time.perf_counter()
        sent = [await realtime.publish(ch.tokens, {"token": f"t{i} "}) for i in range(TOKENS)]
        published = time.perf_counter()
        await realtime.flush()
        flushed = time.perf_counter()
        requests = dict(counter.counts)
        expected = [frame["seq"] for frame in sent]
        for receiver in receivers:
            if await receiver != expected:
                raise RuntimeError(f"{name}: a subscriber got frames out of order or missing")
    finally:
        realtime.close()
        for ws in sockets:
            await ws.close()
    total = sum(requests.values())
    print(f"{name}: {total} DynamoDB requests, {flushed - started:.1f} s", file=sys.stderr)
    return {
        "subscribers": subscribers,
        "history": history,
        "publishes": TOKENS,
        "dynamodb_requests": total,
        "dynamodb_requests_by_operation": requests,
        "dynamodb_requests_per_publish": round(total / TOKENS, 4),
        "posts": TOKENS * subscribers,
        "publish_loop_seconds": round(published - started, 4),
        "publish_to_flushed_seconds": round(flushed - started, 4),
    }


class SlowPoster:
    """The real ``@connections`` client behind an extra fixed delay per post."""

    def __init__(self) -> None:
        from stepstream.store import ConnectionsApi

        self._api = ConnectionsApi()

    def post(self, connection_id: str, data: bytes) -> bool:
        time.sleep(SLOW_POST_SECONDS)
        return self._api.post(connection_id, data)


async def _publish_loop(realtime: Any, ref: Any) -> tuple[float, float]:
    started = time.perf_counter()
    for i in range(SLOW_PUBLISHES):
        await realtime.publish(ref, {"token": f"t{i}"})
    published = time.perf_counter()
    await realtime.flush()
    return published - started, time.perf_counter() - published


async def not_slowed() -> dict[str, Any]:
    from stepstream.realtime import Realtime, channel, topic

    name = f"bench-slow-{uuid.uuid4().hex[:6]}"
    definition = channel(lambda n: f"{name}-{n}").add_topic(topic("tokens").type(dict))
    baseline_rt = Realtime("bench", poster=SlowPoster())
    slow_rt = Realtime("bench", poster=SlowPoster())
    (ws,) = await _connect(f"{name}-slow", 1)
    receiver = asyncio.create_task(_received(ws, SLOW_PUBLISHES * (ROUNDS + 1)))
    baseline, slow, posting = [], [], []
    base_total, slow_total = [], []
    try:
        # one unmeasured round each warms clients, threads and the first seq blocks
        await _publish_loop(baseline_rt, definition("none").tokens)
        await _publish_loop(slow_rt, definition("slow").tokens)
        for _ in range(ROUNDS):  # interleaved, so load on the machine hits both alike
            base_loop, base_flush = await _publish_loop(baseline_rt, definition("none").tokens)
            baseline.append(base_loop)
            base_total.append(base_loop + base_flush)
            loop, flush = await _publish_loop(slow_rt, definition("slow").tokens)
            slow.append(loop)
            posting.append(flush)
            slow_total.append(loop + flush)
        await receiver
    finally:
        baseline_rt.close()
        slow_rt.close()
        await ws.close()
    base, slowed, posted = (statistics.median(x) for x in (baseline, slow, posting))
    return {
        "publishes_per_round": SLOW_PUBLISHES,
        "rounds": ROUNDS,
        "extra_seconds_per_post": SLOW_POST_SECONDS,
        "baseline_publish_loop_seconds_median": round(base, 4),
        "slow_endpoint_publish_loop_seconds_median": round(slowed, 4),
        "slow_endpoint_posting_after_loop_seconds_median": round(posted, 4),
        "publish_loop_ratio_slow_vs_baseline": round(slowed / base, 3),
        "baseline_publish_and_flush_seconds_median": round(statistics.median(base_total), 4),
        "slow_endpoint_publish_and_flush_seconds_median": round(statistics.median(slow_total), 4),
        "publish_and_flush_ratio_slow_vs_baseline": round(
            statistics.median(slow_total) / statistics.median(base_total), 3
        ),
        "inline_posting_ratio_vs_baseline": round((slowed + posted) / base, 3),
        "extra_ms_per_publish_with_slow_endpoint": round(
            (slowed - base) / SLOW_PUBLISHES * 1000, 4
        ),
        "rounds_seconds": {
            "baseline": [round(x, 4) for x in baseline],
            "slow_endpoint": [round(x, 4) for x in slow],
        },
    }


class CountingPoster:
    """Counts posts per connection and sends nothing."""

    def __init__(self) -> None:
        self.posts: Counter[str] = Counter()

    def post(self, connection_id: str, data: bytes) -> bool:
        self.posts[connection_id] += 1
        return True


async def paced(counter: RequestCounter, subscribers: int) -> dict[str, Any]:
    from stepstream.realtime import Realtime, channel, topic

    name = f"bench-paced-{subscribers}-{uuid.uuid4().hex[:6]}"
    ch = channel(name).add_topic(topic("tokens").type(dict))()
    seed_subscriptions(name, ["tokens"], subscribers)
    poster = CountingPoster()
    realtime = Realtime("bench", poster=poster)
    try:
        counter.reset()
        started = time.perf_counter()
        for i in range(PACED_TOKENS):
            # on schedule, not after a fixed pause: the rate holds whatever publish costs
            await asyncio.sleep(max(0.0, started + i / PACED_RATE - time.perf_counter()))
            await realtime.publish(ch.tokens, {"token": f"t{i} "})
        await realtime.flush()
        requests = dict(counter.counts)
    finally:
        realtime.close()
    if sorted(poster.posts.values()) != [PACED_TOKENS] * subscribers:
        raise RuntimeError(f"{name}: not every subscriber was posted every frame")
    total = sum(requests.values())
    print(f"{name}: {total} DynamoDB requests", file=sys.stderr)
    return {
        "subscribers": subscribers,
        "publishes": PACED_TOKENS,
        "tokens_per_second": PACED_RATE,
        "dynamodb_requests": total,
        "dynamodb_requests_by_operation": requests,
        "dynamodb_requests_per_publish": round(total / PACED_TOKENS, 4),
    }


async def run() -> dict[str, Any]:
    counter = RequestCounter()
    # First: once sockets have been opened, the gateway's $disconnect handlers (same process,
    # same client) go on making requests after they close, which would be counted here.
    at_rate = [await paced(counter, n) for n in PACED_SUBSCRIBER_COUNTS]
    streams = [await requests_per_publish(counter, n, False) for n in SUBSCRIBER_COUNTS]
    streams.append(await requests_per_publish(counter, 10, True))
    return {
        "token_streams": streams,
        "paced_streams": at_rate,
        "posting_off_the_callers_path": await not_slowed(),
    }


def readme_rows(report: dict[str, Any]) -> list[Any]:
    """This benchmark's lines of the README's table (``bench.readme``)."""
    from bench.readme import ReadmeRow, count, times

    live = [s for s in report["token_streams"] if not s["history"]]
    kept = [s for s in report["token_streams"] if s["history"]]
    slow = report["posting_off_the_callers_path"]
    rows = [
        ReadmeRow(
            f"DynamoDB requests per non-durable publish, {live[0]['publishes']}-token burst",
            ", ".join(
                f"{s['dynamodb_requests_per_publish']:g} ({count(s['subscribers'])} sub.)"
                for s in live
            )
            + "; "
            + ", ".join(
                f"{s['dynamodb_requests_per_publish']:g} on a `history=True` topic" for s in kept
            ),
            f"≪ 1 (≤ {report['target_dynamodb_requests_per_publish']:g})",
        ),
    ]
    paced = report.get("paced_streams", [])
    if paced:
        rows.append(
            ReadmeRow(
                f"DynamoDB requests per publish at {paced[0]['tokens_per_second']:g} tokens/s "
                f"({paced[0]['publishes']} tokens)",
                ", ".join(
                    f"{s['dynamodb_requests_per_publish']:g} ({count(s['subscribers'])} sub.)"
                    for s in paced
                ),
                f"≪ 1 (≤ {report['target_dynamodb_requests_per_publish']:g})",
            )
        )
    with_flush = slow.get("publish_and_flush_ratio_slow_vs_baseline")
    rows.append(
        ReadmeRow(
            f"publishing {slow['publishes_per_round']} messages to a subscriber whose "
            f"`@connections` posts take {slow['extra_seconds_per_post'] * 1000:g} ms more, "
            "vs no subscriber (medians)",
            f"publish loop {times(slow['publish_loop_ratio_slow_vs_baseline'])}"
            + (f"; loop + the executor's flush {times(with_flush)}" if with_flush else ""),
            "not slowed",
        )
    )
    return rows


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto logs every request
    with local_stack():
        results = asyncio.run(run())
    worst = max(
        s["dynamodb_requests_per_publish"]
        for s in [*results["token_streams"], *results["paced_streams"]]
    )
    report = {
        "benchmark": "publish",
        "command": "python -m bench.publish",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "target_dynamodb_requests_per_publish": TARGET_REQUESTS_PER_PUBLISH,
        "worst_dynamodb_requests_per_publish": worst,
        "meets_target": worst <= TARGET_REQUESTS_PER_PUBLISH,
        **results,
    }
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
