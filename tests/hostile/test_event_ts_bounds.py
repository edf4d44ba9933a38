"""GIVEN events whose ``ts`` is outside what Inngest accepts (before 1980-01-01, after
2100-01-01, past JavaScript's last date, 10^30)
WHEN they are validated (every way in: app.send, the event API)
THEN they are refused naming the range; 0 still means "when received", and a whole number
written as 1.7e12 is the integer it is."""

from __future__ import annotations

import pytest

from stepstream import EventValidationError
from stepstream._event import MAX_TS, MIN_TS, validate_event


@pytest.mark.parametrize("ts", [1, MIN_TS - 1, MAX_TS + 1, 8_640_000_000_000_001, 10**30])
def test_a_ts_outside_1980_to_2100_is_refused(ts: int) -> None:
    with pytest.raises(EventValidationError, match="between 1980-01-01 and 2100-01-01"):
        validate_event({"name": "a", "ts": ts})


@pytest.mark.parametrize(("ts", "stored"), [(0, 0), (MIN_TS, MIN_TS), (1.7e12, 1_700_000_000_000)])
def test_ts_in_range_or_zero_is_kept(ts: float, stored: int) -> None:
    event = validate_event({"name": "a", "ts": ts})
    assert event.ts == stored
    assert type(event.ts) is int


def test_a_fractional_ts_is_refused() -> None:
    with pytest.raises(EventValidationError, match="non-negative integer"):
        validate_event({"name": "a", "ts": 1.7e12 + 0.5})
