"""GIVEN events sent with app.send WHEN they repeat, carry idempotency keys, fail a trigger's
if_exp or are malformed THEN duplicates start nothing, keys start one run per 24 h, filtered
events start nothing, and bad events are refused with the field named."""

from __future__ import annotations

import time

import pytest

from stepstream import (
    Context,
    EventValidationError,
    PayloadTooLargeError,
    Stepstream,
    TriggerEvent,
)

from .harness import EngineEnv, Harness

app = Stepstream(id="test-events")


@app.function(id="plain", trigger="test/ev")
async def plain(ctx: Context) -> str:
    return str(ctx.event.data.get("n"))


@app.function(id="once-per-user", trigger="test/signup", idempotency="event.data.user")
async def once_per_user(ctx: Context) -> str:
    return str(ctx.event.data["user"])


@app.function(
    id="big-orders",
    trigger=[TriggerEvent(event="test/order", if_exp="event.data.total > 100"), "test/vip"],
)
async def big_orders(ctx: Context) -> str:
    return ctx.event.name


@pytest.mark.also_on_aws
def test_repeated_event_id_starts_no_second_run(engine_env: EngineEnv) -> None:
    h = Harness(app, engine_env)
    first = app.send({"name": "test/ev", "data": {"n": 1}, "id": "evt-1"})
    second = app.send({"name": "test/ev", "data": {"n": 2}, "id": "evt-1"})

    assert first == second == ["evt-1"]
    runs = app.runs.for_event("evt-1")
    assert len(runs) == 1
    assert h.finish(runs[0].run_id).output == "1"


def test_idempotency_key_starts_one_run_per_value(engine_env: EngineEnv) -> None:
    a = app.send({"name": "test/signup", "data": {"user": "u1"}})
    b = app.send({"name": "test/signup", "data": {"user": "u1"}})
    c = app.send({"name": "test/signup", "data": {"user": "u2"}})

    assert len(app.runs.for_event(a[0])) == 1
    assert app.runs.for_event(b[0]) == []
    assert len(app.runs.for_event(c[0])) == 1


def test_trigger_if_exp_filters_and_lists_of_triggers_work(engine_env: EngineEnv) -> None:
    small, big, vip = app.send(
        [
            {"name": "test/order", "data": {"total": 5}},
            {"name": "test/order", "data": {"total": 500}},
            {"name": "test/vip", "data": {}},
        ]
    )
    assert app.runs.for_event(small) == []
    assert len(app.runs.for_event(big)) == 1
    assert len(app.runs.for_event(vip)) == 1


def test_events_are_readable(engine_env: EngineEnv) -> None:
    [event_id] = app.send({"name": "test/ev", "data": {"n": 3}, "user": {"id": "u"}})
    stored = app.events.get(event_id)
    assert stored is not None
    assert stored.data == {"n": 3}
    assert stored.user == {"id": "u"}
    assert stored.received_at is not None
    assert [e.id for e in app.events.recent(limit=1)] == [event_id]
    assert app.events.get("missing") is None


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"data": {}}, "event.name is required"),
        ({"name": ""}, "event.name is required"),
        ({"name": 3}, "event.name is required"),
        ({"name": "x", "data": [1]}, "event.data must be a JSON object"),
        ({"name": "x", "user": "bob"}, "event.user must be a JSON object"),
        ({"name": "x", "id": 5}, "event.id must be a string"),
        ({"name": "x", "ts": -1}, "event.ts must be a non-negative integer"),
        ({"name": "x", "ts": "today"}, "event.ts must be a non-negative integer"),
        ({"name": "x" * 300}, "longer than 256"),
        ({"name": "x", "id": "i" * 300}, r"event\.id is longer than 256"),
        ("not an object", "must be a JSON object"),
    ],
)
def test_malformed_events_name_the_bad_field(
    engine_env: EngineEnv, event: object, message: str
) -> None:
    with pytest.raises(EventValidationError, match=message):
        app.send(event)  # type: ignore[arg-type]


def test_one_bad_event_in_a_list_stores_nothing(engine_env: EngineEnv) -> None:
    with pytest.raises(EventValidationError, match=r"event\[1\]\.name"):
        app.send([{"name": "test/ev", "id": "good-one"}, {"data": {}}])
    assert app.events.get("good-one") is None


def test_oversized_event_is_refused_with_sizes(engine_env: EngineEnv) -> None:
    with pytest.raises(PayloadTooLargeError, match="limit is 524288 bytes"):
        app.send({"name": "test/ev", "data": {"blob": "x" * 600_000}})


@pytest.mark.also_on_aws
def test_large_event_within_limit_is_stored(engine_env: EngineEnv) -> None:
    # 450 KB does not fit in a DynamoDB item; it is kept in S3 and read back
    h = Harness(app, engine_env)
    [event_id] = app.send({"name": "test/ev", "data": {"n": "y" * 450_000}})
    run = h.finish(h.run_of(event_id))
    assert run.output == "y" * 450_000


@pytest.mark.also_on_aws
def test_an_ingestion_that_died_half_way_is_redone_by_the_next_send(
    engine_env: EngineEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stepstream.engine import _faults, _ingest

    # GIVEN ingestion dies after storing the event, before starting its runs, and its claim
    # lapses at once
    monkeypatch.setattr(_ingest, "EVENT_CLAIM_MS", 0)

    def die(point: str, event_id: str, _: str) -> None:
        if point == _faults.EVENT_STORED:
            raise _faults.SimulatedCrash()

    app.fault_hook = die
    try:
        with pytest.raises(_faults.SimulatedCrash):
            app.send({"name": "test/ev", "data": {"n": 9}, "id": "half-done"})
    finally:
        app.fault_hook = None
    assert app.runs.for_event("half-done") == []
    time.sleep(0.002)  # the claim lapses (EVENT_CLAIM_MS = 0)

    # WHEN the client sends the same event again THEN the run starts, once
    app.send({"name": "test/ev", "data": {"n": 9}, "id": "half-done"})
    app.send({"name": "test/ev", "data": {"n": 9}, "id": "half-done"})
    runs = app.runs.for_event("half-done")
    assert len(runs) == 1
    assert Harness(app, engine_env).finish(runs[0].run_id).output == "9"


def test_a_duplicate_while_the_first_ingestion_is_running_starts_nothing(
    engine_env: EngineEnv,
) -> None:
    from stepstream.engine import _faults

    inner: list[list[str]] = []

    def duplicate_meanwhile(point: str, event_id: str, _: str) -> None:
        if point == _faults.EVENT_STORED and not inner:
            inner.append(app.send({"name": "test/ev", "data": {"n": 1}, "id": "busy"}))

    app.fault_hook = duplicate_meanwhile
    try:
        app.send({"name": "test/ev", "data": {"n": 1}, "id": "busy"})
    finally:
        app.fault_hook = None

    assert inner == [["busy"]]
    assert len(app.runs.for_event("busy")) == 1


@pytest.mark.also_on_aws
@pytest.mark.parametrize("identifier", ["", "x" * 5000, "RUN#../../etc", "\x00"])
def test_read_api_answers_hostile_ids_with_nothing(engine_env: EngineEnv, identifier: str) -> None:
    assert app.runs.get(identifier) is None
    assert app.runs.cancel(identifier) is None
    assert app.runs.for_event(identifier) == []
    assert app.events.get(identifier) is None
