"""GIVEN template.yaml WHEN checkov reads it THEN every finding is one this file lists as not
applicable, with the reason; any other finding fails.

checkov pins boto3==1.35.49, packaging<24 and networkx<2.7, which conflict with aws-sam-cli's
boto3 pin, so it is not in the dev extras: it lives in its own virtualenv
(``python -m venv .venv-checkov && .venv-checkov/bin/pip install checkov``), found through
``CHECKOV``, ``.venv-checkov/bin/checkov`` or the test's own venv, in that order."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from ._template_support import ROOT, TEMPLATE, VENV_BIN, tool_env

NOT_APPLICABLE = {
    # Encryption at rest is on everywhere with AWS-owned or AWS-managed keys; a customer key per
    # resource costs $1/month each plus KMS requests, and guards against no threat here (no
    # cross-account access is ever granted).
    "CKV_AWS_119": "DynamoDB tables are encrypted at rest with the AWS-owned key (SSEEnabled).",
    "CKV_AWS_27": "The queues use SQS-managed SSE (SqsManagedSseEnabled); checkov reads only KMS.",
    "CKV_AWS_149": "Secrets use Secrets Manager's AWS-managed key; no cross-account reader exists.",
    "CKV_AWS_158": "CloudWatch Logs encrypts log groups at rest; logs carry no keys or tokens.",
    "CKV_AWS_173": "No secret is in any function's environment; Lambda encrypts it at rest.",
    # Logging that needs an account-level or extra resource the stack must not impose.
    "CKV_AWS_18": "Only the stack's functions write the bucket; CloudTrail data events audit it.",
    "CKV_AWS_95": "WebSocket access logs need the account's API Gateway role: WebSocketAccessLogs.",
    "CKV_AWS_86": "CloudFront forwards to the APIs, whose access logs record the same requests.",
    # Not how these functions run.
    "CKV_AWS_116": "No function is invoked asynchronously except the scheduler, whose next tick "
    "replaces a lost one; the executor's failures go to its queue's DLQ.",
    "CKV_AWS_117": "The functions call only AWS APIs over TLS; a VPC would add NAT or endpoints.",
    "CKV_AWS_115": "The APIs are throttled per route; the executor's limit is a parameter.",
    "CKV_AWS_68": "A WAF web ACL costs $5+/month; the APIs authenticate and throttle every route.",
    "CKV_AWS_174": "The default *.cloudfront.net certificate has no protocol setting; a custom "
    "domain's certificate is set to TLSv1.2_2021.",
}


def _checkov() -> Path:
    for candidate in (
        os.environ.get("CHECKOV"),
        ROOT / ".venv-checkov" / "bin" / "checkov",
        VENV_BIN / "checkov",
    ):
        if candidate and Path(candidate).exists():
            return Path(candidate)
    pytest.fail(
        "checkov is not installed: python -m venv .venv-checkov && "
        ".venv-checkov/bin/pip install checkov (or set CHECKOV to its path)"
    )


def test_checkov_finds_nothing_but_the_listed_exceptions(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            str(_checkov()),
            "--file",
            str(TEMPLATE),
            "--framework",
            "cloudformation",
            "--skip-download",
            "--compact",
            "--quiet",
            "--output",
            "json",
            "--output-file-path",
            str(tmp_path),
        ],
        cwd=ROOT,
        # Offline: no Prisma Cloud mapping download.
        env=tool_env(BC_SKIP_MAPPING="TRUE"),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    report = json.loads((tmp_path / "results_json.json").read_text(encoding="utf-8"))
    results = report[0] if isinstance(report, list) else report
    assert results["summary"]["parsing_errors"] == 0, result.stderr[-2000:]
    assert results["summary"]["passed"] > 0
    failed = results["results"]["failed_checks"]
    unexpected = [
        f"{check['check_id']} {check['resource']}: {check['check_name']}"
        for check in failed
        if check["check_id"] not in NOT_APPLICABLE
    ]
    assert not unexpected, "\n".join(unexpected)
