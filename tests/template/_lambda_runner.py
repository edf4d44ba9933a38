"""Invoke one built handler on one event the way the Lambda runtime does.

Run as ``python -S -P -c <this file's text> <module> <event.json>`` with the function's build dir
as the working directory (put first on sys.path after this runner's own imports, as /var/task is
on Lambda) and PYTHONPATH set to the built layer and a stand-in for the runtime's own
boto3, so nothing from the test environment's site-packages can be imported. Prints one JSON
line: ``{"result": ...}`` or ``{"raised": "<type>", "message": "..."}``, and ``"foreign"``: the
modules that were loaded from anywhere else than those places and the standard library.
"""

import importlib
import json
import os
import sys
import sysconfig
import time
import traceback
import uuid


class LambdaContext:
    function_name = "smoke"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:smoke"
    memory_limit_in_mb = 512
    log_group_name = "/aws/lambda/smoke"
    log_stream_name = "smoke"

    def __init__(self) -> None:
        self.aws_request_id = str(uuid.uuid4())
        self._deadline = time.monotonic() + 60

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def main() -> None:
    sys.path.insert(0, os.getcwd())
    module_name, event_path = sys.argv[1], sys.argv[2]
    with open(event_path, encoding="utf-8") as f:
        event = json.load(f)
    output: dict[str, object]
    try:
        handler = importlib.import_module(module_name).handler
        output = {"result": handler(event, LambdaContext())}
    except Exception as exc:  # report, so the test can say what the handler did
        output = {
            "raised": type(exc).__name__,
            "message": str(exc),
            "traceback": traceback.format_exc(limit=-8),
        }
    allowed = [os.getcwd(), *os.environ["PYTHONPATH"].split(os.pathsep)]
    allowed += [sysconfig.get_path("stdlib"), sysconfig.get_path("platstdlib")]
    files = {name: getattr(module, "__file__", None) for name, module in list(sys.modules.items())}
    output["foreign"] = sorted(
        name
        for name, file in files.items()
        if isinstance(file, str) and not any(os.path.abspath(file).startswith(r) for r in allowed)
    )
    print(json.dumps(output, default=str))


main()
