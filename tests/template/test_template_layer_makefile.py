"""GIVEN layers/stepstream/Makefile WHEN it is run by hand instead of through `sam build` THEN it
refuses with a message saying how to run it, instead of installing into the filesystem root."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from ._template_support import ROOT


def test_layer_build_refuses_to_run_without_artifacts_dir() -> None:
    make = shutil.which("make")
    if make is None:
        pytest.skip("make is not installed")
    env = {k: v for k, v in os.environ.items() if k != "ARTIFACTS_DIR"}
    result = subprocess.run(
        [make, "-s", "-C", str(ROOT / "layers" / "stepstream"), "build-StepstreamLayer"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode != 0
    assert "ARTIFACTS_DIR is not set: run this through sam build" in result.stderr
