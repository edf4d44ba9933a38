"""One executor process for the SIGKILL scenario: ``python -m tests.chaos.worker``.

It plays a Lambda execution environment fed by the event source mapping: an ``SqsPoller`` on
the queue ``STEPSTREAM_QUEUE_URL`` names (moto over HTTP, real boto3) runs
``CHAOS_CONCURRENCY`` invocations at once until the process is killed. Once polling it leaves
a file ``ready-<pid>`` in ``CHAOS_READY_DIR``. Its queue sends a share
of its messages twice (``CHAOS_DUPLICATE``), as SQS may."""

from __future__ import annotations

import importlib
import os
import threading

from stepstream import Backends
from stepstream.aws import client
from stepstream.handlers import executor_handler
from stepstream.local import SqsPoller

from .workflow import Duplicator, app


def main() -> None:
    timeout_ms = int(os.environ["CHAOS_TIMEOUT_MS"])
    app.backends_provider = Duplicator(
        Backends.from_env, float(os.environ.get("CHAOS_DUPLICATE", "0.1")), os.getpid()
    )
    handler = executor_handler(app)
    poller = SqsPoller(
        handler,
        os.environ["STEPSTREAM_QUEUE_URL"],
        wait_seconds=1,
        visibility_timeout=int(os.environ["CHAOS_VISIBILITY_SECONDS"]),
        timeout_ms=timeout_ms,
        max_concurrency=int(os.environ.get("CHAOS_CONCURRENCY", "2")),
    )
    # warm, as a Lambda environment is after its init phase: clients made and the batch
    # utility imported, so a kill lands in an invocation rather than in a cold start
    client("sqs"), client("dynamodb"), client("s3")
    importlib.import_module("aws_lambda_powertools.utilities.batch")
    poller.start()
    ready = os.environ.get("CHAOS_READY_DIR")
    if ready:  # the chaos monkey kills only processes that got this far
        open(os.path.join(ready, f"ready-{os.getpid()}"), "w").close()
    threading.Event().wait()  # until SIGKILL (or SIGTERM at the end of the test)


if __name__ == "__main__":
    main()
