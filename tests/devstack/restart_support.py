"""What the reload and state-dir scenarios share: an app written to a temporary folder (so a
test can edit it as a developer would), the dev stack running it, and polling helpers with
generous deadlines (the stack shares a loaded machine)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from stepstream.config import DEV_EVENT_KEY, DEV_SIGNING_KEY
from tests.support.devprocess import DevProcess, cli_env

AUTH = {"Authorization": f"Bearer {DEV_SIGNING_KEY}"}
MODULE = "restart_app"

APP = """
from stepstream import Context, Stepstream
from stepstream.realtime import channel, topic

app = Stepstream(id="restart-test")
VERSION = "v1"
updates = channel("restart-updates").add_topic(topic("progress").type(dict))


def _version() -> str:
    return VERSION


@app.function(id="nap", trigger="test/nap", retries=0)
async def nap(ctx: Context) -> dict[str, str]:
    first = await ctx.step.run("first", _version)
    await ctx.publish(updates().progress, {"run_id": ctx.run_id, "before": first})
    await ctx.step.sleep("nap", ctx.event.data.get("sleep", "10s"))
    second = await ctx.step.run("second", _version)
    await ctx.publish(updates().progress, {"run_id": ctx.run_id, "after": second})
    return {"first": first, "second": second}


@app.function(id="approval", trigger="test/approve", retries=0)
async def approval(ctx: Context) -> dict[str, object]:
    answer = await ctx.step.wait_for_event(
        "answer", event="test/approved", timeout="1h", match="data.id"
    )
    return {"approved_by": answer.data["by"] if answer else None}
"""


def write_app(folder: Path, source: str = APP) -> Path:
    path = folder / f"{MODULE}.py"
    path.write_text(source)
    return path


def edit(path: Path, *changes: tuple[str, str]) -> None:
    """Save ``(old, new)`` changes in one write, as an editor saves: the whole file."""
    text = path.read_text()
    for old, new in changes:
        assert old in text, f"{old!r} is not in {path}"
        text = text.replace(old, new)
    path.write_text(text)


def start(folder: Path, *args: str) -> DevProcess:
    """``stepstream dev`` running the app in ``folder``; returns once it serves."""
    env = cli_env(
        STEPSTREAM_APP=f"{MODULE}:app",
        PYTHONPATH=str(folder) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    stack = DevProcess(*args, env=env)
    try:
        stack.wait_ready()
    except BaseException:
        stack.kill()
        raise
    return stack


def send(stack: DevProcess, name: str, data: dict[str, Any] | None = None) -> str:
    answer = httpx.post(
        f"{stack.url}/e/{DEV_EVENT_KEY}", json={"name": name, "data": data or {}}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["ids"][0])


def until(what: str, check: Callable[[], Any], stack: DevProcess, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"{what} did not happen within {timeout} s:\n{stack.output}")


def run_of(stack: DevProcess, event_id: str) -> dict[str, Any] | None:
    runs = httpx.get(f"{stack.url}/v1/events/{event_id}/runs", headers=AUTH, timeout=30)
    data = runs.json()["data"]
    return dict(data[0]) if data else None


def run_in_state(stack: DevProcess, event_id: str, *states: str) -> dict[str, Any]:
    def check() -> dict[str, Any] | None:
        run = run_of(stack, event_id)
        return run if run is not None and run["state"] in states else None

    found: dict[str, Any] = until(f"a run of {event_id} in {states}", check, stack)
    return found


def printed(stack: DevProcess, text: str, after: int = 0) -> str | None:
    """The first line from ``after`` on that contains ``text``."""
    return next((line for line in stack.lines[after:] if text in line), None)
