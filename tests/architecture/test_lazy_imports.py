"""GIVEN a fresh interpreter with websockets installed
WHEN it imports ``stepstream``, ``stepstream.realtime`` or a Lambda handler module of functions/
THEN websockets is not imported: only the Python subscriber (``subscribe``) needs it, and it loads
on first use, so no handler pays for it at cold start. Using ``subscribe`` still works.

The API handler is imported without ``STEPSTREAM_ROUTES``: the example routes it names subscribe
on purpose (``/api/hello-world`` streams a run over the socket), which is why the layer ships
websockets at all."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HANDLERS = sorted(p.stem for p in (ROOT / "functions").glob("*.py"))


def run_python(code: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("STEPSTREAM_", "PYTHON"))}
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "layers" / "stepstream"), str(ROOT / "functions")]
    )
    env.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def websockets_loaded_after(statement: str) -> bool:
    result = run_python(f"import sys\n{statement}\nprint('websockets' in sys.modules)")
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout.strip().splitlines()[-1] == "True"


@pytest.mark.parametrize(
    "statement",
    ["import stepstream", "import stepstream.realtime"]
    + [f"import {handler}" for handler in HANDLERS],
)
def test_importing_does_not_load_websockets(statement: str) -> None:
    assert not websockets_loaded_after(statement), (
        f"`{statement}` imports websockets; import stepstream.realtime._subscribe only where a "
        "subscriber runs (the package roots load it on first attribute access)"
    )


def test_the_subscriber_loads_on_first_use() -> None:
    assert websockets_loaded_after(
        "import stepstream, stepstream.realtime._subscribe as module\n"
        "from stepstream.realtime import Message, SubscriptionRefused, encode_sse\n"
        "assert stepstream.subscribe is stepstream.realtime.subscribe is module.subscribe\n"
        "assert (Message, SubscriptionRefused, encode_sse) == "
        "(module.Message, module.SubscriptionRefused, module.encode_sse)"
    )


def test_an_unknown_name_is_still_an_attribute_error() -> None:
    import stepstream
    import stepstream.realtime

    for package in (stepstream, stepstream.realtime):
        with pytest.raises(AttributeError, match="no attribute 'subscriber'"):
            _ = package.subscriber
