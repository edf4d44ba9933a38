"""``stepstream dev`` for the end-to-end tests, plus ``GET /__e2e/connections``, which lists the
gateway's open connection ids so a test can kill one from the server side with
``DELETE /@connections/{id}`` (boto3 ``apigatewaymanagementapi``).

The examples' own routes (``POST /api/hello-world``) come from ``STEPSTREAM_ROUTES`` in
template.yaml, as in plain ``make dev``.

Run: ``.venv/bin/python -m tests.e2e._devstack --port 0`` from the project folder.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from stepstream.local import LocalStack
from stepstream.local._devstack import DevOptions, run_dev


def connection_routes(stack: LocalStack) -> list[BaseRoute]:
    async def connections(request: Request) -> JSONResponse:
        ids = stack.gateway.connection_ids() if stack.gateway else []
        return JSONResponse({"ids": ids})

    return [Route("/__e2e/connections", connections)]


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="tests.e2e._devstack")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    return run_dev(DevOptions(port=args.port), routes=connection_routes)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
