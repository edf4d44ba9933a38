"""GIVEN samconfig.toml WHEN read as the sam CLI reads it THEN it has default, dev and prod
environments, each deploy overrides only parameters the template declares with allowed values,
and no secret is stored in it."""

from __future__ import annotations

import re
import shlex
import tomllib
from typing import Any

import pytest

from stepstream.local import load_template

from ._template_support import ROOT, TEMPLATE

CONFIG = tomllib.loads((ROOT / "samconfig.toml").read_text(encoding="utf-8"))


def overrides(environment: str) -> dict[str, str]:
    raw = CONFIG[environment]["deploy"]["parameters"]["parameter_overrides"]
    return dict(item.split("=", 1) for item in shlex.split(raw))


@pytest.mark.parametrize("environment", ["default", "dev", "prod"])
def test_environment_deploys_with_declared_parameters(environment: str) -> None:
    parameters: dict[str, Any] = load_template(TEMPLATE)["Parameters"]
    deploy = CONFIG[environment]["deploy"]["parameters"]
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert CONFIG[environment]["global"]["parameters"]["stack_name"].startswith("stepstream")
    for name, value in overrides(environment).items():
        spec = parameters[name]
        assert "AllowedValues" not in spec or value in spec["AllowedValues"], (name, value)
        assert "AllowedPattern" not in spec or re.fullmatch(spec["AllowedPattern"], value)
        assert not spec.get("NoEcho"), f"{name} is a secret; pass it on the command line"


def test_each_environment_is_its_own_stack() -> None:
    names = {
        CONFIG[env]["global"]["parameters"]["stack_name"] for env in ("default", "dev", "prod")
    }
    assert len(names) == 3
    assert overrides("dev")["Stage"] != overrides("prod")["Stage"]
