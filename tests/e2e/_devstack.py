"""``stepstream dev`` for the end-to-end tests: the real CLI entry point, plus
``GET /__e2e/connections``, which lists the gateway's open connection ids so a test can kill one
from the server side with ``DELETE /@connections/{id}`` (boto3 ``apigatewaymanagementapi``).

The examples' own routes (``POST /api/hello-world``) come from ``STEPSTREAM_ROUTES`` in
template.yaml, as in plain ``make dev``.

Run: ``.venv/bin/python tests/e2e/_devstack.py --port 0`` (arguments go to ``stepstream dev``).
"""

from __future__ import annotations

import sys
from typing import Any


def main() -> int:
    from starlette.responses import JSONResponse

    from stepstream import cli
    from stepstream.local import _devserver

    build_asgi = _devserver.build_asgi

    def build_asgi_with_connections(api: Any, gateway: Any, dashboard: Any) -> Any:
        inner = build_asgi(api, gateway, dashboard)

        async def asgi(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http" and scope["path"] == "/__e2e/connections":
                response = JSONResponse({"ids": gateway.connection_ids()})
                await response(scope, receive, send)
                return
            await inner(scope, receive, send)

        return asgi

    _devserver.build_asgi = build_asgi_with_connections
    return cli.main(["dev", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
