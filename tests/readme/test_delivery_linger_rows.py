"""GIVEN bench.delivery's plan and results THEN the goal rate is measured at the default linger
(every client) and at the linger for fewer messages (our clients only: the official one never
coalesces), each README row names its linger and the goal that setting is for, a results file
from before the linger keeps its old rows, and a bad subset option is refused."""

from __future__ import annotations

from typing import Any

import pytest

from bench import delivery

OURS = ("subscribe.js", "python subscribe", "stepstream tail")


def _row(client: str, linger: float | None, **extra: Any) -> dict[str, Any]:
    row = {
        "client": client,
        "tokens_per_second": 200,
        "lag_p50_ms": 50.0,
        "lag_p99_ms": 70.0,
        "messages_per_500_tokens": 73.0,
        **extra,
    }
    if linger is not None or extra.get("official"):
        row["linger_ms"] = linger
    row.pop("official", None)
    return row


def test_the_goal_rate_is_measured_at_both_settings() -> None:
    steps = delivery.plan([50, 200], (*OURS, delivery.OFFICIAL), None)
    default = delivery.default_linger_ms()
    assert steps == [
        (50, default, (*OURS, delivery.OFFICIAL)),
        (200, default, (*OURS, delivery.OFFICIAL)),
        (200, delivery.FEWER_MESSAGES_LINGER_MS, OURS),
    ]
    # the message goal's linger leaves room for <= 25 messages at 30 ms posts
    period = delivery.POST_LATENCY_MS + delivery.FEWER_MESSAGES_LINGER_MS
    assert 2500 / period + 1 <= 25


def test_given_lingers_are_run_as_asked() -> None:
    steps = delivery.plan([200], (delivery.OFFICIAL, "subscribe.js"), [0, 40])
    assert steps == [(200, 0, (delivery.OFFICIAL, "subscribe.js")), (200, 40, ("subscribe.js",))]
    assert delivery.plan([200], (delivery.OFFICIAL,), [0, 40]) == [(200, 0, (delivery.OFFICIAL,))]


def test_each_row_names_its_linger_and_goal() -> None:
    report = {
        "post_latency_ms": 30,
        "default_linger_ms": 0.0,
        "results": [
            _row("subscribe.js", 0.0),
            _row("subscribe.js", 80.0, messages_per_500_tokens=22.0, lag_p99_ms=149.0),
            _row(delivery.OFFICIAL, None, official=True, messages_per_second_received=28.7),
        ],
    }
    rows = delivery.readme_rows(report)
    assert [(r.what, r.target) for r in rows] == [
        (
            "token lag at 200 tokens/s, 30 ms posts, linger 0 ms: subscribe.js",
            "p99 ≤ 100 ms (the lag goal's setting)",
        ),
        (
            "token lag at 200 tokens/s, 30 ms posts, linger 80 ms: subscribe.js",
            "≤ 25 messages (the message goal's setting)",
        ),
        (
            "token lag at 200 tokens/s, 30 ms posts: inngest (official)",
            "ceiling: 1 message per post, ≈ 33/s",
        ),
    ]
    assert rows[2].result.endswith("(28.7 received per second)")


def test_a_results_file_from_before_the_linger_keeps_its_rows() -> None:
    report = {"post_latency_ms": 30, "results": [_row("subscribe.js", None)]}
    [row] = delivery.readme_rows(report)
    assert row.what == "token lag at 200 tokens/s, 30 ms posts: subscribe.js"
    assert row.target == "p99 ≤ 100 ms, ≤ 25 messages"


@pytest.mark.parametrize(
    "argv", [["--clients", "subscribe.js,telnet"], ["--tokens", "5"], ["--rates", "x", "--bogus"]]
)
def test_a_bad_subset_option_is_refused(argv: list[str]) -> None:
    with pytest.raises(SystemExit):
        delivery._arguments(argv)
