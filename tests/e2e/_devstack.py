"""``stepstream dev`` for the end-to-end tests: the real CLI entry point, with two additions.

1. The examples' HTTP routes (``app.routes.router``, the seed's ``POST /api/hello-world``) are
   included in the HTTP API. The dev stack builds its API with ``stepstream.http.create_api``
   and has no hook for user routes yet, so this wraps that function.
2. ``GET /__e2e/connections`` lists the gateway's open connection ids, so a test can kill one
   from the server side with ``DELETE /@connections/{id}`` (boto3 ``apigatewaymanagementapi``).

Run: ``.venv/bin/python tests/e2e/_devstack.py --port 0`` (arguments go to ``stepstream dev``).
"""

from __future__ import annotations

import sys
from typing import Any


def main() -> int:
    import stepstream.http
    from stepstream import cli
    from stepstream.local import _devserver

    create_api = stepstream.http.create_api

    def create_api_with_examples(app: Any, **kwargs: Any) -> Any:
        from app.routes import router

        api = create_api(app, **kwargs)
        api.include_router(router)
        return api

    build_asgi = _devserver.build_asgi

    def build_asgi_with_connections(api: Any, gateway: Any, dashboard: Any) -> Any:
        from starlette.requests import Request
        from starlette.responses import JSONResponse
        from starlette.routing import Route

        async def connections(request: Request) -> JSONResponse:
            return JSONResponse({"ids": gateway.connection_ids()})

        asgi = build_asgi(api, gateway, dashboard)
        asgi.router.routes.insert(0, Route("/__e2e/connections", connections))
        return asgi

    stepstream.http.create_api = create_api_with_examples
    _devserver.build_asgi = build_asgi_with_connections
    return cli.main(["dev", *sys.argv[1:]])


if __name__ == "__main__":
    sys.exit(main())
