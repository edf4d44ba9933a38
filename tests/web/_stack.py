"""A realtime stack for the browser-client tests, in one process: a ``LocalStack`` serving only
the WebSocket gateway (moto on loopback, resources from template.yaml, the real
``functions/ws_*.py`` handlers; no API, executor or dashboard), and a small control server.

Run it as ``.venv/bin/python tests/web/_stack.py``: it prints one JSON line,
``{"gateway": "http://127.0.0.1:<port>", "control": "http://127.0.0.1:<port>"}``, and runs until
its stdin closes (so a test that spawned it stops it by closing the pipe or exiting).

The control server is the test's hand on the server side, nothing a client talks to directly
except for tokens and the test page:

- ``POST /token`` ``{"channel", "topics"}`` → ``{"jwt"}`` (signed like the token endpoint's); while
  tokens are held (``POST /tokens/hold``, ``POST /tokens/release``) requests wait, so a test can
  publish while a client is provably disconnected.
- ``POST /publish`` ``{"channel", "topic", "data", "durable"?}`` → the data frame, after it is kept
  and posted. Topics are declared ``history=True`` so a resuming client can be replayed.
- ``POST /run-status`` ``{"channel", "run_id", "fn_id", "status", "output"?}``.
- ``GET /connections`` → ``{"ids": [...]}``; ``DELETE /connections/{id}`` closes that socket from
  the server side through boto3's ``apigatewaymanagementapi`` (``DELETE /@connections/{id}``).
- ``GET /stats`` → ``{"tokens": <minted so far>}``.
- ``/web/...`` serves ``web/``; ``/pages/...`` serves ``tests/web/pages/``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "web-tests"


def _control_app(gateway: Any, realtime: Any) -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    from stepstream import aws as _aws
    from stepstream.realtime import channel, mint_token, topic

    state: dict[str, Any] = {"tokens": 0, "released": asyncio.Event()}
    state["released"].set()

    async def body(request: Request) -> dict[str, Any]:
        document = await request.json()
        if not isinstance(document, dict):
            raise ValueError("the body must be a JSON object")
        return document

    async def token(request: Request) -> Response:
        document = await body(request)
        await state["released"].wait()
        jwt = mint_token(app_id=APP_ID, channel=document["channel"], topics=document["topics"])
        state["tokens"] += 1
        return JSONResponse({"jwt": jwt}, status_code=201)

    async def hold(request: Request) -> Response:
        state["released"].clear()
        return Response(status_code=204)

    async def release(request: Request) -> Response:
        state["released"].set()
        return Response(status_code=204)

    def ref(name: str, topic_name: str) -> Any:
        return getattr(channel(name).add_topic(topic(topic_name, history=True))(), topic_name)

    async def publish(request: Request) -> Response:
        document = await body(request)
        target = ref(document["channel"], document["topic"])
        frame = await realtime.publish(
            target,
            document.get("data"),
            durable=bool(document.get("durable", False)),
            message_id=document.get("id"),
        )
        await realtime.flush()
        return JSONResponse(frame)

    async def run_status(request: Request) -> Response:
        document = await body(request)
        await realtime.run_status(
            run_id=document["run_id"],
            fn_id=document.get("fn_id", "web-tests-fn"),
            status=document["status"],
            channels=[document["channel"]],
            output=document.get("output"),
        )
        await realtime.flush()
        return Response(status_code=204)

    async def connections(request: Request) -> Response:
        return JSONResponse({"ids": gateway.connection_ids()})

    async def kill(request: Request) -> Response:
        connection_id = request.path_params["connection_id"]
        management = _aws.client(
            "apigatewaymanagementapi", endpoint_url=os.environ["STEPSTREAM_WS_MANAGEMENT_URL"]
        )
        await asyncio.to_thread(management.delete_connection, ConnectionId=connection_id)
        return Response(status_code=204)

    async def stats(request: Request) -> Response:
        return JSONResponse({"tokens": state["tokens"]})

    return Starlette(
        routes=[
            Route("/token", token, methods=["POST"]),
            Route("/tokens/hold", hold, methods=["POST"]),
            Route("/tokens/release", release, methods=["POST"]),
            Route("/publish", publish, methods=["POST"]),
            Route("/run-status", run_status, methods=["POST"]),
            Route("/connections", connections),
            Route("/connections/{connection_id}", kill, methods=["DELETE"]),
            Route("/stats", stats),
            Mount("/web", StaticFiles(directory=ROOT / "web")),
            Mount("/pages", StaticFiles(directory=Path(__file__).parent / "pages")),
        ]
    )


def main() -> None:
    import uvicorn

    from stepstream.local import LocalStack, StackOptions
    from stepstream.realtime import Realtime

    options = StackOptions(
        template=ROOT / "template.yaml",
        use_environment=False,  # always its own moto, whatever the caller's shell points at
        resource_prefix=f"w{uuid.uuid4().hex[:8]}-",
        http_api=False,
        dashboard=False,
        pollers=False,
        schedules=False,
    )
    with LocalStack(options) as stack:
        assert stack.gateway is not None
        realtime = Realtime(APP_ID)
        config = uvicorn.Config(
            _control_app(stack.gateway, realtime),
            host="127.0.0.1",
            port=0,
            lifespan="off",
            log_level="warning",
        )
        control = uvicorn.Server(config)
        thread = threading.Thread(target=control.run, daemon=True)
        thread.start()
        while not control.started:
            if not thread.is_alive():
                raise SystemExit("the control server did not start")
            threading.Event().wait(0.01)
        control_port = control.servers[0].sockets[0].getsockname()[1]
        control_url = f"http://127.0.0.1:{control_port}"
        print(json.dumps({"gateway": stack.url, "control": control_url}), flush=True)
        sys.stdin.read()  # until the test closes the pipe
        control.should_exit = True
        thread.join(timeout=5)
        realtime.close()


if __name__ == "__main__":
    main()
