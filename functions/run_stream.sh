#!/bin/sh
# The streaming function's "handler". The Lambda Web Adapter (AWS_LAMBDA_EXEC_WRAPPER=/opt/bootstrap)
# runs this once per execution environment, waits until GET /health answers on $PORT, then turns
# each Function URL request into an HTTP request to it and streams the answer back as it is
# written (AWS_LWA_INVOKE_MODE=response_stream). A process started here does not get the Python
# runtime's sys.path, so the layer (/opt/python) and the function code are put on it.
export PYTHONPATH="/opt/python:${LAMBDA_TASK_ROOT:-/var/task}${PYTHONPATH:+:$PYTHONPATH}"
exec python -m uvicorn stream_api:app --host 127.0.0.1 --port "${PORT:-8080}" \
  --lifespan off --no-access-log
