"""GIVEN mistakes in function definitions or step calls WHEN they are made THEN they are refused
with a message saying what is wrong, at definition time where possible."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from stepstream import CancelOn, Context, Stepstream, TriggerEvent
from stepstream._durations import to_seconds
from stepstream.engine._cel import ExpressionError

from .harness import EngineEnv, Harness


def test_duplicate_function_ids_are_refused() -> None:
    app = Stepstream(id="dup")

    @app.function(id="f", trigger="x")
    async def f(ctx: Context) -> None: ...

    with pytest.raises(ValueError, match="registered twice"):

        @app.function(id="f", trigger="y")
        async def g(ctx: Context) -> None: ...


@pytest.mark.parametrize(
    "options",
    [
        {"trigger": TriggerEvent(event="x", if_exp="event.data.x >")},
        {"trigger": "x", "idempotency": "event.data."},
        {"trigger": "x", "cancel_on": [CancelOn(event="y", if_exp="(")]},
    ],
)
def test_invalid_cel_in_options_is_refused_at_definition(options: dict[str, object]) -> None:
    app = Stepstream(id="cel")
    with pytest.raises(ExpressionError, match="invalid CEL expression"):
        app.function(id="f", **options)  # type: ignore[arg-type]


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="non-empty app id"):
        Stepstream(id="")
    with pytest.raises(ValueError, match="retries must be 0 or more"):
        Stepstream(id="a").function(id="f", retries=-1)
    with pytest.raises(TypeError, match="trigger must be"):
        Stepstream(id="a").function(id="f", trigger=[42])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="either if_exp or match"):
        CancelOn(event="x", if_exp="true", match="data.id")


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("30s", 30),
        ("15m", 900),
        ("1h30m", 5400),
        ("250ms", 0.25),
        (timedelta(seconds=2.5), 2.5),
        ("1y", 31536000),
    ],
)
def test_durations(value: str | timedelta, seconds: float) -> None:
    assert to_seconds(value) == seconds


@pytest.mark.parametrize("value", ["", "soon", "5 parsecs", "-1s", "2y", True, None, "1h 3x"])
def test_bad_durations(value: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        to_seconds(value)  # type: ignore[arg-type]


app = Stepstream(id="test-definitions")


@app.function(id="unserialisable", trigger="test/unserialisable", retries=0)
async def unserialisable(ctx: Context) -> str:
    try:
        await ctx.step.run("set", lambda: {1, 2})
    except Exception as exc:
        return str(exc)
    return "stored a set?"


@app.function(id="naive", trigger="test/naive", retries=0)
async def naive(ctx: Context) -> None:
    await ctx.step.sleep_until("when", datetime(2030, 1, 1))


@pytest.mark.also_on_aws
def test_non_json_step_output_is_a_clear_step_error(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    run = h.finish(h.run_of(h.send("test/unserialisable")))
    assert "must be JSON-serialisable or a pydantic model" in run.output


def test_naive_datetime_is_refused(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    run = h.finish(h.run_of(h.send("test/naive")))
    assert run.error is not None
    assert "timezone-aware" in run.error["message"]
