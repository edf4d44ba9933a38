"""GIVEN a fresh interpreter
WHEN it imports a Lambda handler module of functions/ (which builds its handler) with tracing off
(not on Lambda, or POWERTOOLS_TRACE_DISABLED on Lambda), and uses every tracing entry point
THEN aws_xray_sdk is not imported: tracing off costs no import time. On Lambda the handler's
factory loads it (at init, not in the first invocation), and without aws_xray_sdk installed
tracing turns itself off with one log line and the handler still works."""

from __future__ import annotations

import pytest

from tests.architecture.test_lazy_imports import HANDLERS, run_python

USE_EVERY_ENTRY_POINT = """
from stepstream import _tracing
with _tracing.message("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8", "x"):
    with _tracing.span("step", step_id="a") as span:
        assert span is None
        _tracing.annotate(outcome="ok")
        assert _tracing.sqs_trace_header() is None
assert _tracing.lambda_handler(print) is print
"""
ON_LAMBDA = "import os\nos.environ['LAMBDA_TASK_ROOT'] = '/var/task'\n"


def xray_loaded_after(statement: str, setup: str = "") -> bool:
    result = run_python(f"{setup}import sys\n{statement}\nprint('aws_xray_sdk' in sys.modules)")
    assert result.returncode == 0, result.stderr[-4000:]
    return result.stdout.strip().splitlines()[-1] == "True"


@pytest.mark.parametrize("handler", HANDLERS)
def test_a_handler_off_lambda_does_not_load_the_xray_sdk(handler: str) -> None:
    assert not xray_loaded_after(f"import {handler}\n{USE_EVERY_ENTRY_POINT}"), (
        f"importing {handler} or tracing with tracing off imported aws_xray_sdk; only "
        "stepstream._xray may import it, and only stepstream._tracing may import that"
    )


def test_powertools_switch_keeps_it_unloaded_on_lambda() -> None:
    setup = ON_LAMBDA + "os.environ['POWERTOOLS_TRACE_DISABLED'] = 'true'\n"
    assert not xray_loaded_after(f"import executor\n{USE_EVERY_ENTRY_POINT}", setup)


def test_on_lambda_the_executor_loads_it_when_its_handler_is_built() -> None:
    assert xray_loaded_after("import executor", ON_LAMBDA)


def test_without_the_sdk_tracing_is_off_with_one_log_line() -> None:
    # GIVEN aws_xray_sdk cannot be imported (a None in sys.modules hides an installed package)
    setup = ON_LAMBDA + "import sys\nsys.modules['aws_xray_sdk'] = None\n"
    statement = (
        "import executor\n"
        "from stepstream import _tracing\n"
        "assert not _tracing.enabled()\n"
        "record = {'messageId': 'm', 'body': '{}', 'attributes': {}, 'eventSource': 'aws:sqs'}\n"
        "assert executor.handler({'Records': [record]}, None) == {'batchItemFailures': []}\n"
        "print('handled')"
    )
    result = run_python(f"{setup}{statement}")
    assert result.returncode == 0, result.stderr[-4000:]
    output = result.stdout + result.stderr
    assert "handled" in output
    assert output.count("tracing is off: aws_xray_sdk is not installed") == 1, output
