"""GIVEN template.yaml WHEN AWS's own checkers read it THEN they report nothing: no error, no
warning."""

from __future__ import annotations

import subprocess

from ._template_support import CFN_LINT, ROOT, SAM, TEMPLATE, tool_env


def test_sam_validate_lint_passes() -> None:
    result = subprocess.run(
        [str(SAM), "validate", "--lint", "--template-file", str(TEMPLATE)],
        cwd=ROOT,
        env=tool_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "is a valid SAM Template" in result.stdout + result.stderr


def test_cfn_lint_reports_nothing() -> None:
    # Informational findings included: a clean template has none of any level.
    result = subprocess.run(
        [str(CFN_LINT), "--include-checks", "I", "--", str(TEMPLATE)],
        cwd=ROOT,
        env=tool_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert not result.stdout.strip(), result.stdout
