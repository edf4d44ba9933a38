"""Shared by the template tests: the repository's paths, the handlers the template declares,
the tools' environment, `sam build` and the SAM transform."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
EVENTS = ROOT / "events"
VENV_BIN = Path(sys.executable).parent
SAM = VENV_BIN / "sam"
CFN_LINT = VENV_BIN / "cfn-lint"
# Logical id -> handler, as the template declares them.
HANDLERS = {
    "ApiFunction": "api.handler",
    "TokenFunction": "realtime_token.handler",
    "PublishFunction": "realtime_publish.handler",
    "FanoutFunction": "fanout.handler",
    # Not a Python handler: the Lambda Web Adapter runs it (test_template_streaming.py).
    "StreamFunction": "run_stream.sh",
    "ExecutorFunction": "executor.handler",
    "SchedulerFunction": "scheduler.handler",
    "WsAuthorizerFunction": "ws_authorizer.handler",
    "WsConnectFunction": "ws_connect.handler",
    "WsDisconnectFunction": "ws_disconnect.handler",
    "WsDefaultFunction": "ws_default.handler",
}

# Under .aws-sam/ (gitignored); `sam build` only replaces its own build dir, so pip's wheel
# cache survives between runs and a rebuild needs no download.
PIP_CACHE = ROOT / ".aws-sam" / "pip-cache"


def tool_env(**extra: str) -> dict[str, str]:
    """The environment for the sam CLI and cfn-lint: no telemetry, no update checks, a region."""
    env = dict(os.environ)
    env.update(
        SAM_CLI_TELEMETRY="0",
        AWS_DEFAULT_REGION=env.get("AWS_DEFAULT_REGION", "us-east-1"),
        PIP_CACHE_DIR=str(PIP_CACHE),
        PIP=f"{sys.executable} -m pip",
        PATH=f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
    )
    env.update(extra)
    return env


@dataclass(frozen=True)
class Build:
    """One `sam build` output."""

    build_dir: Path
    seconds: float

    @property
    def layer_site(self) -> Path:
        return self.build_dir / "StepstreamLayer" / "python"

    def function_dir(self, logical_id: str) -> Path:
        return self.build_dir / logical_id


def sam_build(build_dir: Path, **layer_env: str) -> Build:
    """Run `sam build` into build_dir and time it."""
    import time

    shutil.rmtree(build_dir, ignore_errors=True)
    started = time.perf_counter()
    result = subprocess.run(
        [
            str(SAM),
            "build",
            "--template-file",
            str(TEMPLATE),
            "--build-dir",
            str(build_dir),
            # SAM's build cache is keyed on the sources, not on LAYER_ARCH: never reuse it.
            "--no-cached",
        ],
        cwd=ROOT,
        env=tool_env(**layer_env),
        capture_output=True,
        text=True,
        timeout=100,
        check=False,
    )
    seconds = time.perf_counter() - started
    assert result.returncode == 0, f"sam build failed:\n{result.stdout}\n{result.stderr}"
    return Build(build_dir=build_dir, seconds=seconds)


def transform_template(parameter_values: dict[str, Any] | None = None) -> dict[str, Any]:
    from samtranslator.translator.transform import transform  # type: ignore[import-untyped]
    from samtranslator.yaml_helper import yaml_parse  # type: ignore[import-untyped]

    document = yaml_parse(TEMPLATE.read_text(encoding="utf-8"))
    # The transform wants S3 locations where `sam package` would put them.
    document["Globals"]["Function"]["CodeUri"] = "s3://bucket/functions.zip"
    document["Resources"]["StepstreamLayer"]["Properties"]["ContentUri"] = "s3://bucket/layer.zip"

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    result: dict[str, Any] = transform(document, parameter_values or {}, NoManagedPolicies())
    return result
