"""GIVEN the handlers with metrics off (the default off Lambda) or switched wrongly
WHEN an invocation runs THEN nothing is recorded (so nothing is printed); an unknown
``STEPSTREAM_METRICS`` value is refused by name."""

from __future__ import annotations

import pytest

from stepstream import _metrics
from stepstream._metrics._recorder import RECORDER
from stepstream.store import RunRecord

RUN = RunRecord("run-1", "fn", {})


def test_off_outside_lambda_records_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STEPSTREAM_METRICS", raising=False)
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    RECORDER.take()
    _metrics.begin()
    _metrics.run_started(RUN)
    _metrics.events_accepted(3)
    _metrics.realtime_posted(True)
    assert RECORDER.take() == ({}, {})


def test_on_lambda_unless_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "stepstream-executor")
    monkeypatch.delenv("STEPSTREAM_METRICS", raising=False)
    monkeypatch.delenv("POWERTOOLS_METRICS_DISABLED", raising=False)
    from stepstream._metrics._recorder import wanted

    assert wanted()
    monkeypatch.setenv("STEPSTREAM_METRICS", "off")
    assert not wanted()
    monkeypatch.delenv("STEPSTREAM_METRICS")
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    assert not wanted()


def test_an_unknown_switch_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEPSTREAM_METRICS", "yes please")
    with pytest.raises(ValueError, match="STEPSTREAM_METRICS='yes please'"):
        _metrics.begin()
