"""GIVEN a process that looks like a Lambda with active tracing (``LAMBDA_TASK_ROOT``, and
``_X_AMZN_TRACE_ID`` naming the facade segment Lambda made) and a UDP socket on loopback as its
X-Ray daemon
WHEN the scripted workflow runs through the real executor handler there
THEN everything is in Lambda's trace: Powertools' ``## handler`` subsegment (ColdStart annotated)
under Lambda's segment, the ``run`` subsegment under it, the steps under the run, and DynamoDB and
SQS requests traced by the patched botocore; the facade segment itself is never sent (Lambda
sends it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from stepstream import _tracing
from stepstream.local import Provisioned, RunningGateway

from ._daemon import Daemon

ROOT = Path(__file__).resolve().parents[2]
TRACE_ROOT = "1-5759e988-bd862e3fe1be46a994272793"
FACADE = "53995c3f42cd8ad8"


def test_on_lambda_the_run_is_in_lambdas_trace(
    aws: Provisioned, gateway: RunningGateway, daemon: Daemon
) -> None:
    env = {k: v for k, v in os.environ.items() if k != _tracing.LOCAL_SWITCH}
    env.update(
        LAMBDA_TASK_ROOT=str(ROOT / "functions"),
        _X_AMZN_TRACE_ID=f"Root={TRACE_ROOT};Parent={FACADE};Sampled=1",
        AWS_XRAY_DAEMON_ADDRESS=daemon.address,
        STEPSTREAM_RETRY_BASE_SECONDS="0",
        PYTHONPATH=os.pathsep.join(
            [str(ROOT / "layers" / "stepstream"), str(ROOT / "functions"), str(ROOT)]
        ),
    )
    result = subprocess.run(
        [sys.executable, "-m", "tests.tracing._lambda_process"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    run_id = result.stdout.strip().splitlines()[-1]

    documents = daemon.wait_for(lambda docs: sum(d["name"] == "run" for d in docs) == 2)
    assert daemon.malformed == []
    assert {d["trace_id"] for d in documents} == {TRACE_ROOT}
    assert all(d.get("type") == "subsegment" for d in documents), "only Lambda sends segments"
    by_id = {d["id"]: d for d in documents}

    handlers = [d for d in documents if "ColdStart" in d.get("annotations", {})]
    handlers.sort(key=lambda d: d["start_time"])
    assert [h["annotations"]["ColdStart"] for h in handlers] == [True, False]
    assert {h["parent_id"] for h in handlers} == {FACADE}
    runs = [d for d in documents if d["name"] == "run"]
    assert {by_id[r["parent_id"]]["id"] for r in runs} == {h["id"] for h in handlers}
    assert {r["annotations"]["run_id"] for r in runs} == {run_id}
    steps = [d for d in documents if d["name"].startswith("step ")]
    assert sorted((s["annotations"]["step_id"], s["annotations"]["outcome"]) for s in steps) == [
        ("fetch", "ok"),
        ("flaky", "ok"),
        ("flaky", "retry"),
        ("tell", "ok"),
    ]
    assert {s["parent_id"] for s in steps} <= {r["id"] for r in runs}
    traced_services = {d["name"] for d in documents if d.get("namespace") == "aws"}
    assert {"dynamodb", "sqs"} <= traced_services
