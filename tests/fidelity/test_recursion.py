"""GIVEN a run that sleeps through more than 16 timer hops (each hop is one SQS message the
executor sends to its own queue) WHEN the executor's RecursiveLoop is Allow, as template.yaml
sets it THEN the run completes; WHEN the setting is removed THEN the poller stops the chain
after 16 invocations, as Lambda's recursive loop detection does, and says so in the log."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pytest

from stepstream.local._recursion import MAX_CHAIN
from tests.support.aws import MotoEndpoint

from ._support import fidelity_stack, run_of, send, template_variant

HOPS = MAX_CHAIN + 3


@pytest.fixture(autouse=True)
def one_second_hops(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STEPSTREAM_MAX_TIMER_HOP_SECONDS", "1")


def test_with_allow_a_long_chain_completes(
    moto_endpoint: MotoEndpoint, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    template = template_variant(tmp_path)  # as deployed, RecursiveLoop: Allow included
    with fidelity_stack(moto_endpoint, monkeypatch, template=template) as stack:
        run = run_of(stack, send(stack, "test/sleep", {"seconds": HOPS}), timeout=HOPS + 30)
        [poller] = [p for p in stack.pollers if p.function_name == "ExecutorFunction"]

    assert run is not None
    assert run["state"] == "completed", run
    assert run["output"] == "woke"
    assert poller.stopped_chains == 0
    assert poller.invocations > MAX_CHAIN


def test_without_allow_the_chain_stops_after_16_invocations(
    moto_endpoint: MotoEndpoint,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    template = template_variant(tmp_path, ("      RecursiveLoop: Allow\n", ""))
    with (
        caplog.at_level(logging.WARNING, logger="stepstream.poller"),
        fidelity_stack(moto_endpoint, monkeypatch, template=template) as stack,
    ):
        event_id = send(stack, "test/sleep", {"seconds": HOPS})
        [poller] = [p for p in stack.pollers if p.function_name == "ExecutorFunction"]
        deadline = time.monotonic() + HOPS + 20
        while poller.stopped_chains == 0 and time.monotonic() < deadline:
            time.sleep(0.2)
        run = run_of(stack, event_id, timeout=3)

    assert run is None  # still sleeping: its next timer message was dropped
    assert poller.stopped_chains == 1
    assert poller.invocations == MAX_CHAIN
    assert "ExecutorFunction: recursive loop detected" in caplog.text
    assert "RecursiveLoop: Allow" in caplog.text
