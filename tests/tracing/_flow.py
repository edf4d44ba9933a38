"""The scripted workflow the tracing tests run: a step, a step that fails once (so the run takes
two invocations, linked through SQS), and a durable publish."""

from __future__ import annotations

from stepstream import Context, Stepstream
from stepstream.handlers import executor_handler
from stepstream.local import SqsPoller
from stepstream.realtime import channel, topic
from stepstream.store import ConnectionStore

updates = channel(lambda run_id: f"traced:{run_id}").add_topic(topic("status").type(dict))


def make_app() -> Stepstream:
    app = Stepstream(id="traced")
    failures = {"left": 1}

    def fetch() -> int:
        return 1

    async def flaky() -> int:
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("flaky the first time")
        return 2

    @app.function(id="traced-flow", trigger="test/traced")
    async def flow(ctx: Context) -> int:
        a = await ctx.step.run("fetch", fetch)
        b = await ctx.step.run("flaky", flaky)
        await ctx.step.realtime.publish("tell", updates(ctx.run_id).status, {"sum": a + b})
        return a + b

    return app


def run_through_the_executor(app: Stepstream, queue_url: str) -> str:
    """Send the trigger, give the run's channel a subscriber (a connection that is gone: posting
    to it answers 410, so the fan-out has one target), and let the local poller feed the real
    executor handler from SQS until the run completes; returns the run id."""
    [event_id] = app.send({"name": "test/traced", "data": {}})
    run_id = app.runs.for_event(event_id)[0].run_id
    ConnectionStore().add("gone-connection", f"traced:{run_id}", ["status"], expires_at=2**31)
    poller = SqsPoller(executor_handler(app), queue_url)
    for _ in range(100):
        view = app.runs.get(run_id)
        if view is not None and view.status == "completed":
            return run_id
        poller.poll_once(wait_seconds=1)
    raise AssertionError(f"run {run_id} did not complete: {app.runs.get(run_id)}")
