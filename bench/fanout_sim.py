"""Fan-out to 100,000 subscribers on AWS, simulated: how long until the last one has the message?

No single process can hold 100,000 sockets, and the limit that matters on AWS is not local: the
account's ``@connections`` request rate (``--rate``, 10,000 requests/s by default) sets a floor of
``subscribers / rate`` seconds (10 s for 100,000). The design this simulates (docs/realtime.md,
"Fan-out past one Lambda", as built) splits the channel's connections into shards of
``--shard-size``; the publisher hands each shard to its own Lambda invocation (an SQS FIFO message
per shard naming its connections, ``--per-request`` of them per ``SendMessageBatch``:
``--invoke-ms`` per hand-over request, ``--invoke-parallel`` at a time, then
``--async-queue-ms`` until the handler runs; ``--query-ms`` is 0 because the built function reads
nothing before posting); each invocation posts with
``--posts-in-flight`` concurrent requests, each costing ``--cpu-ms-per-post`` of its CPU share
(botocore's signing and parsing, measured at 1-2 ms on a full core; a 512 MB function has about
``--vcpu`` 0.29 of one) and ``--post-ms`` of network wait. Invocations beyond the
``--lambda-concurrency`` limit wait for one to finish; the first ``--warm`` start warm
(``--warm-start-ms``) and the rest cold (``--cold-start-ms``). All posters draw from one token
bucket at the account's rate, as if each paced itself to its share (over the rate, API Gateway
throttles with 429s, which a retrying poster turns into the same pacing, later).

It is a discrete-event simulation of those parameters, not a measurement of AWS; what it shows is
which parameter binds. ``python -m bench.fanout_sim`` sweeps shard sizes for 100,000 subscribers
with the defaults and writes bench/results/fanout_sim.json; ``--subscribers``, ``--post-ms`` and
the rest override one run.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import platform
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "bench" / "results" / "fanout_sim.json"
GOAL_OVER_FLOOR = 1.3
SWEEP_SHARD_SIZES = (128, 250, 500, 1000, 2000, 5000, 10000)


@dataclass(frozen=True)
class Parameters:
    """One simulated fan-out. Times in milliseconds."""

    subscribers: int = 100_000
    """Connections subscribed to the channel."""
    shard_size: int = 1000
    """Connections per shard (one Lambda invocation each)."""
    rate: float = 10_000.0
    """The account's ``@connections`` requests per second (API Gateway's default quota)."""
    post_ms: float = 30.0
    """Network time of one post."""
    cpu_ms_per_post: float = 1.5
    """CPU of one post on a full core (SigV4 signing, botocore's request and response)."""
    vcpu: float = 0.29
    """Share of a core a 512 MB function gets (1,769 MB is one full vCPU)."""
    posts_in_flight: int = 64
    """Concurrent posts per invocation."""
    invoke_ms: float = 20.0
    """One hand-over request by the publisher (``SendMessageBatch``)."""
    per_request: int = 10
    """Shard messages per hand-over request (``SendMessageBatch`` takes 10)."""
    invoke_parallel: int = 16
    """Hand-over requests the publisher has in flight."""
    async_queue_ms: float = 30.0
    """From the hand-over to the handler starting (the queue and its poller)."""
    lambda_concurrency: int = 1000
    """Concurrent executions available to the fan-out function."""
    warm: int = 20
    """Warm execution environments at the time of the publish."""
    warm_start_ms: float = 2.0
    """Start of a warm invocation."""
    cold_start_ms: float = 450.0
    """Init of a cold one (the layer's imports, measured by ``bench.cold_start``, plus runtime)."""
    query_ms: float = 0.0
    """Reading the shard before posting: 0, the publisher's message names its connections (a
    design that queried its shard would pay ~15 ms of one ``Query`` page here)."""


def simulate(p: Parameters) -> dict[str, Any]:
    """Time to the last subscriber, and where the time went."""
    shards = math.ceil(p.subscribers / p.shard_size)
    cpu_per_post = p.cpu_ms_per_post / p.vcpu
    token_every = 1000.0 / p.rate
    # The publisher's hand-over requests go out invoke_parallel at a time.
    requested = [
        (i // p.per_request // p.invoke_parallel + 1) * p.invoke_ms + p.async_queue_ms
        for i in range(shards)
    ]
    remaining = [min(p.shard_size, p.subscribers - i * p.shard_size) for i in range(shards)]
    cpu_free = [0.0] * shards
    events: list[tuple[float, int]] = []  # (a worker of shard s is free at t, s)
    started: list[float] = []
    next_shard = 0

    def start(index: int, at: float) -> None:
        cold = index >= p.warm
        begin = max(at, requested[index]) + (p.cold_start_ms if cold else p.warm_start_ms)
        started.append(begin)
        ready = begin + p.query_ms
        cpu_free[index] = ready
        for _ in range(min(p.posts_in_flight, remaining[index])):
            heapq.heappush(events, (ready, index))

    while next_shard < min(shards, p.lambda_concurrency):
        start(next_shard, 0.0)
        next_shard += 1
    next_token = 0.0
    last_delivery, posts = 0.0, 0
    while events:
        free, index = heapq.heappop(events)
        if remaining[index] == 0:
            continue
        remaining[index] -= 1
        begin = max(free, cpu_free[index])
        cpu_free[index] = begin + cpu_per_post
        sent = max(cpu_free[index], next_token)  # the account's bucket
        next_token = sent + token_every
        done = sent + p.post_ms
        posts += 1
        last_delivery = max(last_delivery, done)
        if remaining[index] > 0:
            heapq.heappush(events, (done, index))
        elif next_shard < shards:  # this execution ends; its slot takes the next shard
            start(next_shard, done)
            next_shard += 1
    floor = p.subscribers / p.rate * 1000
    return {
        "parameters": asdict(p),
        "shards": shards,
        "cold_starts": max(0, shards - p.warm),
        "posts": posts,
        "first_shard_started_ms": round(min(started), 1),
        "last_shard_started_ms": round(max(started), 1),
        "last_subscriber_ms": round(last_delivery, 1),
        "floor_ms": round(floor, 1),
        "over_floor": round(last_delivery / floor, 3),
        "posts_per_second_per_invocation_ceiling": round(
            min(p.posts_in_flight / (p.post_ms + cpu_per_post), 1 / cpu_per_post) * 1000, 1
        ),
    }


def sweep(base: Parameters) -> list[dict[str, Any]]:
    return [simulate(replace(base, shard_size=size)) for size in SWEEP_SHARD_SIZES]


def _parameters(argv: list[str] | None) -> Parameters:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    defaults = Parameters()
    for name, value in asdict(defaults).items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    args = parser.parse_args(argv)
    return Parameters(**vars(args))


def readme_rows(report: dict[str, Any]) -> list[Any]:
    """This benchmark's line of the README's table (``bench.readme``)."""
    from bench.readme import ReadmeRow, count, times

    best = report["best"]
    p = best["parameters"]
    return [
        ReadmeRow(
            f"simulated time to the last of {count(p['subscribers'])} subscribers "
            f"({p['post_ms']:g} ms posts, {count(int(p['rate']))} posts/s account rate)",
            f"{best['last_subscriber_ms'] / 1000:.2f} s = {times(best['over_floor'])} the floor, "
            f"{count(best['shards'])} shards of {count(p['shard_size'])}",
            f"≤ {times(report['goal_over_floor'])} the floor",
        )
    ]


def main(argv: list[str] | None = None) -> dict[str, Any]:
    base = _parameters(argv)
    results = sweep(base)
    best = min(results, key=lambda r: r["last_subscriber_ms"])
    for r in results:
        print(
            f"shards of {r['parameters']['shard_size']:>6}: {r['shards']:>4} shards, "
            f"last subscriber {r['last_subscriber_ms'] / 1000:6.2f} s "
            f"({r['over_floor']} times the floor)"
        )
    report = {
        "benchmark": "fanout_sim",
        "command": "python -m bench.fanout_sim",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "note": "a simulation of the parameters, not a measurement of AWS",
        "goal_over_floor": GOAL_OVER_FLOOR,
        "met": best["over_floor"] <= GOAL_OVER_FLOOR,
        "best": best,
        "sweep": results,
    }
    if argv is None:
        RESULT.parent.mkdir(parents=True, exist_ok=True)
        RESULT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


if __name__ == "__main__":
    import sys

    main(sys.argv[1:] or None)
