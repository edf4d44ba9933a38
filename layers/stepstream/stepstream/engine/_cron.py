"""Cron triggers: each minute's tick starts the runs due that minute, once per function and
minute however often the tick is delivered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from .._function import TriggerCron
from .._states import DEDUPE_MS
from ._ids import now_ms, ulid_from
from ._ports import Engine
from ._start import start_run

CRON_EVENT = "stepstream/scheduled.timer"


def tick(engine: Engine, now: datetime | None = None) -> list[str]:
    """Start every cron run due in the minute of ``now`` (default: the current minute); returns
    the ids of the runs started."""
    from croniter import croniter

    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(second=0, microsecond=0)
    backends = engine.backends
    started: list[str] = []
    for fn in engine.registry.functions.values():
        for trigger in fn.triggers:
            if not isinstance(trigger, TriggerCron):
                continue
            local = moment.astimezone(ZoneInfo(trigger.tz))
            if not croniter.match(trigger.cron, local):
                continue
            stamp = moment.strftime("%Y%m%dT%H%M")
            ms = now_ms()
            event: dict[str, Any] = {
                "name": CRON_EVENT,
                "id": f"cron-{fn.id}-{stamp}",
                "ts": int(moment.timestamp() * 1000),
                "data": {"cron": trigger.cron, "tz": trigger.tz, "minute": moment.isoformat()},
                "user": {},
            }
            run_id = ulid_from(event["ts"], f"{event['id']}\0{trigger.cron}")
            if not backends.state.claim_key(
                f"CRON#{fn.id}#{trigger.cron}#{stamp}", run_id, ms + DEDUPE_MS, ms
            ):
                continue
            run = start_run(backends, fn, event, run_id=run_id)
            if run is not None:
                started.append(run.run_id)
    return started
