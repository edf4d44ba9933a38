"""Fixtures for the template tests: the SAM-transformed template and `sam build` outputs (the
deployable arm64 build and an x86_64 build this machine can import)."""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ._template_support import ROOT, Build, sam_build, transform_template


@pytest.fixture(scope="session")
def builds_root() -> Iterator[Path]:
    """.aws-sam/tests-<pid>/: this session's builds, apart from `sam build`'s own .aws-sam/build
    and from another test run on the same checkout; removed afterwards."""
    root = ROOT / ".aws-sam" / f"tests-{os.getpid()}"
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def arm64_build(builds_root: Path) -> Build:
    """The build `sam deploy` ships: python3.13 wheels for arm64."""
    return sam_build(builds_root / "build")


@pytest.fixture(scope="session")
def x86_64_build(builds_root: Path) -> Build:
    """The same build with wheels for this machine (x86_64, this Python), so tests can import
    the built handlers; arm64 wheels' native modules cannot load here."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    return sam_build(
        builds_root / "build-x86_64", LAYER_ARCH="x86_64", LAYER_PYTHON_VERSION=version
    )


@pytest.fixture(scope="session")
def transformed() -> dict[str, Any]:
    """template.yaml as CloudFormation sees it after the SAM transform."""
    return transform_template()
