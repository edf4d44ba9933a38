"""Engine cost model: AWS requests per step, reads per invocation, invocations per run, and the
time a step adds over a bare function call.

Everything is real and local: moto's server over HTTP (tables, queue and bucket from
template.yaml), the executor driven by the SQS poller in Lambda's event shape, requests counted
by botocore ``before-call`` hooks on the very clients the library uses. For runs of 10 and 100
``step.run`` calls (async and sync bodies): requests by operation for sending the event and for
executing the run, executor invocations, and wall time per step. Baselines measured in the same
run: the same function called bare (no engine) and one raw ``TransactWriteItems`` to the same
table (the floor for a durable checkpoint).

Replay: runs of 10 and 100 steps that then sleep one second and take one more step. The
invocation after the sleep replays every step from its memo; its DynamoDB reads are counted on
their own, since the claim that reads are O(1) in the number of steps is about exactly that
invocation (a run's first invocation has no memo to read).

Run: ``python -m bench.engine`` (or ``make bench``). Writes bench/results/engine.json.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench._support import RequestCounter, local_stack, machine

if TYPE_CHECKING:
    from stepstream import Stepstream

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "bench" / "results" / "engine.json"
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
READS = {"GetItem", "Query", "Scan", "BatchGetItem"}
REPLAY_STEPS = (10, 100)


def work(i: int) -> int:
    return i * 2 + 1


async def awork(i: int) -> int:
    return i * 2 + 1


def _summary(counts: Counter[str], prefix: str, names: set[str]) -> int:
    return sum(
        n for key, n in counts.items() if key.startswith(prefix) and key[len(prefix) :] in names
    )


def main() -> dict[str, Any]:
    with local_stack("bench") as stack:
        return _measure(stack.environment)


def _measure(environment: dict[str, str]) -> dict[str, Any]:
    from stepstream import Context, Stepstream, SyncContext
    from stepstream.aws import client
    from stepstream.local import SqsPoller

    counter = RequestCounter().count()

    app = Stepstream(id="bench-engine")
    timings: dict[str, list[float]] = {}

    def define(steps: int, sync: bool) -> str:
        fid = f"{'sync' if sync else 'async'}-{steps}"
        if sync:

            @app.function(id=fid, trigger=f"bench/{fid}")
            def fn_sync(ctx: SyncContext) -> int:
                started = time.perf_counter()
                total = sum(ctx.step.run("s", work, i) for i in range(steps))
                timings.setdefault(fid, []).append(time.perf_counter() - started)
                return total

        else:

            @app.function(id=fid, trigger=f"bench/{fid}")
            async def fn_async(ctx: Context) -> int:
                started = time.perf_counter()
                total = 0
                for i in range(steps):
                    total += await ctx.step.run("s", awork, i)
                timings.setdefault(fid, []).append(time.perf_counter() - started)
                return total

        return fid

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        for record in event["Records"]:
            app.execute(json.loads(record["body"]), context)
        return {"batchItemFailures": []}

    queue_url = environment["STEPSTREAM_QUEUE_URL"]
    rows = []
    replays = [_replay(app, counter, queue_url, handler, steps) for steps in REPLAY_STEPS]
    for steps, sync in ((10, False), (100, False), (100, True)):
        fid = define(steps, sync)
        poller = SqsPoller(handler, queue_url, wait_seconds=1)
        counter.take()
        [event_id] = app.send({"name": f"bench/{fid}", "data": {}})
        send_counts = counter.take()
        run_id = app.runs.for_event(event_id)[0].run_id
        counter.take()
        exec_counts: Counter[str] = Counter()
        started = time.perf_counter()
        while True:
            poller.poll_once()
            # the read-back below is not part of the run's cost: take the counts first
            exec_counts += counter.take()
            view = app.runs.get(run_id)
            counter.take()
            if view is not None and view.status == "completed":
                break
            if time.perf_counter() - started > 120:
                raise RuntimeError(f"{fid} did not complete")
        assert view.output == sum(work(i) for i in range(steps))
        invocations = poller.invocations
        ddb = "dynamodb:"
        transacts = exec_counts.get("dynamodb:TransactWriteItems", 0)
        per_step_s = timings[fid][-1] / steps

        # baselines in the same run: the bare function, and one raw checkpoint-sized write
        bare = _bare_call_seconds()
        raw = _raw_transact_seconds(client("dynamodb"), environment["STEPSTREAM_STATE_TABLE"])
        rows.append(
            {
                "run": fid,
                "steps": steps,
                "bodies": "sync (worker thread)" if sync else "async",
                "executor_invocations": invocations,
                "requests_send_event": dict(sorted(send_counts.items())),
                "requests_execute_run": dict(sorted(exec_counts.items())),
                "dynamodb_writes_per_step": round(_summary(exec_counts, ddb, WRITES) / steps, 3),
                "checkpoint_writes_per_step": round(transacts / steps, 3),
                "dynamodb_reads_per_invocation": round(
                    _summary(exec_counts, ddb, READS) / invocations, 3
                ),
                "sqs_requests_per_invocation": round(
                    sum(n for k, n in exec_counts.items() if k.startswith("sqs:")) / invocations, 3
                ),
                "seconds_per_step": round(per_step_s, 6),
                "bare_call_seconds": bare,
                "raw_transact_write_seconds": raw,
                "step_over_bare_call_ratio": round(per_step_s / bare, 1),
                "step_over_raw_transact_ratio": round(per_step_s / raw, 2),
            }
        )
    return {
        "benchmark": "engine",
        "command": "python -m bench.engine",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "targets": {
            "checkpoint_writes_per_step": 1,
            "dynamodb_reads_per_invocation": "O(1), independent of steps",
            "executor_invocations_per_run_without_sleeps": 1,
        },
        # Reads of the replaying invocation must not grow with the steps replayed.
        "met": all(
            r["checkpoint_writes_per_step"] == 1 and r["executor_invocations"] == 1 for r in rows
        )
        and replays[0]["replaying_invocation_dynamodb_reads"]
        == replays[-1]["replaying_invocation_dynamodb_reads"],
        "runs": rows,
        "replays": replays,
        "note": (
            "requests_execute_run counts everything the executor did for the run, including "
            "SQS receive/delete by the poller; the per-invocation claim UpdateItem and the final "
            "UpdateItem are the writes beyond one TransactWriteItems per step. Timings are wall "
            "time on a shared machine against moto; ratios are the meaningful part."
        ),
    }


def _replay(
    app: Stepstream, counter: RequestCounter, queue_url: str, handler: Any, steps: int
) -> dict[str, Any]:
    """Reads of the invocation that replays ``steps`` memoized steps after a sleep."""
    from stepstream import Context
    from stepstream.local import SqsPoller

    fid = f"replay-{steps}"

    @app.function(id=fid, trigger=f"bench/{fid}")
    async def fn(ctx: Context) -> int:
        total = 0
        for i in range(steps):
            total += await ctx.step.run("s", awork, i)
        await ctx.step.sleep("nap", "1s")
        return total + await ctx.step.run("after", awork, steps)

    poller = SqsPoller(handler, queue_url, wait_seconds=1)
    [event_id] = app.send({"name": f"bench/{fid}", "data": {}})
    run_id = app.runs.for_event(event_id)[0].run_id
    per_invocation: list[Counter[str]] = []
    counter.take()
    started = time.perf_counter()
    while True:
        before = poller.invocations
        poller.poll_once()
        counts = counter.take()
        if poller.invocations > before:
            per_invocation.append(counts)
        view = app.runs.get(run_id)
        counter.take()
        if view is not None and view.status == "completed":
            break
        if time.perf_counter() - started > 120:
            raise RuntimeError(f"{fid} did not complete")
    assert view.output == sum(work(i) for i in range(steps + 1))
    replaying = per_invocation[-1]
    return {
        "run": fid,
        "steps_replayed": steps,
        "executor_invocations": len(per_invocation),
        "replaying_invocation_requests": dict(sorted(replaying.items())),
        "replaying_invocation_dynamodb_reads": _summary(replaying, "dynamodb:", READS),
        "first_invocation_dynamodb_reads": _summary(per_invocation[0], "dynamodb:", READS),
    }


def _bare_call_seconds(n: int = 20000) -> float:
    samples = []
    for _ in range(5):
        started = time.perf_counter()
        for i in range(n):
            work(i)
        samples.append((time.perf_counter() - started) / n)
    return float(f"{statistics.median(samples):.3g}")


def _raw_transact_seconds(ddb: Any, table: str, n: int = 30) -> float:
    samples = []
    for i in range(n):
        started = time.perf_counter()
        ddb.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": f"BENCH#{i}"}, "sk": {"S": "x"}, "v": {"S": "1"}},
                        "ConditionExpression": "attribute_not_exists(sk)",
                    }
                }
            ]
        )
        samples.append(time.perf_counter() - started)
        ddb.delete_item(TableName=table, Key={"pk": {"S": f"BENCH#{i}"}, "sk": {"S": "x"}})
    return float(f"{statistics.median(samples):.3g}")


def readme_rows(report: dict[str, Any]) -> list[Any]:
    """This benchmark's lines of the README's table (``bench.readme``)."""
    from bench.readme import ReadmeRow, times

    runs = {r["run"]: r for r in report["runs"]}
    ten, hundred = runs["async-10"], runs["async-100"]
    replays = report["replays"]

    def reads(r: dict[str, Any]) -> str:
        ops = [
            f"{n} {k.split(':')[1]}"
            for k, n in r["replaying_invocation_requests"].items()
            if k.startswith("dynamodb:") and k.split(":")[1] in READS
        ]
        return f"{', '.join(ops) or '0'} replaying {r['steps_replayed']} steps"

    return [
        ReadmeRow(
            "DynamoDB writes per `step.run` (checkpoint)",
            f"{ten['checkpoint_writes_per_step']:g} (10 steps), "
            f"{hundred['checkpoint_writes_per_step']:g} (100 steps)",
            "1",
        ),
        ReadmeRow(
            "all DynamoDB writes per step incl. lease claim and release",
            f"{ten['dynamodb_writes_per_step']:g} (10 steps), "
            f"{hundred['dynamodb_writes_per_step']:g} (100 steps)",
        ),
        ReadmeRow(
            "DynamoDB reads of the invocation that replays a run after a sleep",
            "; ".join(reads(r) for r in replays),
            "O(1) in steps",
        ),
        ReadmeRow(
            "executor invocations per run with no sleeps or waits",
            ", ".join(f"{r['executor_invocations']}" for r in (ten, hundred)) + " (10, 100 steps)",
            "1",
        ),
        ReadmeRow(
            "step time vs one raw `TransactWriteItems` (one run each)",
            f"{times(ten['step_over_raw_transact_ratio'])} (10 steps), "
            f"{times(hundred['step_over_raw_transact_ratio'])} (100 steps)",
        ),
    ]


def _print(report: dict[str, Any]) -> None:
    header = (
        f"{'run':<11}{'invocations':>12}{'ckpt writes/step':>17}{'ddb writes/step':>16}"
        f"{'reads/invocation':>17}{'ms/step':>9}{'x bare call':>13}{'x raw write':>12}"
    )
    print(header)
    for r in report["runs"]:
        print(
            f"{r['run']:<11}{r['executor_invocations']:>12}{r['checkpoint_writes_per_step']:>17}"
            f"{r['dynamodb_writes_per_step']:>16}{r['dynamodb_reads_per_invocation']:>17}"
            f"{r['seconds_per_step'] * 1000:>9.2f}{r['step_over_bare_call_ratio']:>13}"
            f"{r['step_over_raw_transact_ratio']:>12}"
        )
    for r in report["runs"]:
        print(f"{r['run']}: execute {r['requests_execute_run']}")
        print(f"{' ' * len(r['run'])}  send    {r['requests_send_event']}")
    for r in report["replays"]:
        print(
            f"{r['run']}: reads replaying {r['steps_replayed']} steps "
            f"{r['replaying_invocation_dynamodb_reads']} ({r['replaying_invocation_requests']})"
        )
    print(f"targets met: {report['met']}")


if __name__ == "__main__":
    result = main()
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    _print(result)
