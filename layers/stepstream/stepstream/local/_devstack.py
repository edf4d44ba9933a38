"""``stepstream dev``: everything template.yaml deploys, in one process, on one port.

1. AWS: an embedded moto server on a free loopback port, unless ``AWS_ENDPOINT_URL*`` already
   points somewhere (DynamoDB Local, LocalStack, a real account through a proxy).
2. The template's tables, queues and buckets, created from template.yaml; the functions'
   environment exported into this process, as Lambda would set it.
3. One uvicorn server: the HTTP API, the WebSocket gateway emulator and its ``@connections``
   API, the dashboard and the demo pages.
4. The handlers the template wires to triggers, imported from ``CodeUri`` + ``Handler``: an SQS
   poller per event source mapping (the executor) and a per-minute tick per schedule.
"""

from __future__ import annotations

import logging
import os
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .._config import DEV_EVENT_KEY, DEV_SIGNING_KEY

if TYPE_CHECKING:
    from ._provision import Provisioned
    from ._ticker import MinuteTicker

log = logging.getLogger("stepstream.dev")
_CONNECT_PATH = "/v1/realtime/connect"


class DevStackError(Exception):
    """Startup cannot continue; the message says why and what to do."""


@dataclass(frozen=True)
class DevOptions:
    host: str = "127.0.0.1"
    port: int = 8288
    template: str | None = None
    event_key: str | None = None
    signing_key: str | None = None


def find_template(explicit: str | None, start: Path | None = None) -> Path:
    if explicit:
        path = Path(explicit)
        if not path.is_file():
            raise DevStackError(f"--template {explicit}: no such file")
        return path.resolve()
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "template.yaml"
        if candidate.is_file():
            return candidate
    raise DevStackError(
        f"no template.yaml in {here} or above; run from the project folder or pass --template"
    )


SERVICES = ("dynamodb", "sqs", "s3")
"""What the template's resources need; moto serves any of them no variable points elsewhere."""


def external_endpoints() -> dict[str, str]:
    """Service → endpoint for the services an ``AWS_ENDPOINT_URL*`` variable already points at.
    The generic ``AWS_ENDPOINT_URL`` covers every service, as botocore reads it."""
    env = os.environ
    generic = env.get("AWS_ENDPOINT_URL", "")
    found = {}
    for service in SERVICES:
        specific = env.get(f"AWS_ENDPOINT_URL_{service.upper()}", "")
        if specific or generic:
            found[service] = specific or generic
    return found


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


class _Stack:
    """What has been started, so a stop (clean or not) undoes exactly that."""

    def __init__(self) -> None:
        self.stoppers: list[Callable[[], None]] = []

    def on_stop(self, stopper: Callable[[], None]) -> None:
        self.stoppers.append(stopper)

    def stop(self) -> None:
        while self.stoppers:
            stopper = self.stoppers.pop()
            try:
                stopper()
            except Exception:
                log.debug("error while stopping", exc_info=True)


def run_dev(options: DevOptions, out: TextIO = sys.stdout) -> int:
    """Run until Ctrl-C/SIGTERM; 0 after a clean stop, 1 if startup failed."""
    _configure_logging()
    printer = _Printer(out)
    stack = _Stack()
    try:
        server, sock = _start(options, printer, stack)
        server.run(sockets=[sock])
        printer.line("\nstopping...")
    except KeyboardInterrupt:
        printer.line("\nstopping...")
    except DevStackError as exc:
        stack.stop()
        print(f"stepstream dev: error: {exc}", file=sys.stderr, flush=True)
        return 1
    stack.stop()
    printer.line("stopped")
    return 0


def _start(options: DevOptions, printer: _Printer, stack: _Stack) -> tuple[Any, socket.socket]:
    from ._devserver import DevServer, PortInUseError, bind, build_asgi, server_config

    template = find_template(options.template)
    printer.line(f"stepstream dev: {template.parent}")
    try:
        sock = bind(options.host, options.port)
    except PortInUseError as exc:
        raise DevStackError(str(exc)) from exc
    stack.on_stop(sock.close)
    port = sock.getsockname()[1]
    loopback = "127.0.0.1" if options.host in ("0.0.0.0", "", "::") else options.host
    base_url = f"http://{_host_for_url(loopback)}:{port}"

    if options.event_key:
        os.environ["STEPSTREAM_EVENT_KEY"] = options.event_key
    if options.signing_key:
        os.environ["STEPSTREAM_SIGNING_KEY"] = options.signing_key
    aws_line = _start_aws(printer, stack)
    provisioned = _provision(template, printer)
    _export_environment(template, provisioned.environment)
    os.environ["STEPSTREAM_WS_MANAGEMENT_URL"] = base_url
    os.environ["STEPSTREAM_REALTIME_URL"] = "ws" + base_url.removeprefix("http") + _CONNECT_PATH

    printer.step("loading the handlers named in template.yaml...")
    api, gateway, pollers, ticker = _load(template, provisioned.queues, stack)
    example = _example_event()
    for poller in pollers:
        poller.start()
        stack.on_stop(poller.stop)
    ticker.start()
    stack.on_stop(ticker.stop)

    from ._dashboard import DashboardConfig, is_loopback

    web_dir = template.parent / "web"
    dashboard = DashboardConfig(
        web_dir=web_dir if web_dir.is_dir() else None,
        loopback_only=is_loopback(options.host),
    )
    asgi = build_asgi(api, gateway, dashboard)

    def ready() -> None:
        _print_banner(printer, base_url, aws_line, options.host, example)
        printer.done(f"ready on {base_url}")

    config = server_config(asgi, max_message_bytes=gateway.limits.max_message_bytes)
    return DevServer(config, ready), sock


def _start_aws(printer: _Printer, stack: _Stack) -> str:
    external = external_endpoints()
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    if len(external) == len(SERVICES):
        where = ", ".join(f"{service} at {url}" for service, url in external.items())
        printer.step(f"AWS: using {where} (state lives there)")
        return f"{where} (state lives there)"
    missing = [service for service in SERVICES if service not in external]
    printer.step(f"AWS: starting embedded moto for {', '.join(missing)}...")
    from moto.server import ThreadedMotoServer

    from .._aws import reset_clients

    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    moto.start()
    stack.on_stop(moto.stop)
    # moto's werkzeug logs every request at INFO; the dev stack's output is for the user's runs.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    host, moto_port = moto.get_host_and_port()
    endpoint = f"http://{host}:{moto_port}"
    # The generic variable reaches every service without its own AWS_ENDPOINT_URL_<SERVICE>.
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    if not external:
        # Everything is moto, which accepts any credentials; fixed ones keep a developer's real
        # profile (and its SSO prompts) out of it.
        os.environ["AWS_ACCESS_KEY_ID"] = "testing"
        os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
        os.environ.pop("AWS_SESSION_TOKEN", None)
        os.environ.pop("AWS_PROFILE", None)
    elif _no_credentials():
        os.environ["AWS_ACCESS_KEY_ID"] = "testing"
        os.environ["AWS_SECRET_ACCESS_KEY"] = "testing"
    reset_clients()
    line = f"AWS_ENDPOINT_URL={endpoint} (embedded moto; its state is in memory)"
    for service, url in external.items():
        line += f"; {service} at {url}"
    return line


def _no_credentials() -> bool:
    import boto3

    return boto3.session.Session().get_credentials() is None


def _export_environment(template: Path, environment: dict[str, str]) -> None:
    """Set the functions' environment as Lambda would. Values that name the resources just
    created always win; plain settings from the template (``STEPSTREAM_APP``,
    ``POWERTOOLS_*``) are defaults the developer's shell may override."""
    from ._provision import load_template

    declared = (
        (load_template(template).get("Globals") or {})
        .get("Function", {})
        .get("Environment", {})
        .get("Variables", {})
    )
    for key, value in environment.items():
        if isinstance(declared.get(key), str):
            os.environ.setdefault(key, value)
        else:
            os.environ[key] = value


def _provision(template: Path, printer: _Printer) -> Provisioned:
    from ._provision import provision

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    printer.step(f"provisioning tables, queues and buckets from {template.name}...")
    try:
        provisioned = provision(template)
    except Exception as exc:
        endpoint = os.environ.get("AWS_ENDPOINT_URL", "AWS")
        raise DevStackError(
            f"could not create the template's resources on {endpoint}: {exc}. "
            "Check that the endpoint is running and the credentials are valid."
        ) from exc
    counts = (
        f"{len(provisioned.tables)} tables, {len(provisioned.queues)} queues, "
        f"{len(provisioned.buckets)} buckets"
    )
    printer.done(counts)
    return provisioned


def _load(
    template: Path, queue_urls: dict[str, str], stack: _Stack
) -> tuple[Any, Any, list[Any], MinuteTicker]:
    from .. import load_app
    from ..http import create_api, routers_from_env
    from ._gateway import Gateway, WebSocketHandlers
    from ._poller import SqsPoller
    from ._ticker import MinuteTicker
    from ._wiring import WiringError, read_wiring

    try:
        wiring = read_wiring(template)
        handlers = WebSocketHandlers(
            authorizer=_required(wiring.websocket_authorizer, "a WebSocket authorizer").load(),
            connect=wiring.route("$connect").load(),
            disconnect=wiring.route("$disconnect").load(),
            default=wiring.route("$default").load(),
        )
        pollers = [
            SqsPoller(
                trigger.handler.load(),
                queue_urls[trigger.queue],
                batch_size=trigger.batch_size,
                wait_seconds=1,
                timeout_ms=trigger.handler.timeout_seconds * 1000,
                region=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
            )
            for trigger in wiring.queues
        ]
        ticker = MinuteTicker([(ref.logical_id, ref.load()) for ref in wiring.schedules])
        app = load_app()
    except WiringError as exc:
        raise DevStackError(str(exc)) from exc
    except ImportError as exc:
        raise DevStackError(
            f"importing the handlers or the app failed: {exc}. Fix the import, or run "
            "`make dev` once so .venv has every dependency."
        ) from exc
    gateway = Gateway(handlers)
    stack.on_stop(gateway.shutdown)
    try:
        # The user's own routers (STEPSTREAM_ROUTES), as the API Lambda mounts them.
        routers = routers_from_env()
    except (ImportError, TypeError) as exc:
        raise DevStackError(f"STEPSTREAM_ROUTES: {exc}") from exc
    return create_api(app, routers=routers), gateway, pollers, ticker


def _required(value: Any, what: str) -> Any:
    if value is None:
        from ._wiring import WiringError

        raise WiringError(f"template.yaml declares no {what}")
    return value


def _example_event() -> str | None:
    """An event name one of the app's functions is triggered by, for the banner's hint."""
    from .. import load_app
    from .._function import TriggerEvent

    for function in load_app().functions.values():
        for trigger in function.triggers:
            if isinstance(trigger, TriggerEvent):
                return str(trigger.event)
    return None


def _print_banner(
    printer: _Printer, base_url: str, aws_line: str, host: str, example: str | None
) -> None:
    event_key = os.environ.get("STEPSTREAM_EVENT_KEY") or DEV_EVENT_KEY
    signing_key = os.environ.get("STEPSTREAM_SIGNING_KEY") or DEV_SIGNING_KEY
    ws_url = "ws" + base_url.removeprefix("http") + "/v1/realtime/connect"
    printer.line()
    printer.line(f"  Dashboard    {base_url}/")
    printer.line(f"  Event API    POST {base_url}/e/{event_key}")
    printer.line(f"  Runs API     {base_url}/v1/runs   (API docs: {base_url}/docs)")
    printer.line(f"  WebSocket    {ws_url}")
    printer.line(f"  AWS          {aws_line}")
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


def _dev_note(value: str, default: str) -> str:
    return "  (development default)" if value == default else ""


def _host_for_url(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _configure_logging() -> None:
    logging.basicConfig(
        level=logging.WARNING,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    from ._gateway import _DenialLogFilter

    logging.getLogger("uvicorn.error").addFilter(_DenialLogFilter())
