"""Drive ``workflow.chaos`` runs to the end and check what must hold after any faults.

``Driver`` sends the start events, answers each run's wait once it is stored (sometimes twice,
under a second event id, and with extra ``resume`` messages), and resends an event whose
ingestion crashed. ``check`` then asserts the invariants; the journal decides whether a body
ran more often than the fault model allows."""

from __future__ import annotations

import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from stepstream import Stepstream
from stepstream.engine import _faults
from stepstream.store import RunRecord, StepRecord

from .workflow import BODY_STEPS

STEP_IDS = ["a", "answer", "b", "child", "nap"]
CLAIM_LAPSE_SECONDS = 1.2
"""How long a resend waits after a crash in ingestion: past the (shortened) event claim."""


@dataclass
class Driver:
    app: Stepstream
    runs: int
    publish: bool
    seed: int
    crashes_in_ingestion: int = 0
    answers: int = 0
    extra_resumes: int = 0
    run_ids: dict[int, str] = field(default_factory=dict)
    _answered: set[int] = field(default_factory=set)
    _retry: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def send(self, events: Iterable[dict[str, Any]]) -> None:
        """Send each event; one whose ingestion 'crashed' is sent again, with the same id, once
        its claim has lapsed, as a client retries after an error."""
        for event in events:
            try:
                self.app.send(event)
            except _faults.SimulatedCrash:
                self.crashes_in_ingestion += 1
                self._retry.append((time.monotonic() + CLAIM_LAPSE_SECONDS, event))

    def start(self) -> None:
        events = [
            {"name": "chaos/start", "id": f"start-{self.seed}-{n}", "data": self._data(n)}
            for n in range(self.runs)
        ]
        self.send(events)

    def _data(self, n: int) -> dict[str, Any]:
        return {"n": n, "publish": self.publish}

    def step(self) -> bool:
        """One pass: resend what crashed, answer the waits now stored; True when every run
        (and its child) completed."""
        due = [e for at, e in self._retry if at <= time.monotonic()]
        self._retry = [(at, e) for at, e in self._retry if at > time.monotonic()]
        self.send(due)
        state = self.app.backends().state
        runs = {r.run_id: r for r in state.recent_runs(self.runs * 3, "chaos")}
        for run in runs.values():
            n = int(run.event["data"]["n"])
            self.run_ids[n] = run.run_id
            if n in self._answered or run.status != "waiting":
                continue
            steps = {s.id: s for s in state.load_steps(run.run_id)}
            if "answer" in steps and steps["answer"].status == "waiting":
                self._answer(n, run.run_id)
        if self._retry or len(runs) < self.runs:
            return False
        children = state.recent_runs(self.runs * 3, "chaos-child")
        return all(r.status == "completed" for r in runs.values()) and len(children) == self.runs

    def _answer(self, n: int, run_id: str) -> None:
        self._answered.add(n)
        self.answers += 1
        answer = {"name": "chaos/answer", "id": f"answer-{self.seed}-{n}", "data": {"n": n}}
        events = [answer]
        roll = self.rng.random()
        if roll < 0.2:
            events.append(dict(answer))  # the same id again: deduplicated
        elif roll < 0.4:
            events.append({**answer, "id": f"answer2-{self.seed}-{n}"})  # a second match
        self.send(events)
        if self.rng.random() < 0.3:
            queue = self.app.backends().queue
            for _ in range(self.rng.randint(1, 3)):
                queue.send({"run_id": run_id, "kind": "resume"})
                self.extra_resumes += 1

    def drive(self, timeout: float, between: Callable[[], None] | None = None) -> None:
        deadline = time.monotonic() + timeout
        while not self.step():
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"not every run completed in {timeout} s: {self.progress()}; "
                    f"unfinished: {self.unfinished()}"
                )
            if between is not None:
                between()
            time.sleep(0.3)

    def unfinished(self) -> list[tuple[str, str, str, Any]]:
        state = self.app.backends().state
        return [
            (r.run_id, r.function_id, r.status, r.error)
            for r in state.recent_runs(self.runs * 3, None)
            if r.status != "completed"
        ][:10]

    def progress(self) -> dict[str, int]:
        state = self.app.backends().state
        return dict(Counter(r.status for r in state.recent_runs(self.runs * 3, None)))


@dataclass
class Outcome:
    body_runs: int
    body_reruns: int
    overruns: int
    """Checkpoints reached so late that the lease may have lapsed, or that failed on a store
    error: each allows one more execution of its body."""


def check(
    app: Stepstream,
    driver: Driver,
    journal: list[dict[str, Any]],
    lost_before_checkpoint: Callable[[str, str, list[dict[str, Any]]], int],
    history: Callable[[int], list[dict[str, Any]]] | None,
) -> Outcome:
    """The invariants: every run and child completed with one stored, final result per step,
    the function saw exactly the stored results, every wait got its answer, no lease is held,
    a durable publish is kept exactly once per message id, and no body ran more often than
    the fault model allows (``lost_before_checkpoint(run, hash, executions)``: how many of its
    executions could have died or lost the lease before their checkpoint)."""
    state = app.backends().state
    starts: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    ends: dict[tuple[str, str], set[str]] = defaultdict(set)
    overruns: Counter[tuple[str, str]] = Counter()
    for line in journal:
        if line["kind"] == "start":
            starts[(line["run"], line["step"])].append(line)
        elif line["kind"] == "end":
            ends[(line["run"], line["step"])].add(line["token"])
        elif line["kind"] in ("overrun", "store_error"):
            overruns[(line["run"], line["hash"])] += 1
    reruns = 0

    def one_body(run_id: str, step: StepRecord) -> None:
        nonlocal reruns
        key = (run_id, step.id)
        token = str(step.output_json).strip('"')
        # not lost: the stored result is what a body execution returned
        assert token in ends[key], f"{key}: stored {token!r} no body execution returned"
        extra = len(starts[key]) - 1
        allowed = (
            lost_before_checkpoint(run_id, step.hash, starts[key]) + overruns[(run_id, step.hash)]
        )
        assert extra <= allowed, (
            f"{key}: body ran {extra + 1} times, the faults allow {allowed}: {starts[key]}, "
            f"{[line for line in journal if line.get('run') == run_id]}"
        )
        reruns += extra

    assert len(driver.run_ids) == driver.runs
    for n, run_id in sorted(driver.run_ids.items()):
        record, steps = state.load_run(run_id)
        assert record is not None, n
        assert record.status == "completed", (n, record)
        _no_lease(record)
        assert sorted(s.id for s in steps) == STEP_IDS + (["pub"] if driver.publish else []), steps
        assert all(s.status == "ok" for s in steps), [(s.id, s.status) for s in steps]
        by_id = {s.id: s for s in steps}
        output = json.loads(record.output_json or "null")
        for name in BODY_STEPS:
            one_body(run_id, by_id[name])
            assert output[name] == json.loads(by_id[name].output_json or "null")
        assert output["answer"] == n, f"run {n} missed its answer: {output}"
        child = by_id["child"].detail["child_run_id"]
        child_record, child_steps = state.load_run(str(child))
        assert child_record is not None, n
        assert child_record.status == "completed", (n, child_record)
        _no_lease(child_record)
        assert [s.id for s in child_steps] == ["c"]
        one_body(str(child), child_steps[0])
        assert output["c"] == json.loads(child_steps[0].output_json or "null")
        if driver.publish and history is not None:
            message_id = f"{run_id}:{by_id['pub'].hash}"
            kept = [f for f in history(n) if f.get("id") == message_id]
            assert len(kept) == 1, f"run {n}: durable message kept {len(kept)} times"
            assert output["published"] == message_id
    return Outcome(
        body_runs=sum(len(v) for v in starts.values()),
        body_reruns=reruns,
        overruns=sum(overruns.values()),
    )


def _no_lease(record: RunRecord) -> None:
    assert record.lease_owner is None, f"run {record.run_id} still leased by {record.lease_owner}"
    assert record.lease_until is None, f"run {record.run_id} still has a lease"
