"""GIVEN the human-in-the-loop example WHEN it asks on ``agentic-workflow`` THEN only an
``agentic-workflow/confirmation`` with the same ``confirmationUUid`` resumes it: confirmed
continues, ``confirmed: false`` rejects, and no answer times out; each outcome is published
with the request's ``confirmationUUid``."""

from __future__ import annotations

from typing import Any

import pytest

from stepstream import Stepstream
from tests.engine.harness import Harness

from .conftest import RecordingRealtime

CHANNEL = "agentic-workflow"


def ask(harness: Harness, realtime: RecordingRealtime, **data: Any) -> tuple[str, str]:
    run_id = harness.run_of(harness.send("agentic-workflow/start", data))
    harness.settle(run_id, "waiting")
    [request] = realtime.on(CHANNEL, "messages")
    assert request["message"] == "Confirm to proceed?"
    return run_id, request["confirmationUUid"]


def test_confirmation_resumes_and_continues(
    app: Stepstream, harness: Harness, realtime: RecordingRealtime
) -> None:
    run_id, uuid = ask(harness, realtime, task="write the summary")

    # WHEN a reply for another request arrives, THEN the run keeps waiting
    harness.send("agentic-workflow/confirmation", {"confirmationUUid": "other", "confirmed": True})
    harness.drive(lambda: harness.poller.poll_once(0) == 0)
    assert harness.status(run_id) == "waiting"

    harness.send("agentic-workflow/confirmation", {"confirmationUUid": uuid, "confirmed": True})
    run = harness.finish(run_id)

    assert run.status == "completed", run.error
    assert run.output == {"outcome": "confirmed", "confirmationUUid": uuid}
    outcome = realtime.on(CHANNEL, "messages")[-1]
    assert outcome == {
        "message": "Confirmed. Prepared: write the summary, done.",
        "confirmationUUid": uuid,
    }
    assert {s.id for s in run.steps} == {
        "run-task",
        "get-confirmation-uuid",
        "wait-for-confirmation",
        "continue-workflow",
        "publish-outcome",
    }
    # THEN the request was published once although the run was replayed after the wait
    assert len(realtime.on(CHANNEL, "messages")) == 2


def test_reject_stops_the_workflow(
    app: Stepstream, harness: Harness, realtime: RecordingRealtime
) -> None:
    run_id, uuid = ask(harness, realtime)

    harness.send("agentic-workflow/confirmation", {"confirmationUUid": uuid, "confirmed": False})
    run = harness.finish(run_id)

    assert run.status == "completed"
    assert run.output == {"outcome": "rejected", "confirmationUUid": uuid}
    assert realtime.on(CHANNEL, "messages")[-1] == {
        "message": "Rejected: the workflow stopped.",
        "confirmationUUid": uuid,
    }


def test_no_answer_times_out(
    app: Stepstream, harness: Harness, realtime: RecordingRealtime
) -> None:
    run_id, uuid = ask(harness, realtime, confirmationTimeout="1s")

    run = harness.finish(run_id)

    assert run.output == {"outcome": "timed-out", "confirmationUUid": uuid}
    assert realtime.on(CHANNEL, "messages")[-1]["message"].startswith("No answer in time")


@pytest.mark.parametrize(
    ("timeout", "says"), [("16m", "between 1s and 15m"), ("soon", "confirmationTimeout"), (0, "")]
)
def test_bad_timeout_override_fails_before_asking(
    app: Stepstream, harness: Harness, realtime: RecordingRealtime, timeout: Any, says: str
) -> None:
    run = harness.finish(
        harness.run_of(harness.send("agentic-workflow/start", {"confirmationTimeout": timeout}))
    )

    assert run.status == "failed"
    assert "confirmationTimeout" in str(run.error)
    assert says in str(run.error)
    assert realtime.published == []


@pytest.mark.parametrize(
    "hostile",
    [
        '" || true || "',
        "*",
        None,
        {"$ne": ""},
        ["x"],
    ],
)
def test_hostile_confirmation_ids_do_not_resume(
    app: Stepstream, harness: Harness, realtime: RecordingRealtime, hostile: Any
) -> None:
    # GIVEN a waiting run; WHEN replies arrive whose confirmationUUid is data crafted to look
    # like an expression or a wildcard, THEN they are compared as values and match nothing
    run_id, uuid = ask(harness, realtime)
    harness.send("agentic-workflow/confirmation", {"confirmationUUid": hostile, "confirmed": True})
    harness.send("agentic-workflow/confirmation", {"confirmed": True})
    harness.drive(lambda: harness.poller.poll_once(0) == 0)
    assert harness.status(run_id) == "waiting"

    harness.send("agentic-workflow/confirmation", {"confirmationUUid": uuid, "confirmed": False})
    assert harness.finish(run_id).output == {"outcome": "rejected", "confirmationUUid": uuid}
