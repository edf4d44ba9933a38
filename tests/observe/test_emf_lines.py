"""GIVEN a scripted workflow run through the deployed handlers with metrics on (a run that
completes after a retried step, a sleep and a realtime publish to one live and one gone
subscriber; a run whose step gives up; one refused for a too-large publish; one cancelled by an
event; one event refused for its key)
WHEN the EMF lines they print on stdout are parsed, as CloudWatch would parse the log stream
THEN they carry the expected metrics with their units, in the ``stepstream`` namespace, with
only low-cardinality dimensions (``service``, ``function_id``), and no dimension names a run."""

from __future__ import annotations

from ._scenario import Observed

EXPECTED_UNITS = {
    "RunsStarted": "Count",
    "RunsCompleted": "Count",
    "RunsFailed": "Count",
    "RunsCancelled": "Count",
    "StepDuration": "Milliseconds",
    "StepRetries": "Count",
    "StepsFailed": "Count",
    "TimerLateness": "Milliseconds",
    "QueueDelay": "Milliseconds",
    "EventsAccepted": "Count",
    "EventsRefused": "Count",
    "RealtimePublished": "Count",
    "RealtimeTooLarge": "Count",
    "RealtimePosts": "Count",
    "RealtimeGone": "Count",
    "RealtimeDispatchLag": "Milliseconds",
    "FanoutShards": "Count",
}
PER_FUNCTION = {
    "RunsStarted",
    "RunsCompleted",
    "RunsFailed",
    "RunsCancelled",
    "StepDuration",
    "StepRetries",
    "StepsFailed",
    "TimerLateness",
}


def _values(observed: Observed, name: str, **dimensions: str) -> list[float]:
    found: list[float] = []
    for line in observed.emf:
        if name in line and all(line.get(k) == v for k, v in dimensions.items()):
            value = line[name]
            found.extend(value if isinstance(value, list) else [value])
    return found


def test_the_expected_metrics_and_units(observed: Observed) -> None:
    emitted = observed.metrics()
    wrong = {
        name: emitted.get(name)
        for name, unit in EXPECTED_UNITS.items()
        if emitted.get(name) != {unit}
    }
    assert not wrong, f"missing or with other units: {wrong}"


def test_counts_per_function(observed: Observed) -> None:
    assert sum(_values(observed, "RunsCompleted", function_id="metered")) == 1
    assert sum(_values(observed, "StepRetries", function_id="metered")) == 1
    assert sum(_values(observed, "RunsFailed", function_id="doomed")) == 1
    assert sum(_values(observed, "StepsFailed", function_id="doomed")) == 1
    assert sum(_values(observed, "RunsFailed", function_id="too-big")) == 1
    assert sum(_values(observed, "RunsCancelled", function_id="stoppable")) == 1
    started = {
        fn: sum(_values(observed, "RunsStarted", function_id=fn)) for fn in observed.function_ids
    }
    assert started == {"metered": 1, "doomed": 1, "too-big": 1, "stoppable": 1}
    # first, flaky (twice), tick: four body attempts in the metered run
    assert len(_values(observed, "StepDuration", function_id="metered")) == 4
    assert sum(_values(observed, "EventsAccepted")) == 5
    assert sum(_values(observed, "EventsRefused")) == 1
    assert sum(_values(observed, "RealtimeTooLarge")) == 1
    assert sum(_values(observed, "RealtimeGone")) == 1
    assert sum(_values(observed, "RealtimePosts")) >= 1
    assert set(_values(observed, "FanoutShards")) == {1.0}


def test_namespace_and_dimensions_stay_low_cardinality(observed: Observed) -> None:
    assert observed.emf
    for line in observed.emf:
        for directive in line["_aws"]["CloudWatchMetrics"]:
            assert directive["Namespace"] == "stepstream"
            dimensions = {name for names in directive["Dimensions"] for name in names}
            assert dimensions <= {"service", "function_id"}, line
            assert line["service"] == "stepstream"
            assert line.get("function_id", "metered") in observed.function_ids
            for name in dimensions:
                assert line[name] not in observed.run_ids
            per_function = {m["Name"] for m in directive["Metrics"]} & PER_FUNCTION
            assert not per_function or "function_id" in dimensions, line
    # run ids appear nowhere in a metric line, dimension or not
    text = repr(observed.emf)
    assert not [run_id for run_id in observed.run_ids if run_id in text]
