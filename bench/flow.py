"""Flow control's cost: DynamoDB requests each option adds per run (or per event, for debounce
and batch), and how soon a run queued behind a full concurrency key starts once a slot frees.

Real and local like ``bench.engine``: moto over HTTP, the template's tables and queue, requests
counted on the library's own clients. For each option, one function with one step; N events are
sent and their runs executed to the end; requests by operation are divided by N and compared
with the same function without options. The start delay is measured on a function with
concurrency 1 driven by an executor that runs up to ``EXECUTORS`` invocations at once (as
Lambda's SQS mapping does from the start), fed so that a few runs always wait in line: for each
run that was parked before its predecessor's body ended, the time from that end to its own
body's start, over 1,000 such gaps. That time is the finisher's release (reading the line and
the hand-over, whose first write is followed at once by the wake message; the finisher's status
write, follow-ups and cost ledger come after), SQS delivery to a long-polling executor, and the
woken run's claim, acquire and step read. Its same-run baseline is a plain start: the time from
its start message being sent to its body starting, for runs of a function without options, one at
a time to the same idle executor (an SQS hop, a claim and a step read: what any run's start
costs here); ``ratio_p50`` is the one over the other.

``python -m bench.flow delay [runs]`` measures only the delay and prints it (nothing stored).

Run: ``python -m bench.flow`` (or ``make bench``). Writes bench/results/flow.json.
"""

from __future__ import annotations

import itertools
import json
import os
import statistics
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench._support import RequestCounter, local_stack, machine, on_every_client

if TYPE_CHECKING:
    from stepstream import Stepstream

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "bench" / "results" / "flow.json"
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
READS = {"GetItem", "Query", "Scan", "BatchGetItem"}
EVENTS = 10


def main() -> dict[str, Any]:
    with local_stack("benchflow") as stack:
        return _measure(stack.environment)


FLOW_PREFIXES = ("CONC#", "CQ#", "THR#", "RATE#", "SINGLE#", "DEB#", "BATCH#")


class FlowWrites:
    """DynamoDB writes to flow control's own items (by their ``pk`` prefix)."""

    def __init__(self) -> None:
        self.n = 0
        self.lock = threading.Lock()

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name not in WRITES:
            return
        items = [
            t.get("Update") or t.get("Put") or t.get("Delete") or {}
            for t in params.get("TransactItems", [])
        ] or [params]
        for item in items:
            pk = (item.get("Key") or item.get("Item") or {}).get("pk", {}).get("S", "")
            if pk.startswith(FLOW_PREFIXES):
                with self.lock:
                    self.n += 1

    def take(self) -> int:
        with self.lock:
            n, self.n = self.n, 0
        return n

    def count(self) -> FlowWrites:
        on_every_client("before-parameter-build.dynamodb", self)
        return self


def _kind(counts: Counter[str], names: set[str]) -> int:
    return sum(n for k, n in counts.items() if k.startswith("dynamodb:") and k[9:] in names)


def _measure(environment: dict[str, str]) -> dict[str, Any]:
    from stepstream import (
        Batch,
        Concurrency,
        Context,
        Debounce,
        RateLimit,
        Singleton,
        Stepstream,
        Throttle,
        Timeouts,
    )
    from stepstream.local import SqsPoller

    counter = RequestCounter().count()
    flow_writes = FlowWrites().count()
    app = Stepstream(id="bench-flow")
    options: dict[str, dict[str, Any]] = {
        "none": {},
        "concurrency": {"concurrency": Concurrency(limit=50, key="event.data.user")},
        "concurrency_two_keys": {
            "concurrency": [Concurrency(limit=50, key="event.data.user"), Concurrency(100)]
        },
        "throttle": {"throttle": Throttle(limit=1000, period="1s", burst=1000)},
        "rate_limit": {"rate_limit": RateLimit(limit=1000, period="1m")},
        "singleton": {"singleton": Singleton(mode="skip", key="event.data.n")},
        "timeouts": {"timeouts": Timeouts(start="1h", finish="1h")},
        "debounce": {"debounce": Debounce(period="1s", key="event.data.user")},
        "batch": {"batch_events": Batch(max_size=EVENTS, timeout="5s")},
    }
    for name, extra in options.items():

        @app.function(id=name, trigger=f"bench/{name}", **extra)
        async def fn(ctx: Context) -> int:
            return int(await ctx.step.run("one", lambda: 1))

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        for record in event["Records"]:
            app.execute(json.loads(record["body"]), context)
        return {"batchItemFailures": []}

    queue_url = environment["STEPSTREAM_QUEUE_URL"]
    poller = SqsPoller(handler, queue_url, wait_seconds=1)
    rows: dict[str, Any] = {}
    for name in options:
        counter.take()
        flow_writes.take()
        app.send([{"name": f"bench/{name}", "data": {"user": "u", "n": i}} for i in range(EVENTS)])
        sent = counter.take()
        expected = 1 if name in ("batch", "debounce") else EVENTS
        executed: Counter[str] = Counter()
        started = time.monotonic()
        while True:
            poller.poll_once(wait_seconds=1)
            executed += counter.take()
            runs = app.runs.recent(50, name)
            counter.take()
            done = [r for r in runs if r.status == "completed"]
            if len(done) >= expected:
                break
            if time.monotonic() - started > 60:
                raise RuntimeError(f"{name} did not complete")
        if not _kind(sent, WRITES) or not _kind(executed, WRITES):
            # A hook lost with a remade client counted nothing once (every option then read
            # as the baseline's writes taken away): a count of nothing is no measurement.
            raise RuntimeError(f"{name}: no DynamoDB writes counted ({sent}, {executed})")
        rows[name] = {
            "total_writes_per_event": round(
                (_kind(sent, WRITES) + _kind(executed, WRITES)) / EVENTS, 2
            ),
            "flow_item_writes_per_event": round(flow_writes.take() / EVENTS, 2),
            "send_writes_per_event": round(_kind(sent, WRITES) / EVENTS, 2),
            "send_reads_per_event": round(_kind(sent, READS) / EVENTS, 2),
            "execute_writes_per_run": round(_kind(executed, WRITES) / expected, 2),
            "execute_reads_per_run": round(_kind(executed, READS) / expected, 2),
            "requests_send": dict(sorted(sent.items())),
            "requests_execute": dict(sorted(executed.items())),
        }
    base = rows["none"]["total_writes_per_event"]
    for row in rows.values():
        row["added_writes_per_event"] = round(row["total_writes_per_event"] - base, 2)
    delays = _start_delays(app, handler, queue_url)
    concurrency_ok = rows["concurrency"]["added_writes_per_event"] <= 2
    debounce_per_event = rows["debounce"]["flow_item_writes_per_event"]
    return {
        "benchmark": "flow",
        "command": "python -m bench.flow",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "targets": {
            "concurrency_added_writes_per_run_one_key": "<= 2 (start and finish)",
            "debounce_writes_per_event": "<= 2",
            "queued_start_delay_p50_ms": "<= 100 locally",
        },
        "met": concurrency_ok and debounce_per_event <= 2 and delays["p50_ms"] <= 100,
        "options": rows,
        "queued_start_delay": delays,
        "note": (
            "added_writes_per_event: the option's DynamoDB writes (send and execute) per "
            "event beyond the same function without options (one run per event, except batch "
            "and debounce: one run for all 10 events of one key, so they save 9 runs' "
            "writes). flow_item_writes_per_event: writes to flow control's own items (CONC#, "
            "CQ#, THR#, RATE#, SINGLE#, DEB#, BATCH#) per event sent, whatever phase made "
            "them. Delays are wall time on a shared machine against moto, one executor "
            f"running up to {EXECUTORS} invocations at once, long-polling the queue."
        ),
    }


DELAY_RUNS = 1_050
"""Runs through the one-slot function: 1,049 gaps between consecutive runs, of which those of
a run that was not yet parked when its predecessor ended (a few) are left out."""
BACKLOG = 8
"""Runs kept in line (sent, body not begun yet) while the gaps are taken. Counted on begun
bodies: counted on ended ones, the feeder's sends (one at a time, slower than a run once the
wake-up got quick) let the line run dry, and most runs then started without waiting at all;
with 4, a run's own start (claim, refusal, line entry, park) was often still under way when
its predecessor ended, which leaves that gap out."""
EXECUTORS = 5
"""Invocations the executor runs at once. Lambda's SQS mapping starts with five concurrent
batches and scales up, so a wake-up never waits for an invocation to end; with two, the arrival
the feeder sends as a run ends (and the parked run's fallback timers) kept the only idle one
busy, and a woken run waited for the finisher's own invocation to end first."""


def _percentiles(samples: list[float]) -> tuple[float | None, float | None]:
    if not samples:
        return None, None
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return round(statistics.median(ordered), 1), round(p99, 1)


def _more_than(begun: dict[str, float], n: int) -> bool:
    return len(begun) > n


def _plain_starts(app: Stepstream, runs: int) -> list[float]:
    """The baseline: ms from the start message's send returning to the body's start, for runs
    of a function without options sent one at a time (``app.send`` goes on writing after the
    message is out, so its return is too late a start)."""
    from stepstream import Context
    from stepstream.store import SqsQueue

    sent_at: dict[str, float] = {}
    begun: dict[str, float] = {}
    arrived = threading.Condition()
    send = SqsQueue.send

    def timed_send(queue: SqsQueue, body: dict[str, Any], delay_seconds: int = 0) -> None:
        send(queue, body, delay_seconds)
        sent_at.setdefault(str(body.get("run_id")), time.time())

    @app.function(id="plain", trigger="bench/plain")
    async def plain(ctx: Context) -> None:
        with arrived:
            begun[ctx.run_id] = time.time()
            arrived.notify_all()

    SqsQueue.send = timed_send  # type: ignore[method-assign,assignment]
    try:
        for n in range(runs):
            app.send({"name": "bench/plain", "data": {"n": n}})
            with arrived:
                if not arrived.wait_for(partial(_more_than, begun, n), timeout=60):
                    raise RuntimeError(f"plain run {n} did not start")
    finally:
        SqsQueue.send = send  # type: ignore[method-assign]
    return [(at - sent_at[run_id]) * 1000 for run_id, at in begun.items() if run_id in sent_at]


def _start_delays(
    app: Stepstream, handler: Any, queue_url: str, runs: int = DELAY_RUNS
) -> dict[str, Any]:
    """Feed a concurrency-1 function so that a few runs are always parked in line, and take,
    for each run that was parked before its predecessor's body ended, the time from that end
    to its own body's start: the finisher's completion and release (the hand-over and the wake
    message), SQS delivery to an idle long-polling executor, its claim and acquire."""
    from stepstream import Context
    from stepstream.local import SqsPoller

    marks: dict[int, tuple[float, float]] = {}
    began: set[int] = set()
    ids: dict[int, str] = {}

    @app.function(id="delay", trigger="bench/delay", concurrency=1)
    async def delay(ctx: Context) -> None:
        begun = time.time()
        began.add(int(ctx.event.data["n"]))
        await ctx.step.run("one", lambda: time.sleep(0.02))
        marks[int(ctx.event.data["n"])] = (begun, time.time())

    pollers = [SqsPoller(handler, queue_url, wait_seconds=1, max_concurrency=EXECUTORS)]
    for poller in pollers:
        poller.start()
    try:
        plain = _plain_starts(app, runs)
        invoked = sum(poller.invocations for poller in pollers)
        deadline = time.monotonic() + 2400  # a loaded 2-core machine takes ~1 s a run
        for n in range(runs):
            while n - len(began) >= BACKLOG:
                assert time.monotonic() < deadline, "the delay runs did not finish"
                time.sleep(0.002)
            ids[n] = app.send({"name": "bench/delay", "data": {"n": n}})[0]
        while len(marks) < runs and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        for poller in pollers:
            poller.stop()
    invoked = sum(poller.invocations for poller in pollers) - invoked
    state = app.backends().state
    parked_at: dict[int, float] = {}
    for n, event_id in ids.items():
        for run_id in state.runs_for_event(event_id):
            run = state.get_run(run_id)
            if run is not None and run.flow and run.flow.get("reason") == "concurrency":
                parked_at[n] = float(run.flow["since"]) / 1000
    ordered = sorted(marks.items(), key=lambda kv: kv[1][0])
    gaps = sorted(
        (b[0] - a[1]) * 1000
        for (_, a), (m, b) in itertools.pairwise(ordered)
        if m in parked_at and parked_at[m] <= a[1]
    )
    p50, p99 = _percentiles(gaps)
    base_p50, base_p99 = _percentiles(plain)
    return {
        "runs": len(marks),
        "samples": len(gaps),
        "p50_ms": p50,
        "p99_ms": p99,
        "max_overlap_ms": round(-min(gaps), 1) if gaps and min(gaps) < 0 else 0,
        # Two a run that waits (its start, its wake-up): more were spent on messages that found
        # nothing to do (a fallback per parked run once did, a minute after it had started).
        "invocations_per_run": round(invoked / max(1, len(marks)), 3),
        "baseline_plain_start": {"samples": len(plain), "p50_ms": base_p50, "p99_ms": base_p99},
        "ratio_p50": round(p50 / base_p50, 2) if p50 and base_p50 else None,
        "measured": (
            "from the end of a run's function body to the start of the next run's body, for "
            "each next run that was parked in line before then; concurrency 1, a 20 ms step, "
            f"{BACKLOG} runs kept in line, one executor running up to {EXECUTORS} invocations "
            "at once, long-polling SQS. Baseline: from the start message's send to the body's "
            "start, runs without options, one at a time, on the same executor"
        ),
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
    }


def delay_only(runs: int = DELAY_RUNS) -> dict[str, Any]:
    """``python -m bench.flow delay [runs]``: only the queued start delay, printed, not
    stored."""
    from stepstream import Stepstream

    with local_stack("benchflow") as stack:
        app = Stepstream(id="bench-flow")

        def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
            for record in event["Records"]:
                app.execute(json.loads(record["body"]), context)
            return {"batchItemFailures": []}

        return _start_delays(app, handler, stack.environment["STEPSTREAM_QUEUE_URL"], runs)


if __name__ == "__main__":
    if sys.argv[1:2] == ["delay"]:
        print(json.dumps(delay_only(int(sys.argv[2]) if sys.argv[2:] else DELAY_RUNS), indent=2))
        sys.exit(0)
    result = main()
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'option':<22}{'added writes/event':>18}{'flow item writes/event':>24}")
    for name, row in result["options"].items():
        added, own = row["added_writes_per_event"], row["flow_item_writes_per_event"]
        print(f"{name:<22}{added:>18}{own:>24}")
    print(f"queued start delay: {result['queued_start_delay']}")
    print(f"met: {result['met']}")


def readme_rows(report: dict[str, Any]) -> list[Any]:
    """This benchmark's lines of the README's table (``bench.readme``)."""
    from bench.readme import ReadmeRow

    options = report["options"]
    delay = report["queued_start_delay"]
    return [
        ReadmeRow(
            "DynamoDB writes a flow-control option adds per event",
            ", ".join(
                f"{name.replace('_', ' ')} {options[name]['added_writes_per_event']:g}"
                # One run for all the events: fewer writes than a run each, so the goal is
                # read on the writes to its own items.
                + (
                    f" ({options[name]['flow_item_writes_per_event']:g} to its own items)"
                    if name in ("debounce", "batch")
                    else ""
                )
                for name in options
                if name != "none"
            ),
            "concurrency ≤ 2, debounce ≤ 2",
        ),
        ReadmeRow(
            "start of a run queued behind a full concurrency key, after the slot frees",
            f"p50 {delay['p50_ms']:g} ms, p99 {delay['p99_ms']:g} ms "
            + (
                f"({delay['samples']:,} samples)"
                if "samples" in delay  # results from before the fed backlog counted runs
                else f"({delay['runs']} runs)"
            )
            + (
                f"; a plain start p50 {delay['baseline_plain_start']['p50_ms']:g} ms, "
                f"{delay['ratio_p50']:g} times that"
                if "baseline_plain_start" in delay  # results from before the baseline
                else ""
            ),
            "p50 ≤ 100 ms",
        ),
    ]
