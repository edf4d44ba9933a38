"""GIVEN cron-triggered functions WHEN the scheduler ticks (even twice for one minute) THEN
each function that is due starts one run for that minute, read in its time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stepstream import Context, Stepstream, TriggerCron

from .harness import EngineEnv, Harness

app = Stepstream(id="test-cron")


@app.function(id="every-5", trigger=TriggerCron(cron="*/5 * * * *"))
async def every_5(ctx: Context) -> str:
    return str(ctx.event.data["minute"])


@app.function(id="nine-in-paris", trigger=TriggerCron(cron="0 9 * * *", tz="Europe/Paris"))
async def nine_in_paris(ctx: Context) -> str:
    return "bonjour"


@pytest.mark.also_on_aws
def test_due_functions_start_once_per_minute(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    at = datetime(2026, 1, 5, 8, 0, 17, tzinfo=UTC)  # 09:00 in Paris, and a multiple of 5

    started = app.tick(at)
    again = app.tick(at.replace(second=40))  # a duplicate delivery for the same minute

    assert len(started) == 2
    assert again == []
    outputs = {h.finish(r).function_id: h.finish(r).output for r in started}
    assert outputs == {"every-5": "2026-01-05T08:00:00+00:00", "nine-in-paris": "bonjour"}


def test_nothing_due_starts_nothing(engine_env: EngineEnv) -> None:
    assert app.tick(datetime(2026, 1, 5, 8, 3, tzinfo=UTC)) == []


def test_invalid_cron_is_refused_at_definition() -> None:
    with pytest.raises(ValueError, match="invalid cron expression"):
        TriggerCron(cron="every tuesday")


def test_scheduler_handler_uses_the_scheduled_time(
    engine_env: EngineEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scheduler  # functions/scheduler.py

    monkeypatch.setattr(scheduler, "load_app", lambda: app)
    result = scheduler.handler(
        {"time": "2026-01-05T08:10:00Z", "detail-type": "Scheduled Event"}, None
    )
    assert len(result["started"]) == 1
