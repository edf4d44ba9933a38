"""The scripted workflow the metrics tests observe.

Events go in through the API function's handler (API Gateway HTTP API events, through Mangum),
one with a wrong key; runs go through the executor handler fed from SQS by the local poller
(with the record attributes Lambda's event source mapping passes); one subscriber listens over
a real socket and one stale subscription answers 410 Gone. Each handler flushes its metrics as
its invocation ends, so what reaches stdout is what Lambda would ship to CloudWatch."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from dataclasses import dataclass, field
from typing import Any

import pytest
from websockets.sync.client import connect

from stepstream import CancelOn, Context, NonRetriableError, Stepstream
from stepstream.config import DEV_SIGNING_KEY
from stepstream.handlers import LIBRARY_LOGGER, api_handler, handler_logger
from stepstream.local import LambdaContext, Provisioned, RunningGateway
from stepstream.realtime import channel, topic
from stepstream.realtime._tokens import mint_token
from stepstream.store import ConnectionStore
from tests.engine.harness import Harness

APP_ID = "metrics-tests"
EVENT_KEY = "metrics-event-key"
FEED = "metrics:feed"
feed = channel(FEED).add_topic(topic("ticks").type(dict))()

app = Stepstream(id=APP_ID)
_flaky_calls: list[int] = []


def _flaky() -> str:
    _flaky_calls.append(1)
    if len(_flaky_calls) == 1:
        raise RuntimeError("first attempt fails")
    return "second attempt"


@app.function(id="metered", trigger="metrics/go")
async def metered(ctx: Context) -> str:
    await ctx.step.run("first", lambda: 1)
    await ctx.step.run("flaky", _flaky)
    await ctx.step.sleep("nap", "1s")
    await ctx.step.realtime.publish("tick", feed.ticks, {"n": 1})
    return "done"


def _refuse() -> None:
    raise NonRetriableError("no way")


@app.function(id="doomed", trigger="metrics/doom", retries=0)
async def doomed(ctx: Context) -> None:
    await ctx.step.run("refuse", _refuse)


@app.function(id="too-big", trigger="metrics/big", retries=0)
async def too_big(ctx: Context) -> None:
    await ctx.step.realtime.publish("huge", feed.ticks, {"x": "x" * (200 * 1024)})


@app.function(id="stoppable", trigger="metrics/nap", cancel_on=[CancelOn(event="metrics/stop")])
async def stoppable(ctx: Context) -> None:
    await ctx.step.sleep("long", "1h")


@dataclass
class Observed:
    """What the scenario printed and logged."""

    emf: list[dict[str, Any]]
    """Every EMF line on stdout, parsed."""
    logs: list[dict[str, Any]] = field(default_factory=list)
    """Every library log line, as the handlers' JSON logger formats it."""
    run_ids: set[str] = field(default_factory=set)
    function_ids: set[str] = field(default_factory=set)

    def metrics(self) -> dict[str, set[str]]:
        """Metric name → the units it was emitted with."""
        found: dict[str, set[str]] = {}
        for line in self.emf:
            for directive in line["_aws"]["CloudWatchMetrics"]:
                for metric in directive["Metrics"]:
                    found.setdefault(metric["Name"], set()).add(metric["Unit"])
        return found


class _JsonLines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(handler_logger().registered_formatter)
        self.lines: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(self.format(record)))


def _http_event(path: str, body: dict[str, Any]) -> dict[str, Any]:
    raw = json.dumps(body).encode()
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "host": "abc.execute-api.us-east-1.amazonaws.com",
            "content-type": "application/json",
        },
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc",
            "domainName": "abc.execute-api.us-east-1.amazonaws.com",
            "http": {
                "method": "POST",
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
            },
            "requestId": "req-1",
            "routeKey": "$default",
            "stage": "$default",
            "timeEpoch": 0,
        },
        "body": base64.b64encode(raw).decode(),
        "isBase64Encoded": True,
    }


def run_scenario(
    aws: Provisioned,
    gateway: RunningGateway,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Observed:
    monkeypatch.setenv("STEPSTREAM_METRICS", "on")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "stepstream")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "stepstream")
    monkeypatch.setenv("STEPSTREAM_RETRY_BASE_SECONDS", "0")
    monkeypatch.setenv("STEPSTREAM_EVENT_KEY", EVENT_KEY)
    monkeypatch.setenv("STEPSTREAM_SIGNING_KEY", DEV_SIGNING_KEY)
    _flaky_calls.clear()
    app._realtime = None  # a publisher bound to this test's tables and gateway
    capture = _JsonLines()
    logging.getLogger(LIBRARY_LOGGER).addHandler(capture)
    # Mangum takes the thread's event loop when it is made, and makes one if there is none:
    # give it one this test closes.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    handler = api_handler(app, routers=[])
    context = LambdaContext(function_name="stepstream-api")

    def api(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        # Mangum runs each request on the thread's current event loop (a Lambda process keeps
        # one); the executor's asyncio.run in between unsets it.
        asyncio.set_event_loop(loop)
        return handler(event, context)

    harness = Harness(app, aws)
    ghost = "ghost-connection"
    ConnectionStore().add(ghost, FEED, ["ticks"], expires_at=2**31)
    token = mint_token(app_id=APP_ID, channel=FEED, topics=["ticks"])
    try:
        capsys.readouterr()  # only what the scenario prints
        with connect(f"{gateway.ws_url}?token={token}") as socket:
            refused = api(_http_event("/e/not-the-key", {"name": "metrics/go"}), context)
            assert refused["statusCode"] == 401
            sent = {}
            for name in ("metrics/go", "metrics/doom", "metrics/big", "metrics/nap"):
                answer = api(_http_event(f"/e/{EVENT_KEY}", {"name": name}), context)
                assert answer["statusCode"] == 200, answer
                sent[name] = json.loads(answer["body"])["ids"][0]
            runs = {name: harness.run_of(event_id) for name, event_id in sent.items()}
            for name in ("metrics/go", "metrics/doom", "metrics/big"):
                harness.finish(runs[name], timeout=60)
            harness.settle(runs["metrics/nap"], "sleeping", timeout=60)
            stop = api(_http_event(f"/e/{EVENT_KEY}", {"name": "metrics/stop"}), context)
            assert stop["statusCode"] == 200
            assert harness.status(runs["metrics/nap"]) == "cancelled"
            frames = [json.loads(socket.recv(timeout=10))]
            while frames[-1].get("kind") != "data" and len(frames) < 10:
                frames.append(json.loads(socket.recv(timeout=10)))
            assert frames[-1]["data"] == {"n": 1}, frames
        statuses = {name: harness.status(run_id) for name, run_id in runs.items()}
        assert statuses == {
            "metrics/go": "completed",
            "metrics/doom": "failed",
            "metrics/big": "failed",
            "metrics/nap": "cancelled",
        }
        out = capsys.readouterr().out
    finally:
        logging.getLogger(LIBRARY_LOGGER).removeHandler(capture)
        if app._realtime is not None:
            app._realtime.close()
        app._realtime = None
        asyncio.set_event_loop(None)
        loop.close()
    emf = [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]
    return Observed(
        emf=emf,
        logs=capture.lines,
        run_ids=set(runs.values()),
        function_ids=set(app.functions),
    )
