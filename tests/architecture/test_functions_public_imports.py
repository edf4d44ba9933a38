"""GIVEN functions/ (the Lambda adapters and the example app: what a user copies)
WHEN every import in it is read
THEN none reaches a private stepstream module or name: the adapters and the user's code stand on
the library's public surface only (``stepstream``, ``stepstream.handlers``, ``stepstream.aws``,
...), so the library can rearrange its internals without breaking a deployed app."""

from __future__ import annotations

import ast
from pathlib import Path

FUNCTIONS = Path(__file__).resolve().parents[2] / "functions"


def private_imports(source: str) -> list[str]:
    """Each import of a private stepstream module or name, as written (``stepstream._aws``,
    ``stepstream.realtime._socket``, ``from stepstream import _aws``)."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if _private_module(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if _private_module(node.module):
                found.append(node.module)
            elif node.module.split(".")[0] == "stepstream":
                found += [f"{node.module}.{a.name}" for a in node.names if a.name.startswith("_")]
    return found


def _private_module(dotted: str) -> bool:
    parts = dotted.split(".")
    return parts[0] == "stepstream" and any(part.startswith("_") for part in parts[1:])


def test_the_scan_recognises_every_private_form() -> None:
    source = (
        "import stepstream._aws\n"
        "from stepstream.realtime._socket import authorize\n"
        "from stepstream import _durations, load_app\n"
        "from stepstream.http import create_api\n"
        "from .channels import _private_to_the_app\n"
    )
    assert private_imports(source) == [
        "stepstream._aws",
        "stepstream.realtime._socket",
        "stepstream._durations",
    ]


def test_functions_import_no_private_stepstream_module() -> None:
    offenders = {
        str(path.relative_to(FUNCTIONS.parent)): found
        for path in sorted(FUNCTIONS.rglob("*.py"))
        if (found := private_imports(path.read_text(encoding="utf-8")))
    }
    assert not offenders, (
        f"functions/ imports private stepstream modules: {offenders}; use the public ones "
        "(stepstream.handlers for Lambda adapters, stepstream.aws, stepstream.durations, ...)"
    )
