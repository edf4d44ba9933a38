"""GIVEN Inngest's ``"TZ=Europe/Paris 0 9 * * *"`` cron form WHEN it is defined and ticked THEN
it reads like ``cron="0 9 * * *", tz="Europe/Paris"``; conflicting or unknown zones are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stepstream import Context, Stepstream, TriggerCron
from tests.engine.harness import EngineEnv, Harness

app = Stepstream(id="runops-cron-tz")


@app.function(id="morning", trigger=TriggerCron("TZ=Europe/Paris 0 9 * * *"))
async def morning(ctx: Context) -> str:
    return str(ctx.event.data["tz"])


def test_the_prefix_becomes_the_time_zone() -> None:
    trigger = TriggerCron("TZ=Europe/Paris 0 9 * * *")
    assert (trigger.cron, trigger.tz) == ("0 9 * * *", "Europe/Paris")
    assert TriggerCron("CRON_TZ=Asia/Tokyo */5 * * * *").tz == "Asia/Tokyo"


@pytest.mark.also_on_aws
def test_it_fires_at_nine_in_paris(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    # 08:00 UTC in January is 09:00 in Paris; 09:00 UTC is not
    assert app.tick(datetime(2026, 1, 15, 9, 0, tzinfo=UTC)) == []
    [run_id] = app.tick(datetime(2026, 1, 15, 8, 0, tzinfo=UTC))
    assert h.finish(run_id).output == "Europe/Paris"


@pytest.mark.parametrize(
    ("cron", "tz", "says"),
    [
        ("TZ=Europe/Paris 0 9 * * *", "Asia/Tokyo", "give the time zone once"),
        ("TZ=Mars/Olympus 0 9 * * *", "UTC", "unknown time zone"),
        ("0 9 * * *", "Nowhere", "unknown time zone"),
    ],
)
def test_conflicting_or_unknown_zones_are_refused(cron: str, tz: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        TriggerCron(cron, tz=tz)
