"""An app with one function limited to one running run, and how to park runs behind it."""

from __future__ import annotations

from stepstream import Context, Stepstream
from stepstream.engine._flow._concurrency import counters

from ..engine.harness import Harness


class OneSlot:
    """``flow-<name>``'s ``one-slot`` function (``concurrency=1``, trigger ``flow/<name>``)."""

    def __init__(self, name: str) -> None:
        self.trigger = f"flow/{name}"
        self.app = Stepstream(id=f"flow-{name}")

        @self.app.function(id="one-slot", trigger=self.trigger, concurrency=1)
        async def one_slot(ctx: Context) -> int:
            return int(await ctx.step.run("one", lambda: int(ctx.event.data["n"])))

    def key(self) -> str:
        """The function's concurrency key."""
        fn = self.app.get_function("one-slot")
        assert fn is not None
        return counters(fn, {"name": self.trigger, "data": {}})[0].limit.key

    def park(self, harness: Harness, n: int) -> str:
        """Send an event whose run finds the slot taken and waits in line; its run id."""
        run_id = harness.run_of(harness.send(self.trigger, {"n": n}))
        harness.poller.poll_once(wait_seconds=0)
        view = self.app.runs.get(run_id)
        assert view is not None
        assert view.held is not None, view
        assert view.held["reason"] == "concurrency"
        return run_id
