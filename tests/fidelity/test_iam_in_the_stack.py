"""GIVEN the local stack as `make dev` builds it WHEN a run's step makes an AWS call the
executor's role does not grant THEN it fails with AccessDenied, as on AWS; the same run passes
only when IAM is switched off on purpose, and the run's own calls (start, steps, output) are
all granted."""

from __future__ import annotations

import pytest

from tests.support.aws import MotoEndpoint

from ._support import fidelity_stack, run_of, send


def test_a_call_the_role_lacks_is_refused(
    moto_endpoint: MotoEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fidelity_stack(moto_endpoint, monkeypatch) as stack:
        assert stack.emulation is not None
        assert stack.emulation.iam is not None
        run = run_of(stack, send(stack, "test/overreach", {}), timeout=30)
        iam = stack.emulation.iam

        assert run is not None
        assert run["state"] == "failed"
        assert "AccessDenied" in str(run["error"])
        assert [(d.function, d.action) for d in iam.denials] == [
            ("ExecutorFunction", "dynamodb:ListTables")
        ]
        assert iam.checked > 5  # the event's PutItem, the run's claim, step and output


def test_switched_off_on_purpose_nothing_is_checked(
    moto_endpoint: MotoEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fidelity_stack(moto_endpoint, monkeypatch, iam=False) as stack:
        run = run_of(stack, send(stack, "test/overreach", {}), timeout=30)

        assert stack.emulation is not None
        assert stack.emulation.iam is None
        assert run is not None
        assert run["state"] == "completed"
