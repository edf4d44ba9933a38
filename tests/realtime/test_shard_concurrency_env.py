"""GIVEN ``STEPSTREAM_FANOUT_CONCURRENCY`` WHEN the fan-out function sizes its posting pool THEN
a whole number 1-1024 is taken, nothing means the default, and anything else is refused."""

from __future__ import annotations

import pytest

from stepstream.realtime._shard_fanout import (
    CONCURRENCY_ENV,
    DEFAULT_CONCURRENCY,
    concurrency_from_env,
)


def test_unset_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(CONCURRENCY_ENV, raising=False)
    assert concurrency_from_env() == DEFAULT_CONCURRENCY


@pytest.mark.parametrize("raw", ["1", "256", " 1024 "])
def test_a_whole_number_in_range_is_taken(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(CONCURRENCY_ENV, raw)
    assert concurrency_from_env() == int(raw)


@pytest.mark.parametrize("raw", ["0", "1025", "-4", "12.5", "many"])
def test_anything_else_is_refused(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv(CONCURRENCY_ENV, raw)
    with pytest.raises(ValueError, match=CONCURRENCY_ENV):
        concurrency_from_env()
