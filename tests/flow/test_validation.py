"""GIVEN flow-control options on ``@app.function``
WHEN one of them is out of Inngest's bounds (bad CEL, a limit under 1, a period under 1 s or over
7 days, two singleton modes, debounce with batch)
THEN registration fails at once with an error naming the function and the option; valid ones
are kept on the function."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from stepstream import (
    Batch,
    Concurrency,
    Debounce,
    FlowConfigError,
    Priority,
    RateLimit,
    Singleton,
    Stepstream,
    Throttle,
    Timeouts,
)


def register(**options: Any) -> Any:
    app = Stepstream("validation")

    @app.function(id="summarize", trigger="app/doc.uploaded", **options)
    async def summarize(ctx: Any) -> None:
        return None

    return summarize


def test_every_option_is_accepted_and_kept() -> None:
    fn = register(
        concurrency=[Concurrency(limit=2, key="event.data.user_id"), Concurrency(limit=50)],
        throttle=Throttle(limit=10, period=timedelta(minutes=1), key="event.data.user_id", burst=2),
        rate_limit=RateLimit(limit=1, period=timedelta(hours=1), key="event.data.doc_id"),
        debounce=Debounce(period="5s", key="event.data.doc_id", timeout=timedelta(minutes=1)),
        priority=Priority(run="event.data.plan == 'pro' ? 120 : 0"),
        singleton=Singleton(key="event.data.user_id", mode="skip"),
        timeouts=Timeouts(start=timedelta(minutes=5), finish=timedelta(hours=1)),
    )
    assert fn.flow.concurrency[0].limit == 2
    assert fn.flow.throttle.burst == 2
    assert fn.flow.singleton.mode == "skip"
    assert fn.flow.any


def test_a_plain_number_is_a_function_wide_concurrency_limit() -> None:
    assert register(concurrency=3).flow.concurrency == (Concurrency(limit=3),)


def test_batch_is_accepted() -> None:
    fn = register(batch_events=Batch(max_size=100, timeout="5s", key="event.data.tenant"))
    assert fn.flow.batch_events.max_size == 100


@pytest.mark.parametrize(
    ("options", "option", "words"),
    [
        ({"concurrency": Concurrency(limit=2, key="event.data.(")}, "concurrency.key", "CEL"),
        ({"concurrency": Concurrency(limit=0)}, "concurrency.limit", "1 or more"),
        ({"concurrency": [Concurrency(limit=-1), Concurrency(2)]}, "concurrency[0].limit", ""),
        ({"concurrency": [Concurrency(limit=1)] * 3}, "concurrency", "at most 2"),
        ({"concurrency": Concurrency(limit=1, scope="env")}, "concurrency.key", "required"),
        ({"throttle": Throttle(limit=1, period="500ms")}, "throttle.period", "between"),
        ({"throttle": Throttle(limit=1, period=timedelta(days=8))}, "throttle.period", "between"),
        ({"throttle": Throttle(limit=0, period="1m")}, "throttle.limit", "1 or more"),
        ({"throttle": Throttle(limit=1, period="1m", burst=0)}, "throttle.burst", ""),
        ({"rate_limit": RateLimit(limit=1, period="25h")}, "rate_limit.period", "between"),
        ({"rate_limit": RateLimit(limit=1, period="1m", key="!!")}, "rate_limit.key", "CEL"),
        ({"debounce": Debounce(period="0.5s")}, "debounce.period", "between"),
        ({"debounce": Debounce(period="10s", timeout="5s")}, "debounce.timeout", "shorter"),
        (
            {"debounce": Debounce(period="5s"), "batch_events": Batch(max_size=2, timeout="5s")},
            "debounce",
            "batch_events",
        ),
        ({"batch_events": Batch(max_size=0, timeout="5s")}, "batch_events.max_size", ""),
        ({"batch_events": Batch(max_size=5, timeout="2m")}, "batch_events.timeout", "between"),
        ({"priority": Priority(run="event.data.plan ==")}, "priority.run", "CEL"),
        (
            {"singleton": [Singleton(mode="skip"), Singleton(mode="cancel")]},
            "singleton",
            "one mode",
        ),
        ({"singleton": Singleton(mode="queue")}, "singleton.mode", "skip"),  # type: ignore[arg-type]
        ({"timeouts": Timeouts()}, "timeouts", "start, finish"),
        ({"timeouts": Timeouts(start="-1s")}, "timeouts.start", ""),
    ],
)
def test_bad_options_fail_at_registration_naming_function_and_option(
    options: dict[str, Any], option: str, words: str
) -> None:
    with pytest.raises(FlowConfigError) as info:
        register(**options)
    message = str(info.value)
    assert message.startswith(f"function 'summarize': {option}:"), message
    assert words in message
