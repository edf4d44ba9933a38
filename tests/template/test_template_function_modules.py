"""GIVEN functions/ (which every function ships as /var/task, the first entry of sys.path) WHEN
its top-level module names are compared with the standard library's THEN none shadows one: a
functions/token.py, say, replaces the stdlib `token` that `inspect` imports, and every handler
then dies at import with a circular-import error."""

from __future__ import annotations

import sys

from ._template_support import ROOT


def test_no_module_in_functions_shadows_the_standard_library() -> None:
    names = {p.stem for p in (ROOT / "functions").glob("*.py")}
    names |= {p.name for p in (ROOT / "functions").iterdir() if (p / "__init__.py").is_file()}
    shadowing = sorted(names & set(sys.stdlib_module_names))
    assert not shadowing, (
        f"functions/{shadowing[0]} shadows the standard library module {shadowing[0]!r} on Lambda; "
        "rename it (the token handler is functions/realtime_token.py in template.yaml)"
    )
