"""Fan-out at AWS post latency: time to the last subscriber of a wide channel, posted by the
publishing process (unsharded, the path below the threshold) or by the fan-out function
(sharded, docs/realtime.md "Fan-out past one Lambda"), both in one run. ``bench.delivery``
measures one subscriber's token streams; this is its wide-channel counterpart, a results file of
its own.

Everything up to the socket is real and local: moto in its own process (DynamoDB and the SQS
FIFO fan-out queue), the local stack's Lambda emulation invoking ``functions/fanout.py`` from the
template's event source mapping (concurrent environments, IAM and recursion detection on), the
gateway's ``@connections`` endpoint over HTTP with every post delayed 30 ms, boto3 signing every
post. The sockets are emulated: each subscriber is a connection attached to the gateway with no
socket behind it, which notes when the gateway hands it a message (one process cannot hold
10,000 sockets, and a client reading 10,000 sockets would measure itself). Subscriptions are
written as ``$connect`` leaves them (``bench._support.seed_subscriptions``).

Per subscriber count and mode: a warm-up, then ``MESSAGES[count]`` messages one at a time; per
message, the time from just before ``publish`` to each subscriber's delivery (every delivery a
sample: p50/p99) and to the last subscriber's (p50 and the worst over the messages). The
sharded-to-unsharded ratios come from the same run.

Run: ``python -m bench.delivery_fanout`` (or ``make bench``); writes
bench/results/delivery_fanout.json. ``BENCH_FANOUT_COUNTS`` (default ``100,1000``; ``10000``
takes minutes per message unsharded on a shared 2-core machine) and ``BENCH_FANOUT_MODES``
narrow it.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._support import moto_process, seed_subscriptions

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "bench" / "results" / "delivery_fanout.json"
POST_LATENCY_MS = 30
COUNTS = [int(n) for n in os.environ.get("BENCH_FANOUT_COUNTS", "100,1000").split(",")]
MESSAGES = {100: 30, 1000: 12, 10000: 2}
"""Messages measured per subscriber count: ≥ 1,000 delivery samples each, bounded time."""
MODES = os.environ.get("BENCH_FANOUT_MODES", "unsharded,sharded").split(",")
WARM_UP = 2
SHARD_SIZE = 128


class _Deliveries:
    """When each message reached each emulated connection."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[int, list[float]] = {}
        self.expected = 0
        self.done: dict[int, threading.Event] = {}

    def expect(self, message: int, count: int) -> threading.Event:
        with self.lock:
            self.times[message] = []
            self.expected = count
            event = self.done[message] = threading.Event()
        return event

    def note(self, data: bytes) -> None:
        at = time.perf_counter()
        message = json.loads(data)["data"]["i"]
        with self.lock:
            arrived = self.times.setdefault(message, [])
            arrived.append(at)
            if len(arrived) >= self.expected and message in self.done:
                self.done[message].set()


class _Connection:
    """A subscriber without a socket: the gateway's send() lands here."""

    def __init__(self, deliveries: _Deliveries) -> None:
        self._deliveries = deliveries
        self.last_active_ms = int(time.time() * 1000)

    async def send(self, data: bytes) -> bool:
        self._deliveries.note(data)
        self.last_active_ms = int(time.time() * 1000)
        return True


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def _measure(realtime: Any, ref: Any, count: int, deliveries: _Deliveries) -> dict[str, Any]:
    messages = MESSAGES.get(count, 2)
    lags: list[float] = []
    last: list[float] = []
    for number in range(-WARM_UP, messages):
        done = deliveries.expect(number, count)
        started = time.perf_counter()
        realtime.publish_sync(ref, {"i": number})
        if not done.wait(300):
            raise RuntimeError(
                f"message {number} reached {len(deliveries.times[number])} of {count}"
            )
        if number < 0:
            continue  # warm-up: cold environments, seq block, subscriber cache
        arrived = [(t - started) * 1000 for t in deliveries.times[number]]
        lags.extend(arrived)
        last.append(max(arrived))
    return {
        "messages": messages,
        "samples": len(lags),
        "p50_ms": round(statistics.median(lags), 1),
        "p99_ms": round(_percentile(lags, 0.99), 1),
        "last_subscriber_p50_ms": round(statistics.median(last), 1),
        "last_subscriber_max_ms": round(max(last), 1),
    }


def measure(post_latency_ms: int) -> dict[str, Any]:
    from stepstream.local import LocalStack, StackOptions
    from stepstream.realtime import Realtime, channel, topic
    from stepstream.realtime._fanout import Sharding
    from stepstream.realtime._shards import shard_count
    from stepstream.store._fanout_queue import FanoutQueue

    bench = channel(lambda n: f"bench-fanout:{n}").add_topic(topic("tick").type(dict))
    results = []
    with moto_process() as endpoint:
        options = StackOptions(
            template=ROOT / "template.yaml",
            aws_endpoint=endpoint,
            use_environment=False,
            resource_prefix=f"f{uuid.uuid4().hex[:8]}-",
            dashboard=False,
            http_api=False,
            schedules=False,
            gateway_workers=32,
            post_latency_ms=post_latency_ms,
        )
        with LocalStack(options) as stack:
            gateway = stack.gateway
            assert gateway is not None
            [poller] = [p for p in stack.pollers if p.function_name == "FanoutFunction"]
            queue = FanoutQueue(os.environ["STEPSTREAM_FANOUT_QUEUE_URL"])
            for count in COUNTS:
                ref = bench(f"{count}-{uuid.uuid4().hex[:6]}").tick
                deliveries = _Deliveries()
                for connection_id in seed_subscriptions(ref.channel, ["tick"], count):
                    gateway.attach(connection_id, _Connection(deliveries))
                row: dict[str, Any] = {"subscribers": count}
                for mode in MODES:
                    sharding = Sharding(queue, threshold=1, shard_size=SHARD_SIZE)
                    realtime = Realtime(
                        "bench",
                        cache_seconds=1.0,
                        sharding=sharding if mode == "sharded" else False,
                    )
                    invocations = poller.invocations
                    try:
                        row[mode] = _measure(realtime, ref, count, deliveries)
                    finally:
                        realtime.close()
                    row[mode]["fanout_invocations"] = poller.invocations - invocations
                    print(json.dumps({"subscribers": count, mode: row[mode]}), flush=True)
                row["shards"] = shard_count(count, SHARD_SIZE)
                if len(MODES) < 2:
                    continue
                row["ratio_last_subscriber_p50"] = round(
                    row["sharded"]["last_subscriber_p50_ms"]
                    / row["unsharded"]["last_subscriber_p50_ms"],
                    2,
                )
                row["ratio_p99"] = round(row["sharded"]["p99_ms"] / row["unsharded"]["p99_ms"], 2)
                results.append(row)
            concurrency = poller.max_concurrency
    return {
        "benchmark": "time to the last subscriber, sharded vs unsharded fan-out",
        "command": "python -m bench.delivery_fanout",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, {platform.platform()}, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end",
        "post_latency_ms": post_latency_ms,
        "shard_size": SHARD_SIZE,
        "fanout_concurrency": concurrency,
        "note": "emulated sockets (a connection attached to the local gateway records when the "
        "gateway would write to its socket); moto in its own process; publisher, gateway and "
        "fan-out invocations in one process on this machine's cores; every delivery a sample, "
        "time to the last subscriber once per message",
        "results": results,
    }


def readme_rows(report: dict[str, Any]) -> list[Any]:
    """This benchmark's lines of the README's table (``bench.readme``)."""
    from bench.readme import ReadmeRow, count, times

    rows = []
    for r in report["results"]:
        if "sharded" not in r or "unsharded" not in r:
            continue
        sharded, unsharded = r["sharded"], r["unsharded"]
        rows.append(
            ReadmeRow(
                f"time to the last of {count(r['subscribers'])} subscribers, "
                f"{report['post_latency_ms']} ms posts: sharded ({count(r['shards'])} "
                f"shard{'s' if r['shards'] != 1 else ''}) vs "
                "posted by the publisher",
                f"p50 {sharded['last_subscriber_p50_ms']:g} ms vs "
                f"{unsharded['last_subscriber_p50_ms']:g} ms "
                f"({times(r['ratio_last_subscriber_p50'])}); per delivery p99 "
                f"{sharded['p99_ms']:g} vs {unsharded['p99_ms']:g} ms",
                "≤ 500 ms" if r["subscribers"] == 1000 else "",
            )
        )
    return rows


if __name__ == "__main__":
    report = measure(POST_LATENCY_MS)
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULT.relative_to(ROOT)}", file=sys.stderr)
