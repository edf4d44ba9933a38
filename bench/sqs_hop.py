"""One hop through a queue on the local stack: send → handler start, through the local poller.

Two queues of template.yaml, each read by an ``SqsPoller`` set up as the dev stack sets up its
mapping: the FIFO fan-out queue (one group per shard; batches of 10; 16 concurrent pollers,
MaximumConcurrency 100 capped locally) and the standard executor queue (batches of 1; 5 pollers,
the default without reserved concurrency). Closed lanes: each lane sends a message, waits for
the handler to see it and sends the next at once (a stream's consecutive frames; a queued run
started as the previous one ends): ``GROUPS`` (4) lanes on the FIFO queue, one group (shard)
each, one lane on the executor queue, until ``SAMPLES`` (1,000) messages were seen or the case's
``BUDGET_SECONDS`` (120) passed. Latency = the handler's start - the time just before
``SendMessage``, every message a sample.

Servers, same run: moto 5 as released (``python -m moto.server``, the baseline), the stack's
patched moto in its own process (``python -m stepstream.local.embedded_moto``, as the other
benchmarks run it) and in this process (as ``make dev`` runs it, sharing the GIL with the
pollers). For the executor queue, the in-memory queue (``stepstream.store.MemoryQueue``) is the
floor: the poller with no HTTP and no moto. ``moto_cpu_seconds``: the moto process's CPU over
its whole life (start-up included, the same for both), from ``RUSAGE_CHILDREN``.

Run: ``python -m bench.sqs_hop`` (or ``make bench``); writes bench/results/sqs_hop.json. Takes
about four minutes.
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._support import local_stack, machine, moto_process

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "bench" / "results" / "sqs_hop.json"
SAMPLES = int(os.environ.get("BENCH_SQS_HOP_SAMPLES", "1000"))
GROUPS = 4
BUDGET_SECONDS = 120
"""Per case: released moto's FIFO hop takes up to a second (~700 samples a minute)."""
TARGET_P50_MS = 50


@dataclass(frozen=True)
class Mapping:
    """A queue and its poller's settings as the dev stack makes them from template.yaml."""

    queue: str
    url_variable: str
    batch_size: int
    concurrency: int


FANOUT = Mapping("fan-out (FIFO)", "STEPSTREAM_FANOUT_QUEUE_URL", batch_size=10, concurrency=16)
EXECUTOR = Mapping("executor (standard)", "STEPSTREAM_QUEUE_URL", batch_size=1, concurrency=5)
SERVERS = {
    "moto.server (released)": "moto.server",
    "embedded_moto (patched), own process": "stepstream.local.embedded_moto",
    "embedded moto (patched), in process as make dev": None,
}


class Hops:
    """The handler: records each record's latency at the handler's start and lets the record's
    lane send its next message."""

    def __init__(self, lanes: int) -> None:
        self.latencies_ms: list[float] = []
        self.handled = [threading.Event() for _ in range(lanes)]
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        now = time.perf_counter_ns()
        with self._lock:
            for record in event["Records"]:
                body = json.loads(record["body"])
                self.latencies_ms.append((now - body["t"]) / 1e6)
                self.handled[body["lane"]].set()
        return {"batchItemFailures": []}


def _drive(poller: Any, hops: Hops, send: Callable[[int, str], object]) -> None:
    """Start the poller; each lane sends a message, waits for the handler to see it, and sends
    the next, until ``SAMPLES`` were seen or ``BUDGET_SECONDS`` passed; stop the poller."""
    poller.start()
    time.sleep(1.5)  # every poller thread in its first long poll
    deadline = time.monotonic() + BUDGET_SECONDS

    def lane(number: int) -> None:
        handled = hops.handled[number]
        while len(hops.latencies_ms) < SAMPLES and time.monotonic() < deadline:
            handled.clear()
            send(number, json.dumps({"t": time.perf_counter_ns(), "lane": number}))
            handled.wait(max(0.0, deadline - time.monotonic()))

    lanes = [threading.Thread(target=lane, args=(n,)) for n in range(len(hops.handled))]
    for thread in lanes:
        thread.start()
    for thread in lanes:
        thread.join()
    poller.stop()


def _sqs_case(mapping: Mapping, environment: dict[str, str]) -> list[float]:
    from stepstream.aws import client
    from stepstream.local import SqsPoller

    url = environment[mapping.url_variable]
    sqs = client("sqs")
    fifo = url.endswith(".fifo")
    hops = Hops(GROUPS if fifo else 1)
    poller = SqsPoller(
        hops,
        url,
        batch_size=mapping.batch_size,
        wait_seconds=1,
        max_concurrency=mapping.concurrency,
    )

    def send(n: int, body: str) -> None:
        if fifo:
            sqs.send_message(
                QueueUrl=url,
                MessageBody=body,
                MessageGroupId=f"shard{n}",
                MessageDeduplicationId=uuid.uuid4().hex,
            )
        else:
            sqs.send_message(QueueUrl=url, MessageBody=body)

    _drive(poller, hops, send)
    return hops.latencies_ms


def _memory_case(mapping: Mapping) -> list[float]:
    from stepstream.local import QueuePoller
    from stepstream.store import MemoryQueue

    queue = MemoryQueue()
    hops = Hops(1)
    poller = QueuePoller(
        hops,
        queue,
        batch_size=mapping.batch_size,
        wait_seconds=1,
        max_concurrency=mapping.concurrency,
    )
    _drive(poller, hops, lambda n, body: queue.send_raw(body))
    return hops.latencies_ms


@contextmanager
def _server(module: str | None) -> Iterator[dict[str, Any]]:
    """The stack's queues on ``module``'s moto in its own process (``None``: in this one); yields
    the environment and, once closed, the moto process's CPU seconds under ``"cpu"``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    found: dict[str, Any] = {}
    process = moto_process(module) if module is not None else nullcontext(None)
    with process as endpoint, local_stack("hop", aws_endpoint=endpoint) as stack:
        found["environment"] = stack.environment
        yield found
    if module is not None:
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        found["cpu"] = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _summary(latencies: list[float]) -> dict[str, Any]:
    ordered = sorted(latencies)
    if not ordered:
        return {"samples": 0}
    return {
        "samples": len(ordered),
        "p50_ms": round(statistics.median(ordered), 1),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 1),
        "max_ms": round(ordered[-1], 1),
    }


def main() -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    for server, module in SERVERS.items():
        for mapping in (FANOUT, EXECUTOR):
            with _server(module) as found:
                latencies = _sqs_case(mapping, found["environment"])
            row = {"queue": mapping.queue, "server": server, **_summary(latencies)}
            if "cpu" in found:
                row["moto_cpu_seconds"] = round(found["cpu"], 2)
            rows.append(row)
            print(json.dumps(row), flush=True)
    floor = {"queue": EXECUTOR.queue, "server": "in-memory queue (no HTTP, no moto)"}
    rows.append({**floor, **_summary(_memory_case(EXECUTOR))})
    print(json.dumps(rows[-1]), flush=True)

    def case(queue: Mapping, server: str) -> dict[str, Any]:
        return next(r for r in rows if r["queue"] == queue.queue and r["server"] == server)

    released, patched, _ = SERVERS
    ratios = {
        m.queue: {
            f"released_over_patched_{key}": round(case(m, released)[key] / case(m, patched)[key], 1)
            for key in ("p50_ms", "p99_ms", "moto_cpu_seconds")
        }
        for m in (FANOUT, EXECUTOR)
    }
    complete = all(r["samples"] >= SAMPLES for r in rows if r["server"] != released)
    fast = all(
        case(m, s)["p50_ms"] <= TARGET_P50_MS
        for m in (FANOUT, EXECUTOR)
        for s in SERVERS
        if s != released
    )
    met = complete and fast
    return {
        "benchmark": "one hop through a local queue (send to handler start)",
        "command": "python -m bench.sqs_hop",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "samples_per_case": SAMPLES,
        "fifo_groups": GROUPS,
        "budget_seconds_per_case": BUDGET_SECONDS,
        "targets": {"patched_hop_p50_ms": f"<= {TARGET_P50_MS}"},
        "met": met,
        "results": rows,
        "ratios": ratios,
        "note": (
            "latency = the handler's start - the time just before SendMessage, per message; "
            "pollers as the dev stack's (wait 1 s, batch and concurrency from template.yaml); "
            "sender, pollers and moto share this machine's cores with whatever else runs on it"
        ),
    }


def readme_rows(report: dict[str, Any]) -> list[Any]:
    """This benchmark's lines of the README's table (``bench.readme``)."""
    from bench.readme import ReadmeRow

    released, patched, dev = SERVERS
    rows = []
    for mapping in (FANOUT, EXECUTOR):
        found = {r["server"]: r for r in report["results"] if r["queue"] == mapping.queue}
        ours, theirs, own = found[dev], found[released], found[patched]
        rows.append(
            ReadmeRow(
                f"one hop through the {mapping.queue} queue, send to handler start "
                f"(local poller, {mapping.concurrency} threads): the stack's moto vs moto as "
                "released",
                f"p50 {ours['p50_ms']:g} ms, p99 {ours['p99_ms']:g} ms vs p50 "
                f"{theirs['p50_ms']:g} ms, p99 {theirs['p99_ms']:g} ms"
                + (f" ({theirs['samples']:,} samples)" if theirs["samples"] < SAMPLES else "")
                + "; moto's CPU "
                f"{own['moto_cpu_seconds']:g} s vs {theirs['moto_cpu_seconds']:g} s",
                f"p50 ≤ {TARGET_P50_MS} ms",
            )
        )
    return rows


if __name__ == "__main__":
    result = main()
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'queue':<22}{'server':<50}{'p50 ms':>9}{'p99 ms':>9}{'samples':>9}")
    for row in result["results"]:
        p50, p99 = row.get("p50_ms", "-"), row.get("p99_ms", "-")
        print(f"{row['queue']:<22}{row['server']:<50}{p50:>9}{p99:>9}{row['samples']:>9}")
    print(f"ratios: {result['ratios']}")
    print(f"met: {result['met']}")
    sys.exit(0)
