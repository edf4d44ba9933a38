"""Fan-out at AWS post latency: time to the last subscriber of a wide channel, posted by the
publishing process (unsharded, the path below the threshold) or by the fan-out function
(sharded, docs/realtime.md "Fan-out past one Lambda"), both in one run. ``bench.delivery``
measures one subscriber's token streams; this is its wide-channel counterpart, a results file of
its own.

Placed as AWS places the parts, each in its own process (on AWS each is its own machine): moto
(DynamoDB and the SQS FIFO fan-out queue); the gateway (``@connections`` over HTTP, every post
delayed 30 ms, its emulated sockets); the fan-out function's invocations (the local stack's
Lambda emulation invoking ``functions/fanout.py`` from the template's event source mapping:
concurrent environments, IAM and recursion detection on); and the publisher, this process. The
gateway and the publisher read one clock (``time.monotonic``: CLOCK_MONOTONIC, system-wide).
The sockets are emulated: each subscriber is a connection attached to the gateway with no
socket behind it, which notes when the gateway hands it a message (one process cannot hold
10,000 sockets, and a client reading 10,000 sockets would measure itself). Subscriptions are
written as ``$connect`` leaves them (``bench._support.seed_subscriptions``).

Per subscriber count and mode: a warm-up, then ``MESSAGES[count]`` messages one at a time; per
message, the time from just before ``publish`` to each subscriber's delivery (every delivery a
sample: p50/p99) and to the last subscriber's (p50/p99 over the messages), and each process's
CPU seconds per message (where the time goes). The sharded-to-unsharded ratios come from the
same run.

Run: ``python -m bench.delivery_fanout`` (or ``make bench``); writes
bench/results/delivery_fanout.json. ``BENCH_FANOUT_COUNTS`` (default ``100,1000``; ``10000``
takes minutes per message unsharded on a shared 2-core machine), ``BENCH_FANOUT_MODES`` and
``BENCH_FANOUT_MESSAGES`` (messages per count, e.g. ``100:30,1000:12``) narrow it;
``BENCH_FANOUT_SHARD_SIZE`` (default 128, ``STEPSTREAM_FANOUT_SHARD_SIZE``'s) and
``STEPSTREAM_FANOUT_WORKERS`` (the publisher's posting threads) tune it.
"""

from __future__ import annotations

import json
import os
import platform
import queue
import resource
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from bench._support import moto_process, seed_subscriptions

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "bench" / "results" / "delivery_fanout.json"
POST_LATENCY_MS = 30
COUNTS = [int(n) for n in os.environ.get("BENCH_FANOUT_COUNTS", "100,1000").split(",")]
MESSAGES = {100: 30, 1000: 12, 10000: 2} | {
    int(k): int(v)
    for k, v in (
        pair.split(":") for pair in os.environ.get("BENCH_FANOUT_MESSAGES", "").split(",") if pair
    )
}
"""Messages measured per subscriber count: ≥ 1,000 delivery samples each, bounded time."""
MODES = os.environ.get("BENCH_FANOUT_MODES", "unsharded,sharded").split(",")
WARM_UP = 2
SHARD_SIZE = int(os.environ.get("BENCH_FANOUT_SHARD_SIZE", "128"))
_ENVIRONMENT = ("STEPSTREAM_", "AWS_")
CACHE_SECONDS = 3600.0
"""The publisher's subscriber cache: the whole run, so each message measures the posts, not
moto's Query (timed apart: ``subscriber_query_ms``)."""


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _say(out: IO[str], lock: threading.Lock, message: dict[str, Any]) -> None:
    line = json.dumps(message)
    with lock:
        out.write(line + "\n")
        out.flush()


# --- the gateway process --------------------------------------------------------------------


class _Deliveries:
    """When each message reached each emulated connection; reports a message to the publisher
    once all ``expected`` connections have it."""

    def __init__(self, out: IO[str], lock: threading.Lock) -> None:
        self.times: dict[int, list[float]] = {}
        self.expected = 0
        self._out, self._lock = out, lock

    def note(self, data: bytes) -> None:
        at = time.monotonic()
        message = json.loads(data)["data"]["i"]
        arrived = self.times.setdefault(message, [])
        arrived.append(at)  # the gateway's event loop thread only: no lock
        if len(arrived) == self.expected:
            _say(self._out, self._lock, {"i": message, "t": self.times.pop(message)})


class _Connection:
    """A subscriber without a socket: the gateway's send() lands here."""

    def __init__(self, deliveries: _Deliveries) -> None:
        self._deliveries = deliveries
        self.last_active_ms = int(time.time() * 1000)

    async def send(self, data: bytes) -> bool:
        self._deliveries.note(data)
        self.last_active_ms = int(time.time() * 1000)
        return True


def _unused(event: Any, context: Any) -> Any:
    raise AssertionError("no socket connects to the benchmark's gateway")


def run_gateway(post_latency_ms: float) -> None:
    """``python -m bench.delivery_fanout gateway MS``: the gateway alone, its ``@connections``
    URL on the first line; then commands from stdin, answers and deliveries on stdout."""
    from stepstream.local import Gateway, WebSocketHandlers, serve_in_thread

    lock = threading.Lock()
    deliveries = _Deliveries(sys.stdout, lock)
    handlers = WebSocketHandlers(
        authorizer=_unused, connect=_unused, disconnect=_unused, default=_unused
    )
    gateway = Gateway(handlers, post_latency=post_latency_ms / 1000)
    running = serve_in_thread(gateway)
    _say(sys.stdout, lock, {"url": running.management_url})
    try:
        for line in sys.stdin:
            command = json.loads(line)
            if "attach" in command:
                for connection_id in command["attach"]:
                    gateway.attach(connection_id, _Connection(deliveries))
                deliveries.expected = len(command["attach"])
            _say(sys.stdout, lock, {"cpu": _cpu()})
    finally:
        running.stop()


# --- the fan-out function's process -----------------------------------------------------------


def run_fanout(endpoint: str, prefix: str) -> None:
    """``python -m bench.delivery_fanout fanout ENDPOINT PREFIX``: the template's resources on
    moto and the fan-out queue's mapping invoking ``functions/fanout.py``, posting to
    ``STEPSTREAM_WS_MANAGEMENT_URL``; the functions' environment on the first line, then its
    CPU and the mapping's invocations whenever a line arrives on stdin."""
    from stepstream.local import LocalStack, StackOptions

    lock = threading.Lock()
    options = StackOptions(
        template=ROOT / "template.yaml",
        aws_endpoint=endpoint,
        use_environment=False,
        resource_prefix=prefix,
        serve=False,
        dashboard=False,
        http_api=False,
        schedules=False,
        iam=os.environ.get("BENCH_FANOUT_IAM", "1") != "0",  # 0: what the emulation costs
    )
    with LocalStack(options) as stack:
        [poller] = [p for p in stack.pollers if p.function_name == "FanoutFunction"]
        environment = {k: v for k, v in os.environ.items() if k.startswith(_ENVIRONMENT)}
        _say(sys.stdout, lock, {"environment": environment})
        for _ in sys.stdin:
            _say(
                sys.stdout,
                lock,
                {
                    "cpu": _cpu(),
                    "invocations": poller.invocations,
                    "max_concurrency": poller.max_concurrency,
                },
            )


# --- the publisher (this process) -------------------------------------------------------------


class _Child:
    """A child process speaking JSON lines; deliveries are kept apart from answers."""

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.delivery_fanout", *argv],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.answers: queue.Queue[dict[str, Any]] = queue.Queue()
        self.delivered: dict[int, list[float]] = {}
        self.arrived = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            message = json.loads(line)
            if "i" in message:
                with self.arrived:
                    self.delivered[message["i"]] = message["t"]
                    self.arrived.notify_all()
            else:
                self.answers.put(message)
        self.answers.put({"exited": self.process.poll()})

    def ask(self, command: dict[str, Any], timeout: float = 120) -> dict[str, Any]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(command) + "\n")
        self.process.stdin.flush()
        return self.answer(timeout)

    def answer(self, timeout: float = 120) -> dict[str, Any]:
        answer = self.answers.get(timeout=timeout)
        if "exited" in answer:
            raise RuntimeError(f"a benchmark process exited: {answer}")
        return answer

    def wait_for(self, message: int, timeout: float) -> list[float]:
        with self.arrived:
            if not self.arrived.wait_for(lambda: message in self.delivered, timeout):
                raise RuntimeError(f"message {message} did not reach every subscriber")
            return self.delivered.pop(message)

    def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def _child(argv: list[str], env: dict[str, str]) -> Iterator[_Child]:
    child = _Child(argv, env)
    try:
        yield child
    finally:
        child.stop()


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * fraction))]


def _measure(
    realtime: Any, ref: Any, count: int, gateway: _Child, fanout: _Child
) -> dict[str, Any]:
    messages = MESSAGES.get(count, 2)
    lags: list[float] = []
    last: list[float] = []
    first: list[float] = []
    cpu: dict[str, float] = {}
    for number in range(-WARM_UP, messages):
        if number == 0:  # after the warm-up: cold environments, seq block, subscriber cache
            cpu = {
                "publisher": _cpu(),
                "gateway": gateway.ask({})["cpu"],
                "fanout": fanout.ask({})["cpu"],
            }
        started = time.monotonic()
        realtime.publish_sync(ref, {"i": number})
        arrived = gateway.wait_for(number, 300)
        if number < 0:
            continue
        arrived_ms = [(t - started) * 1000 for t in arrived]
        lags.extend(arrived_ms)
        last.append(max(arrived_ms))
        first.append(min(arrived_ms))
    realtime.flush_sync()
    used = {
        "publisher": _cpu() - cpu["publisher"],
        "gateway": gateway.ask({})["cpu"] - cpu["gateway"],
        "fanout": fanout.ask({})["cpu"] - cpu["fanout"],
    }
    return {
        "messages": messages,
        "samples": len(lags),
        "p50_ms": round(statistics.median(lags), 1),
        "p99_ms": round(_percentile(lags, 0.99), 1),
        "first_subscriber_p50_ms": round(statistics.median(first), 1),
        "last_subscriber_p50_ms": round(statistics.median(last), 1),
        "last_subscriber_p99_ms": round(_percentile(last, 0.99), 1),
        "last_subscriber_max_ms": round(max(last), 1),
        "cpu_ms_per_message": {k: round(v / messages * 1000, 1) for k, v in used.items()},
    }


def measure(post_latency_ms: int) -> dict[str, Any]:
    from stepstream import aws as _aws
    from stepstream.realtime import Realtime, channel, topic
    from stepstream.realtime._fanout import Sharding
    from stepstream.realtime._shards import shard_count
    from stepstream.store import ConnectionStore
    from stepstream.store._fanout_queue import FanoutQueue

    bench = channel(lambda n: f"bench-fanout:{n}").add_topic(topic("tick").type(dict))
    results = []
    base = dict(os.environ)
    with (
        moto_process() as endpoint,
        _child(["gateway", str(post_latency_ms)], base) as gateway,
    ):
        management_url = gateway.answer(60)["url"]
        prefix = f"f{uuid.uuid4().hex[:8]}-"
        with _child(
            ["fanout", endpoint, prefix], base | {"STEPSTREAM_WS_MANAGEMENT_URL": management_url}
        ) as fanout:
            os.environ.update(fanout.answer(120)["environment"])
            os.environ["STEPSTREAM_WS_MANAGEMENT_URL"] = management_url
            _aws.reset_clients()
            queue_ = FanoutQueue(os.environ["STEPSTREAM_FANOUT_QUEUE_URL"])
            for count in COUNTS:
                ref = bench(f"{count}-{uuid.uuid4().hex[:6]}").tick
                ids = seed_subscriptions(ref.channel, ["tick"], count)
                gateway.ask({"attach": ids})
                row: dict[str, Any] = {"subscribers": count}
                # The publisher's subscriber Query, timed once and kept out of the messages'
                # figures (the cache outlives the run): on moto a 1,000-item Query takes
                # seconds, on DynamoDB one page of ~150 KB tens of milliseconds.
                started = time.monotonic()
                found = ConnectionStore().subscribers(ref.channel)
                row["subscriber_query_ms"] = round((time.monotonic() - started) * 1000, 1)
                assert len(found) == count, f"{len(found)} of {count} subscriptions found"
                for mode in MODES:
                    sharding = Sharding(queue_, threshold=1, shard_size=SHARD_SIZE)
                    realtime = Realtime(
                        "bench",
                        cache_seconds=CACHE_SECONDS,
                        sharding=sharding if mode == "sharded" else False,
                    )
                    invocations = fanout.ask({})["invocations"]
                    try:
                        row[mode] = _measure(realtime, ref, count, gateway, fanout)
                    finally:
                        realtime.close()
                    row[mode]["fanout_invocations"] = fanout.ask({})["invocations"] - invocations
                    print(json.dumps({"subscribers": count, mode: row[mode]}), flush=True)
                row["shards"] = shard_count(count, SHARD_SIZE)
                results.append(row)
                if len(MODES) < 2:
                    continue
                row["ratio_last_subscriber_p50"] = round(
                    row["sharded"]["last_subscriber_p50_ms"]
                    / row["unsharded"]["last_subscriber_p50_ms"],
                    2,
                )
                row["ratio_p99"] = round(row["sharded"]["p99_ms"] / row["unsharded"]["p99_ms"], 2)
            concurrency = fanout.ask({})["max_concurrency"]
    return {
        "benchmark": "time to the last subscriber, sharded vs unsharded fan-out",
        "command": "python -m bench.delivery_fanout",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, {platform.platform()}, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end",
        "post_latency_ms": post_latency_ms,
        "shard_size": SHARD_SIZE,
        "publisher_workers": int(os.environ.get("STEPSTREAM_FANOUT_WORKERS", "16")),
        "fanout_concurrency": concurrency,
        "note": "placed as on AWS, each part its own process: moto; the gateway with its "
        "emulated sockets (a connection attached to the gateway records when the gateway would "
        "write to its socket); the fan-out function's invocations (the local Lambda "
        "emulation); the publisher. Every delivery a sample, time to the first and last "
        "subscriber once per message, each process's CPU per message. The publisher's subscriber "
        "list is cached for the run: subscriber_query_ms is its one Query on moto",
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
    if sys.argv[1:2] == ["gateway"]:
        run_gateway(float(sys.argv[2]))
        sys.exit()
    if sys.argv[1:2] == ["fanout"]:
        run_fanout(sys.argv[2], sys.argv[3])
        sys.exit()
    report = measure(POST_LATENCY_MS)
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULT.relative_to(ROOT)}", file=sys.stderr)
