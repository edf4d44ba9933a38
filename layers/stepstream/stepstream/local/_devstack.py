"""``stepstream dev``: everything template.yaml deploys, in one process, on one port.

The stack is a :class:`~._stack.LocalStack` with its default options (embedded moto unless
``AWS_ENDPOINT_URL*`` points elsewhere, the template's resources and environment, the HTTP API,
the WebSocket gateway, the dashboard, the executor's SQS poller and the schedules); this module
is what the developer sees: the steps as they happen, the banner, and Ctrl-C.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .._config import DEV_EVENT_KEY, DEV_SIGNING_KEY
from ._gateway_management import POST_LATENCY_ENV, post_latency_ms
from ._stack import LocalStack, StackOptions
from ._stack_error import LocalStackError

if TYPE_CHECKING:
    from starlette.routing import BaseRoute


@dataclass(frozen=True)
class DevOptions:
    host: str = "127.0.0.1"
    port: int = 8288
    template: str | None = None
    event_key: str | None = None
    signing_key: str | None = None
    post_latency_ms: float | None = None
    """None: ``STEPSTREAM_GATEWAY_POST_LATENCY_MS``, else :data:`DEV_POST_LATENCY_MS`."""
    iam: bool = True
    recursion_detection: bool = True
    lambda_logging: bool = True
    poller_concurrency: int | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    reload: bool = True
    """Reload the handlers when the user's code changes (``--no-reload``: off)."""
    state_dir: str | None = None
    """Keep the local AWS state in this folder across restarts (``--state-dir``)."""


DEV_POST_LATENCY_MS = 30.0
"""What ``stepstream dev`` makes every ``@connections`` call wait unless told otherwise: about an
HTTPS round trip to API Gateway, so a stream feels locally as it will on AWS."""


class _Printer:
    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.started = time.monotonic()

    def step(self, text: str) -> None:
        print(f"  {text}", file=self.out, flush=True)

    def done(self, text: str) -> None:
        print(f"  {text} ({time.monotonic() - self.started:.1f} s)", file=self.out, flush=True)

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)


def _dev_post_latency(explicit: float | None) -> float:
    if explicit is None and not os.environ.get(POST_LATENCY_ENV, "").strip():
        return DEV_POST_LATENCY_MS
    return post_latency_ms(explicit)


def run_dev(
    options: DevOptions,
    out: TextIO = sys.stdout,
    routes: Callable[[LocalStack], Sequence[BaseRoute]] | None = None,
) -> int:
    """Run until Ctrl-C/SIGTERM; 0 after a clean stop, 1 if startup failed. ``routes``: extra
    routes served first (the end-to-end tests' hand on the server)."""
    if not options.lambda_logging:
        _configure_logging()  # otherwise the stack logs as Lambda's runtime does
    printer = _Printer(out)
    stack_options = StackOptions(
        template=options.template,
        host=options.host,
        port=options.port,
        event_key=options.event_key,
        signing_key=options.signing_key,
        routes=routes,
        post_latency_ms=_dev_post_latency(options.post_latency_ms),
        iam=options.iam,
        recursion_detection=options.recursion_detection,
        lambda_logging=options.lambda_logging,
        poller_concurrency=options.poller_concurrency,
        parameters=options.parameters,
        reload=options.reload,
        state_dir=options.state_dir,
        trim_when_idle=True,
    )
    try:
        stack = LocalStack(stack_options, progress=printer)
        printer.line(f"stepstream dev: {stack.template.parent}")
    except LocalStackError as exc:
        return _failed(exc)
    try:
        stack.prepare()
        example = _example_event()

        def ready() -> None:
            _print_banner(printer, stack, options.host, example)
            printer.done(f"ready on {stack.url}")

        stack.serve_forever(ready)
        printer.line("\nstopping...")
    except KeyboardInterrupt:
        printer.line("\nstopping...")
    except LocalStackError as exc:
        stack.stop()
        return _failed(exc)
    stack.stop()
    printer.line("stopped")
    return 0


def _failed(exc: LocalStackError) -> int:
    print(f"stepstream dev: error: {exc}", file=sys.stderr, flush=True)
    return 1


def _example_event() -> str | None:
    """An event name one of the app's functions is triggered by, for the banner's hint."""
    from .. import load_app
    from .._function import TriggerEvent

    for function in load_app().functions.values():
        for trigger in function.triggers:
            if isinstance(trigger, TriggerEvent):
                return str(trigger.event)
    return None


def _print_banner(printer: _Printer, stack: LocalStack, host: str, example: str | None) -> None:
    base_url = stack.url
    aws_line = stack.aws.describe()
    event_key = os.environ.get("STEPSTREAM_EVENT_KEY") or DEV_EVENT_KEY
    signing_key = os.environ.get("STEPSTREAM_SIGNING_KEY") or DEV_SIGNING_KEY
    ws_url = stack.ws_url
    printer.line()
    printer.line(f"  Dashboard    {base_url}/")
    printer.line(f"  Event API    POST {base_url}/e/{event_key}")
    printer.line(f"  Runs API     {base_url}/v1/runs   (API docs: {base_url}/docs)")
    printer.line(f"  WebSocket    {ws_url}")
    printer.line(f"  AWS          {aws_line}")
    if stack.reloader is not None:
        watched = ", ".join(_relative(root) for root in stack.reloader.roots)
        printer.line(f"  Reload       on code edits in {watched} (--no-reload: off)")
    printer.line(f"  Event key    {event_key}" + _dev_note(event_key, DEV_EVENT_KEY))
    printer.line(f"  Signing key  {signing_key}" + _dev_note(signing_key, DEV_SIGNING_KEY))
    if host not in ("127.0.0.1", "localhost", "::1"):
        printer.line(f"  Listening on {host}: the dashboard will not embed the signing key")
    printer.line()
    if example:
        url = "" if base_url == "http://127.0.0.1:8288" else f" --url {base_url}"
        printer.line(f"  Try: .venv/bin/stepstream send {example} --data '{{}}'{url}")
    printer.line("  Ctrl-C stops everything.")
    printer.line()


def _relative(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd())) or "."
    except ValueError:
        return str(path)


def _dev_note(value: str, default: str) -> str:
    return "  (development default)" if value == default else ""


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.WARNING,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
