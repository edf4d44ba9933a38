"""GIVEN the named run and step states (``stepstream.RunStatus``, ``stepstream.StepStatus``)
WHEN another layer spells them out (the HTTP schema's ``state`` literal, the Inngest status
map, the API's step statuses, run frames)
THEN it lists exactly the same states, so a new state cannot be half added."""

from __future__ import annotations

from typing import get_args

import pytest

import stepstream
from stepstream import RunStatus, StepStatus
from stepstream._states import ACTIVE, TERMINAL
from stepstream.engine._views import _STEP_STATUS
from stepstream.http._models import INNGEST_STATUS, EngineState
from stepstream.realtime._frames import RUN_STATUSES


def test_the_states_are_public() -> None:
    assert {"RunStatus", "StepStatus"} <= set(stepstream.__all__)


def test_every_run_state_is_active_or_terminal_never_both() -> None:
    assert set(ACTIVE) | TERMINAL == set(RunStatus)
    assert not set(ACTIVE) & TERMINAL


def test_the_http_schema_and_the_inngest_map_list_every_run_state() -> None:
    assert set(get_args(EngineState)) == set(RunStatus)
    assert set(INNGEST_STATUS) == set(RunStatus)


def test_the_api_names_every_step_state() -> None:
    assert set(_STEP_STATUS) == set(StepStatus)


def test_run_frames_carry_running_and_the_terminal_states() -> None:
    assert set(RUN_STATUSES) == {RunStatus.RUNNING, *TERMINAL}


@pytest.mark.parametrize(
    ("status", "terminal"),
    [
        (RunStatus.COMPLETED, True),
        ("failed", True),
        ("cancelled", True),
        ("running", False),
        (RunStatus.WAITING, False),
        ("Completed", False),  # Inngest's spelling is not a state
        (None, False),
        (["completed"], False),
    ],
)
def test_is_terminal_answers_for_any_value(status: object, terminal: bool) -> None:
    assert RunStatus.is_terminal(status) is terminal


def test_states_are_stored_as_their_plain_strings() -> None:
    assert str(RunStatus.COMPLETED) == "completed"
    assert f"{StepStatus.OK}" == "ok"
