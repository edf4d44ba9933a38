"""Cost model: dollars per million runs, from requests counted on the local stack times AWS list
prices.

Each scenario runs for real on the local stack (moto over HTTP, the template's resources, the
executor handler fed by the SQS poller in Lambda's event shape) and every AWS request the library
makes is counted as botocore sends it. Those counts, times the list prices below, give each line.

Scenarios (the seeds' shapes, with the seeds' channel names):

- **generate-response**: a status message, a step streaming 500 tokens at the demo's 40 tokens/s
  to ``ai:<run>``'s one subscriber, a memoized result publish. Bedrock is not in the total: its
  line is shown apart (``BEDROCK_*``, the template's default model).
- **likePost broadcast**: a log to ``global`` and one step publishing the post's new like count
  to ``post:123``, which has 1,000 subscribers. That is over the sharding threshold (500), so as
  deployed the publisher hands each frame to the fan-out function: one SQS FIFO message per
  shard (8 of 128 connections), posted by ``FanoutFunction`` invocations. Its invocations,
  duration and the FIFO queue's requests (send, and the event source mapping's receive and
  delete, as the local poller batches them: up to 10 messages per invocation) are lines of
  their own. The mapping's empty polls are not per run and are left out.
- **10-step workflow with one sleep**: five steps, a 1 s sleep, five steps (a sleep longer than
  15 minutes adds one SQS message and one executor invocation per 15 minutes: see
  docs/execution-model.md).

What is counted and what is assumed:

Prices come from the library's table (``stepstream.cost``), which a run's own cost ledger
(``GET /v1/runs/{id}`` ``cost``) is priced with too.

- Counted: DynamoDB, SQS and S3 requests (the library's clients, and the poller's receive/delete,
  which on AWS the SQS event source mapping makes and SQS bills); executor invocations; API
  Gateway WebSocket messages (``@connections`` posts, counted by a poster that sends nothing:
  subscriptions are real items in the realtime table, sockets are not held).
- By construction: one HTTP API request and one API function invocation per event sent.
- Assumed: items are under 1 KB (one write unit per item written; transactions two), each read
  request is one read unit (an upper bound for these small items), each WebSocket message and SQS
  message is under one 32 KB / 64 KB billing chunk, Lambda duration is the local wall time of the
  invocation (for generate-response, bound by the model's 40 tokens/s) at the template's 512 MB
  on arm64 (the fan-out function's posts take no time here: on AWS add about one 30 ms round
  trip per 64 posts of an invocation). Free tiers are ignored. Subscribers' own connection
  minutes and connects are not per run and are left out.

The executor sends a ``run`` status frame (``completed``) to every subscriber of each channel the
run published on, so a broadcast costs two WebSocket messages per subscriber, not one: that is
what the library does today, and what is counted.

Run: ``python -m bench.cost`` (or ``make bench``). Writes bench/results/cost.json.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench._support import local_stack, on_every_client, seed_subscriptions
from stepstream.cost import BEDROCK_PER_TOKEN, DEFAULT_REGION, PRICES, PRICES_DATE

if TYPE_CHECKING:
    from stepstream import Stepstream

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "bench" / "results" / "cost.json"

PRICES_USD = {
    **PRICES[DEFAULT_REGION],
    "bedrock_nova_micro_input_token": BEDROCK_PER_TOKEN["amazon.nova-micro-v1"][0],
    "bedrock_nova_micro_output_token": BEDROCK_PER_TOKEN["amazon.nova-micro-v1"][1],
    # SQS FIFO requests, us-east-1 list price per request (first 100 billion a month) as of
    # PRICES_DATE; the library's ledger prices standard queues only.
    "sqs_fifo_request": 0.50 / 1e6,
}
"""The library's price table (``stepstream.cost``, dated ``PRICES_DATE``) for us-east-1: the
same numbers a run's ledger is priced with."""
LAMBDA_MEMORY_GB = 0.5
TOKENS = 500
TOKENS_PER_SECOND = 40.0
PROMPT_TOKENS = 50
BROADCAST_SUBSCRIBERS = 1000
RUNS_PER_SCENARIO = 3
WRITES = {"PutItem", "UpdateItem", "DeleteItem"}
READS = {"GetItem", "Query", "Scan"}


class CountingPoster:
    """Counts ``@connections`` posts (API Gateway WebSocket messages); sends nothing. Thread-safe:
    the fan-out function posts 64 at a time."""

    def __init__(self) -> None:
        self.posts = 0
        self._lock = threading.Lock()

    def post(self, connection_id: str, data: bytes) -> bool:
        with self._lock:
            self.posts += 1
        return True


class UnitCounter:
    """AWS requests by ``service:Operation``, and DynamoDB write units by item."""

    def __init__(self, fifo_urls: tuple[str, ...] = ()) -> None:
        self.requests: Counter[str] = Counter()
        self.write_units = 0
        self.read_units = 0
        self.fifo_urls = fifo_urls

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        service, name = model.service_model.service_name, model.name
        if service == "sqs" and _names_queue(params, self.fifo_urls):
            service = "sqs-fifo"
        self.requests[f"{service}:{name}"] += 1
        if service != "dynamodb":
            return
        # before-call sees the serialized request: DynamoDB's JSON protocol has the API
        # parameters in the body.
        body = _json_body(params)
        if name == "TransactWriteItems":
            self.write_units += 2 * len(body.get("TransactItems", []))
        elif name == "BatchWriteItem":
            self.write_units += sum(len(v) for v in body.get("RequestItems", {}).values())
        elif name in WRITES:
            self.write_units += 1
        elif name in READS:
            self.read_units += 1
        elif name in ("TransactGetItems", "BatchGetItem"):
            self.read_units += 2 if name == "TransactGetItems" else 1

    def take(self) -> tuple[Counter[str], int, int]:
        taken = (self.requests, self.write_units, self.read_units)
        self.requests, self.write_units, self.read_units = Counter(), 0, 0
        return taken


def _json_body(request: dict[str, Any]) -> dict[str, Any]:
    body = request.get("body")
    if isinstance(body, bytes | str) and body:
        parsed = json.loads(body)
        return parsed if isinstance(parsed, dict) else {}
    return body if isinstance(body, dict) else {}


def _names_queue(request: dict[str, Any], urls: tuple[str, ...]) -> bool:
    """Whether a serialized SQS request (``before-call``'s request dict) is for one of ``urls``:
    the queue URL is in its body (JSON protocol) or its form fields (query protocol)."""
    body = request.get("body")
    if isinstance(body, bytes):
        text = body.decode("utf-8", "replace")
    elif isinstance(body, dict):
        text = str(body.get("QueueUrl", ""))
    else:
        text = str(body or "")
    return any(url in text for url in urls)


@dataclass
class Measured:
    """What one run used."""

    requests: Counter[str]
    write_units: int
    read_units: int
    executor_invocations: int
    executor_seconds: float
    api_seconds: float
    posts: int
    fanout_invocations: int = 0
    fanout_seconds: float = 0.0


def _define(app: Stepstream) -> None:
    from stepstream import Context
    from stepstream.realtime import channel, topic

    ai = (
        channel(lambda run_id: f"ai:{run_id}")
        .add_topic(topic("status").type(dict))
        .add_topic(topic("tokens").type(dict))
        .add_topic(topic("result", history=True).type(dict))
    )
    logs = channel("global").add_topic(topic("logs").type(str))
    post = channel(lambda post_id: f"post:{post_id}").add_topic(topic("updated").type(dict))

    @app.function(id="generate-response", trigger="cost/prompt")
    async def generate_response(ctx: Context) -> None:
        ch = ai(ctx.event.data["runId"])
        await ctx.publish(ch.status, {"message": "Generating response...", "progress": 0})

        async def stream_model() -> str:
            started = time.perf_counter()
            for i in range(TOKENS):
                await asyncio.sleep(max(0.0, started + i / TOKENS_PER_SECOND - time.perf_counter()))
                await ctx.publish(ch.tokens, {"token": f"t{i} "})
            return "answer"

        text = await ctx.step.run("stream-model", stream_model)
        await ctx.step.realtime.publish("send-result", ch.result, {"output": text})

    @app.function(id="like-post", trigger="cost/like")
    async def like_post(ctx: Context) -> dict[str, Any]:
        await ctx.publish(logs().logs, "Liking post 123")

        async def update_likes() -> dict[str, Any]:
            frame = await ctx.publish(post("123").updated, {"id": "123", "likes": 7})
            return frame or {}

        result: dict[str, Any] = await ctx.step.run("Update likes", update_likes)
        return result

    @app.function(id="ten-steps", trigger="cost/steps")
    async def ten_steps(ctx: Context) -> int:
        total = 0
        for i in range(10):
            if i == 5:
                await ctx.step.sleep("nap", "1s")
            total += await ctx.step.run(f"s{i}", lambda i=i: i)
        return total


def _run_once(
    app: Any,
    poller: Any,
    counter: UnitCounter,
    poster: CountingPoster,
    event: dict[str, Any],
    fanout_poller: Any,
) -> Measured:
    counter.take()
    poster.posts = 0
    started = time.perf_counter()
    [event_id] = app.send(event)
    api_seconds = time.perf_counter() - started
    run_id = app.runs.for_event(event_id)[0].run_id
    requests, writes, reads = counter.take()
    invocations, executor_seconds = 0, 0.0
    fanout_invocations, fanout_seconds = 0, 0.0
    deadline = time.monotonic() + 120
    while True:
        before = poller.invocations
        started = time.perf_counter()
        poller.poll_once()
        if poller.invocations > before:
            invocations += 1
            executor_seconds += time.perf_counter() - started
        more, w, r = counter.take()
        requests += more
        writes += w
        reads += r
        # The fan-out function takes what the invocation handed over, as the mapping would.
        while True:
            before = fanout_poller.invocations
            started = time.perf_counter()
            fanout_poller.poll_once(wait_seconds=0)
            if fanout_poller.invocations == before:
                counter.take()  # an empty poll: the mapping polls all the time, not per run
                break
            fanout_invocations += 1
            fanout_seconds += time.perf_counter() - started
            more, w, r = counter.take()
            requests += more
            writes += w
            reads += r
        view = app.runs.get(run_id)
        counter.take()  # the read-back is the benchmark's, not the run's
        if view is not None and view.status in ("completed", "failed", "cancelled"):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"{event['name']} did not finish")
    if view.status != "completed":
        raise RuntimeError(f"{event['name']} ended {view.status}")
    return Measured(
        requests,
        writes,
        reads,
        invocations,
        executor_seconds,
        api_seconds,
        poster.posts,
        fanout_invocations,
        fanout_seconds,
    )


def _median_run(runs: list[Measured]) -> Measured:
    """The run of median executor time (counts are the same in every run; times are not)."""
    return sorted(runs, key=lambda m: m.executor_seconds)[len(runs) // 2]


def _lines(m: Measured) -> list[dict[str, Any]]:
    """Cost lines per run, each naming its AWS service."""
    p = PRICES_USD

    def billed_seconds(seconds: float) -> float:
        return math.ceil(seconds * 1000) / 1000  # Lambda bills by the millisecond

    sqs = sum(n for k, n in m.requests.items() if k.startswith("sqs:"))
    fifo = sum(n for k, n in m.requests.items() if k.startswith("sqs-fifo:"))
    s3_put = sum(n for k, n in m.requests.items() if k in ("s3:PutObject", "s3:CopyObject"))
    s3_get = sum(n for k, n in m.requests.items() if k in ("s3:GetObject", "s3:HeadObject"))
    gb_seconds = LAMBDA_MEMORY_GB * (
        billed_seconds(m.executor_seconds)
        + billed_seconds(m.api_seconds)
        + billed_seconds(m.fanout_seconds)
    )
    lambdas = m.executor_invocations + 1 + m.fanout_invocations
    fanout = f", fan-out {m.fanout_invocations}" if m.fanout_invocations else ""
    lines = [
        ("Amazon API Gateway (HTTP API)", "1 event request", p["http_api_request"]),
        (
            "AWS Lambda (requests)",
            f"{lambdas} invocations (API 1, executor {m.executor_invocations}{fanout})",
            lambdas * p["lambda_request"],
        ),
        (
            "AWS Lambda (duration, arm64 512 MB)",
            f"{gb_seconds:.3f} GB-s",
            gb_seconds * p["lambda_gb_second_arm64"],
        ),
        (
            "Amazon DynamoDB (on-demand)",
            f"{m.write_units} write + {m.read_units} read units",
            m.write_units * p["dynamodb_write_unit"] + m.read_units * p["dynamodb_read_unit"],
        ),
        ("Amazon SQS (standard)", f"{sqs} requests", sqs * p["sqs_request"]),
        (
            "Amazon API Gateway (WebSocket messages)",
            f"{m.posts:,} messages",
            m.posts * p["websocket_message"],
        ),
    ]
    if fifo:
        lines.insert(
            5,
            (
                "Amazon SQS (FIFO, fan-out queue)",
                f"{fifo} requests",
                fifo * p["sqs_fifo_request"],
            ),
        )
    if s3_put or s3_get:
        lines.append(
            (
                "Amazon S3",
                f"{s3_put} PUT + {s3_get} GET",
                s3_put * p["s3_put"] + s3_get * p["s3_get"],
            )
        )
    return [
        {"service": service, "per_run": usage, "usd_per_million_runs": round(usd * 1e6, 2)}
        for service, usage, usd in lines
    ]


def _measure() -> dict[str, Any]:
    from stepstream import Stepstream
    from stepstream.handlers import executor_handler
    from stepstream.local import SqsPoller
    from stepstream.realtime import Realtime
    from stepstream.realtime._realtime import sharding_from_env
    from stepstream.realtime._shard_fanout import ShardFanout
    from stepstream.store import ConnectionStore

    app = Stepstream(id="bench-cost")
    poster = CountingPoster()
    # Posts counted, nothing sent; a wide channel's frames go to the fan-out queue as deployed
    # (the template's queue, threshold and shard size).
    sharding = sharding_from_env()
    if sharding is None:
        raise RuntimeError("the local stack gave no STEPSTREAM_FANOUT_QUEUE_URL")
    app._realtime = Realtime(app.id, poster=poster, sharding=sharding)
    _define(app)
    fanout_url = os.environ["STEPSTREAM_FANOUT_QUEUE_URL"]
    shards = ShardFanout(ConnectionStore(), lambda: poster)
    fanout_poller = SqsPoller(
        lambda event, _context: shards.handle(event["Records"]).response(),
        fanout_url,
        batch_size=10,  # the template's FanoutQueueMapping
        wait_seconds=0,
        function_name="FanoutFunction",
    )
    counter = UnitCounter(fifo_urls=(fanout_url,))
    for service in ("dynamodb", "sqs", "s3"):
        on_every_client(f"before-call.{service}", counter)
    poller = SqsPoller(executor_handler(app), os.environ["STEPSTREAM_QUEUE_URL"], wait_seconds=1)

    seed_subscriptions("post:123", ["updated"], BROADCAST_SUBSCRIBERS)
    scenarios = []
    for key, title, make_event in (
        (
            "generate_response",
            f"generate-response ({TOKENS} tokens, 1 subscriber)",
            lambda: _prompt_event(),
        ),
        (
            "like_post",
            f"likePost broadcast ({BROADCAST_SUBSCRIBERS:,} subscribers)",
            lambda: {"name": "cost/like", "data": {"postId": "123"}},
        ),
        (
            "ten_steps",
            "10-step workflow with one sleep",
            lambda: {"name": "cost/steps", "data": {}},
        ),
    ):
        runs = [
            _run_once(app, poller, counter, poster, make_event(), fanout_poller)
            for _ in range(RUNS_PER_SCENARIO)
        ]
        m = _median_run(runs)
        lines = _lines(m)
        scenario: dict[str, Any] = {
            "key": key,
            "scenario": title,
            "runs_measured": len(runs),
            "requests_per_run": dict(sorted(m.requests.items())),
            "executor_seconds_median": round(m.executor_seconds, 3),
            "fanout_invocations": m.fanout_invocations,
            "lines": lines,
            "usd_per_million_runs": round(sum(line["usd_per_million_runs"] for line in lines), 2),
        }
        if key == "generate_response":
            bedrock = (
                PROMPT_TOKENS * PRICES_USD["bedrock_nova_micro_input_token"]
                + TOKENS * PRICES_USD["bedrock_nova_micro_output_token"]
            )
            scenario["apart"] = {
                "service": "Amazon Bedrock (amazon.nova-micro-v1:0, on-demand)",
                "per_run": f"{PROMPT_TOKENS} input + {TOKENS} output tokens",
                "usd_per_million_runs": round(bedrock * 1e6, 2),
            }
        scenarios.append(scenario)
        print(f"{title}: ${scenario['usd_per_million_runs']:,} per million runs", flush=True)
    app.realtime.close()
    return {
        "benchmark": "cost",
        "command": "python -m bench.cost",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
        },
        "region": "us-east-1",
        "prices_date": PRICES_DATE,
        "prices_usd": PRICES_USD,
        "assumptions": {
            "lambda_memory_gb": LAMBDA_MEMORY_GB,
            "tokens_per_second": TOKENS_PER_SECOND,
            "item_size": "under 1 KB: one write unit per item (two in a transaction), "
            "one read unit per read request",
        },
        "scenarios": scenarios,
    }


def _prompt_event() -> dict[str, Any]:
    """A prompt whose page is already subscribed to ``ai:<runId>``, as the demo's page is."""
    run_id = uuid.uuid4().hex
    seed_subscriptions(f"ai:{run_id}", ["status", "tokens", "result"], 1)
    return {"name": "cost/prompt", "data": {"runId": run_id, "prompt": "hello"}}


def readme_rows(report: dict[str, Any]) -> list[Any]:
    """This benchmark's line of the README's main table (``bench.readme``)."""
    from bench.readme import ReadmeRow

    return [
        ReadmeRow(
            "AWS cost per million runs (us-east-1 list prices, Bedrock apart; table below)",
            "; ".join(
                f"{s['scenario']}: ${s['usd_per_million_runs']:,.2f}" for s in report["scenarios"]
            ),
        )
    ]


def readme_table(report: dict[str, Any]) -> str:
    """The cost table the README shows under the benchmark table."""
    lines = [
        f"AWS list prices for {report['region']} as of {report['prices_date']} (`bench/cost.py`), "
        f"requests counted by `bench.cost` ({report['date'][:10]}).",
        "",
        "| scenario | AWS service | per run | $ per million runs |",
        "| --- | --- | --- | ---: |",
    ]
    for s in report["scenarios"]:
        for line in s["lines"]:
            lines.append(
                f"| {s['scenario']} | {line['service']} | {line['per_run']} | "
                f"{line['usd_per_million_runs']:,.2f} |"
            )
        lines.append(f"| {s['scenario']} | **total** | | **{s['usd_per_million_runs']:,.2f}** |")
        if "apart" in s:
            apart = s["apart"]
            lines.append(
                f"| {s['scenario']} | {apart['service']} (not in the total) | {apart['per_run']} | "
                f"{apart['usd_per_million_runs']:,.2f} |"
            )
    return "\n".join(lines)


def main() -> dict[str, Any]:
    with local_stack("cost"):
        report = _measure()
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(readme_table(report))
    return report


if __name__ == "__main__":
    main()
