"""Run the scripted workflow in this process as if it were a Lambda execution environment (the
test sets ``LAMBDA_TASK_ROOT`` and ``_X_AMZN_TRACE_ID`` before starting it, as Lambda does, so
aws_xray_sdk makes its Lambda context); print the run id."""

from __future__ import annotations

import os
import sys

from tests.tracing._flow import make_app, run_through_the_executor


def main() -> int:
    app = make_app()
    try:
        print(run_through_the_executor(app, os.environ["STEPSTREAM_QUEUE_URL"]))
    finally:
        app.realtime.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
