"""GIVEN the executor's event source mapping (batch size 1, no maximum concurrency: Lambda runs
several batches at once) WHEN two runs start together THEN their steps overlap in time, and each
concurrent invocation runs in an execution environment of its own: a handler module's
module-level state is per environment, and an idle environment is reused warm."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

from tests.fidelity import fidelity_app
from tests.support.aws import MotoEndpoint

from ._support import fidelity_stack, run_of, send, template_variant

HANDLERS = Path(__file__).parent / "handlers"


def test_runs_overlap_and_module_state_is_per_environment(
    moto_endpoint: MotoEndpoint, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    template = template_variant(
        tmp_path,
        (
            "      Handler: executor.handler\n",
            f"      CodeUri: {HANDLERS}/\n      Handler: counting_executor.handler\n",
        ),
    )
    fidelity_app.STEP_TIMES.clear()
    fidelity_app.ENVIRONMENTS.clear()
    with fidelity_stack(moto_endpoint, monkeypatch, template=template) as stack:
        [poller] = [p for p in stack.pollers if p.function_name == "ExecutorFunction"]
        events = [send(stack, "test/slow", {}) for _ in range(2)]
        runs = [run_of(stack, event_id, timeout=30) for event_id in events]

    assert poller.max_concurrency > 1
    assert all(run is not None and run["state"] == "completed" for run in runs), runs
    (_, _, end_a), (_, start_b, _) = sorted(fidelity_app.STEP_TIMES, key=lambda t: t[1])
    assert start_b < end_a  # the second step began before the first ended
    counts: dict[str, list[int]] = defaultdict(list)
    for environment, count in fidelity_app.ENVIRONMENTS:
        counts[environment].append(count)
    assert len(counts) >= 2  # two imports of the handler module, each with its own counter
    for seen in counts.values():
        assert seen == list(range(1, len(seen) + 1))  # counted per environment, kept warm
