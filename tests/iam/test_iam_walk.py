"""GIVEN each function running with exactly its role in template.yaml (the local IAM emulation)
WHEN every handler is walked through its real paths THEN no AWS call is refused.

The paths: each sample event in events/; a browser session (a token from the token function, a
connect through the authorizer, ``sub``/``ping``/``unsub`` frames, the scheduler's keepalive
sweep pinging it, the disconnect); the executor on start, timer, hand-over and retry messages
with an output offloaded to S3; the hello-world route, which mints a token, subscribes and waits
for the run's message. On the template before issue 8, the ``sub`` frame (WsDefaultFunction
reading the JWT secret) and the hello-world route (ApiFunction reading it and querying
RealtimeTable) are refused here as AWS refused them.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import websockets
from app import app as user_app
from app.routes import router
from starlette.applications import Starlette
from starlette.routing import Mount

from stepstream import Context, Stepstream, _aws
from stepstream._loader import load_app
from stepstream.config import Settings
from stepstream.handlers import executor_handler
from stepstream.http import create_api, stream_api, token_api
from stepstream.local import (
    Gateway,
    IamEmulator,
    LambdaContext,
    Provisioned,
    RunningGateway,
    SqsPoller,
    serve_in_thread,
)
from stepstream.realtime import Realtime
from stepstream.realtime._keepalive import PING_EVERY_MINUTES
from stepstream.store._connection_listing import connection_shard
from tests.engine.harness import Harness

from ._iam_support import ROOT, SIGNING_KEY, denied, handlers_under_roles

EVENTS = ROOT / "events"
# Sample event -> (function logical id, handler module), as the template routes them.
SAMPLES = {
    "api.json": ("ApiFunction", "api"),
    "api_send_event.json": ("ApiFunction", "api"),
    "realtime_token.json": ("TokenFunction", "realtime_token"),
    "realtime_publish.json": ("PublishFunction", "realtime_publish"),
    "executor.json": ("ExecutorFunction", "executor"),
    "fanout.json": ("FanoutFunction", "fanout"),
    "scheduler.json": ("SchedulerFunction", "scheduler"),
    "ws_authorizer.json": ("WsAuthorizerFunction", "ws_authorizer"),
    "ws_connect.json": ("WsConnectFunction", "ws_connect"),
    "ws_default.json": ("WsDefaultFunction", "ws_default"),
    "ws_disconnect.json": ("WsDisconnectFunction", "ws_disconnect"),
}


def test_every_sample_event_names_a_function() -> None:
    assert {p.name for p in EVENTS.glob("*.json")} - {"env.json"} == set(SAMPLES)


@pytest.fixture
def event_loop_for_mangum() -> Iterator[None]:
    """Mangum runs each request on the thread's current event loop, creating one if there is
    none and never closing it (right for a Lambda process); give it one closed afterwards."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    yield
    asyncio.set_event_loop(None)
    loop.close()


def _cold_import(module: str) -> Any:
    """The function's module as a cold start imports it, under this test's environment. The
    app object outlives tests in this process: an earlier test (tests/realtime/test_token_lambda
    with no local AWS around) may have made its realtime publisher, naming the template's
    default tables, and this walk would then check requests to tables it never provisioned."""
    sys.modules.pop(module, None)
    load_app()._realtime = None  # made on first use, from the environment of that moment
    return importlib.import_module(module)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_sample_event_runs_under_its_role(
    iam: IamEmulator, gateway: RunningGateway, event_loop_for_mangum: None, name: str
) -> None:
    function, module = SAMPLES[name]
    handler = iam.wrap(function, _cold_import(module).handler)
    event = json.loads((EVENTS / name).read_text(encoding="utf-8"))

    # The samples name runs and connections that do not exist here: a handler may fail on
    # that, and a refusal is recorded even when the handler catches it.
    with contextlib.suppress(Exception):
        handler(event, LambdaContext(function_name=function))

    assert denied(iam) == []
    if name != "api.json":  # /health reads nothing
        assert iam.checked > 0


async def _session(iam: IamEmulator, ws_url: str, token: str) -> None:
    async with websockets.connect(f"{ws_url}?token={token}") as ws:
        for frame in (
            {"kind": "sub", "data": token},
            {"kind": "ping"},
            {"kind": "unsub", "data": ["status"]},
            {"kind": "ping"},
        ):
            await ws.send(json.dumps(frame))
            if frame["kind"] == "ping":
                while json.loads(await asyncio.wait_for(ws.recv(), 5))["kind"] != "pong":
                    pass
        connection_id = await _only_connection()
        # The scheduler's sweep, at a minute this connection is due a keepalive ping.
        minute = int(datetime(2026, 1, 5, 8, 0, tzinfo=UTC).timestamp()) // 60
        due = minute + (connection_shard(connection_id) - minute) % PING_EVERY_MINUTES
        scheduler = importlib.import_module("scheduler").handler
        event = {"time": datetime.fromtimestamp(due * 60, UTC).isoformat()}
        await asyncio.to_thread(iam.wrap("SchedulerFunction", scheduler), event, None)
        assert json.loads(await asyncio.wait_for(ws.recv(), 5)) == {"kind": "ping"}


async def _only_connection() -> str:
    table = _aws.client("dynamodb")
    for _ in range(500):
        items = table.scan(TableName=Settings.from_env().realtime_table)["Items"]
        ids = {
            i["pk"]["S"].removeprefix("CONN#") for i in items if i["pk"]["S"].startswith("CONN#")
        }
        if ids:
            (connection_id,) = ids
            return str(connection_id)
        await asyncio.sleep(0.01)
    raise AssertionError("the connection was never recorded")


@pytest.fixture
def socket_stack(iam: IamEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningGateway]:
    """The gateway and the token endpoint on one port, each handler under its role."""
    gateway = Gateway(handlers_under_roles(iam))
    tokens = iam.asgi("TokenFunction", token_api(Stepstream(id="iam-walk")))
    running = serve_in_thread(gateway, asgi=Starlette(routes=[*gateway.routes, Mount("", tokens)]))
    monkeypatch.setenv("STEPSTREAM_WS_MANAGEMENT_URL", running.management_url)
    yield running
    running.stop()


def test_a_browser_session_runs_under_the_roles(
    iam: IamEmulator, socket_stack: RunningGateway
) -> None:
    minted = httpx.post(
        f"{socket_stack.base_url}/v1/realtime/token",
        json={"channel": "orders", "topics": ["status"]},
        headers={"Authorization": f"Bearer {SIGNING_KEY}"},
    )
    assert minted.status_code == 201, minted.text

    asyncio.run(_session(iam, socket_stack.ws_url, minted.json()["jwt"]))

    assert denied(iam) == []


walk_app = Stepstream(id="iam-walk")
flaky_calls: list[int] = []


def _flaky() -> str:
    flaky_calls.append(1)
    if len(flaky_calls) == 1:
        raise RuntimeError("first attempt fails, so the retry path runs")
    return "ok"


@walk_app.function(id="walk", trigger="iam/walk", retries=2)
async def walk(ctx: Context) -> int:
    big = await ctx.step.run("big", lambda: "z" * (400 * 1024))  # over 350 KB: to S3
    await ctx.step.sleep("nap", "1s")  # a timer message
    await ctx.step.run("flaky", _flaky)  # a retry message
    return len(big)


def test_the_executor_runs_a_run_through_every_message_kind_under_its_role(
    iam: IamEmulator, aws: Provisioned, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEPSTREAM_RETRY_BASE_SECONDS", "0")
    monkeypatch.setenv("STEPSTREAM_HANDOVER_MS", "60000")  # every invocation hands over
    flaky_calls.clear()
    harness = Harness(walk_app, aws)
    harness.poller = SqsPoller(
        iam.wrap("ExecutorFunction", executor_handler(walk_app)),
        aws.queues["ExecutorQueue"],
        wait_seconds=0,
        timeout_ms=30_000,  # inside the hand-over margin; the poller ends invocations at it
    )
    with iam.enforce("ApiFunction"):  # what POST /e/{key} does
        event_id = harness.send("iam/walk")

    run = harness.finish(harness.run_of(event_id))

    assert run.status == "completed", run.error
    assert run.output == 400 * 1024
    assert harness.poller.invocations >= 4  # start, hand-overs, the timer, the retry
    listed = _aws.client("s3").list_objects_v2(Bucket=aws.buckets["OutputsBucket"])
    assert listed.get("KeyCount", 0) >= 1
    assert denied(iam) == []


@walk_app.function(id="nap", trigger="iam/nap")
async def nap(ctx: Context) -> None:
    await ctx.step.sleep("long", "1h")


def test_a_cancel_through_the_api_runs_under_its_role(iam: IamEmulator, aws: Provisioned) -> None:
    harness = Harness(walk_app, aws)
    harness.poller = SqsPoller(
        iam.wrap("ExecutorFunction", executor_handler(walk_app)),
        aws.queues["ExecutorQueue"],
        wait_seconds=0,
    )
    with iam.enforce("ApiFunction"):
        run_id = harness.run_of(harness.send("iam/nap"))
    harness.settle(run_id, "sleeping")

    with iam.enforce("ApiFunction"):  # what POST /v1/runs/{run_id}/cancel does
        cancelled = walk_app.runs.cancel(run_id)

    assert cancelled is not None
    assert cancelled.status == "cancelled"
    assert denied(iam) == []


@pytest.fixture(params=["ApiFunction", "StreamFunction"])
def hello_stack(
    iam: IamEmulator,
    aws: Provisioned,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> Iterator[str]:
    """The API (with the user's routes) or the streaming function's app, and the gateway on one
    port, and the executor draining the queue in the background, each under its role."""
    monkeypatch.setenv("STEPSTREAM_MODEL", "local")
    # A publisher for this test's tables (the app's own may point at an earlier test's).
    monkeypatch.setattr(user_app, "_realtime", Realtime(user_app.id))
    gateway = Gateway(handlers_under_roles(iam))
    served = (
        create_api(user_app, routers=[router])
        if request.param == "ApiFunction"
        else stream_api([router])
    )
    api = iam.asgi(request.param, served)
    running = serve_in_thread(gateway, asgi=Starlette(routes=[*gateway.routes, Mount("", api)]))
    monkeypatch.setenv("STEPSTREAM_WS_MANAGEMENT_URL", running.management_url)
    poller = SqsPoller(
        iam.wrap("ExecutorFunction", executor_handler(user_app)),
        aws.environment["STEPSTREAM_QUEUE_URL"],
        wait_seconds=0,
    )
    stop = threading.Event()

    def drain() -> None:
        while not stop.is_set():
            if not poller.poll_once(wait_seconds=0):
                stop.wait(0.05)

    thread = threading.Thread(target=drain, daemon=True)
    thread.start()
    yield running.base_url
    stop.set()
    thread.join(timeout=10)
    running.stop()
    if user_app._realtime is not None:
        user_app._realtime.close()


def test_the_hello_world_route_runs_under_the_api_role(iam: IamEmulator, hello_stack: str) -> None:
    with httpx.Client(timeout=30) as http:
        response = http.post(f"{hello_stack}/api/hello-world", json={})

    assert response.status_code == 200
    assert "Hello, world!" in response.text, response.text
    assert denied(iam) == []
