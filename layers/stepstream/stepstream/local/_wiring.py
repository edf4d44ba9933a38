"""Which handler serves which AWS trigger, read from template.yaml.

The dev stack runs the very handlers the template deploys, found the way Lambda finds them:
``CodeUri`` + ``Handler`` of each ``AWS::Serverless::Function``. Triggers come from the same
file: SQS event source mappings (or SAM ``SQS`` events), ``Schedule`` events, and the WebSocket
API's routes and authorizer (Route → Integration → function). stepstream never imports
``functions/`` by name; a renamed handler or module only needs the template changed.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._provision import load_template

Handler = Callable[[Any, Any], Any]
_ARN_REF = re.compile(r"\$\{([A-Za-z0-9]+)\.Arn\}")
_INTEGRATION_REF = re.compile(r"integrations/\$\{([A-Za-z0-9]+)\}")


class WiringError(Exception):
    """The template does not say how to run something the dev stack needs."""


@dataclass(frozen=True)
class HandlerRef:
    """A function's handler as the template names it."""

    logical_id: str
    code_dir: Path
    handler: str
    """``module.attribute``, as in the template (``executor.handler``)."""
    timeout_seconds: int = 3
    """The function's ``Timeout``, so a local invocation's context counts down the same."""

    def load(self, environment: int | str = 0) -> Handler:
        """Import the module from ``CodeUri`` by file path, as Lambda does. The module gets a
        private name so a handler called ``token`` cannot shadow (or be shadowed by) the
        standard library's ``token`` module. Each ``environment`` is its own import of the
        module (its own module-level state), as each Lambda execution environment is; the
        default one is shared by every caller in the process."""
        module_name, _, attribute = self.handler.rpartition(".")
        if not module_name or not attribute:
            raise WiringError(f"{self.logical_id}: Handler {self.handler!r} is not 'module.func'")
        path = self.code_dir / (module_name.replace(".", "/") + ".py")
        if not path.is_file():
            raise WiringError(f"{self.logical_id}: {path} does not exist (Handler {self.handler})")
        # The handlers import the user's app (``app``) from their own folder, as in Lambda.
        code_dir = str(self.code_dir)
        if code_dir not in sys.path:
            sys.path.append(code_dir)
        private_name = f"_stepstream_handler_{module_name.replace('.', '_')}"
        if environment:
            private_name += f"__env{environment}"
        module = sys.modules.get(private_name)
        if module is None:
            spec = importlib.util.spec_from_file_location(private_name, path)
            if spec is None or spec.loader is None:
                raise WiringError(f"{self.logical_id}: cannot import {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[private_name] = module
            try:
                spec.loader.exec_module(module)
            except BaseException:
                del sys.modules[private_name]
                raise
        function = getattr(module, attribute, None)
        if not callable(function):
            raise WiringError(f"{self.logical_id}: {path} has no callable {attribute!r}")
        handler: Handler = function
        return handler


@dataclass(frozen=True)
class QueueTrigger:
    queue: str
    """Logical id of the ``AWS::SQS::Queue``."""
    handler: HandlerRef
    batch_size: int = 10


@dataclass(frozen=True)
class HttpRoute:
    """An HTTP API route (SAM ``HttpApi`` event): ``method`` and ``path`` as the template says
    them (``ANY``, ``$default``, ``/items/{id}``, ``/{proxy+}``)."""

    method: str
    path: str
    handler: HandlerRef


@dataclass
class Wiring:
    """Every trigger the dev stack emulates, with its handler."""

    functions: dict[str, HandlerRef] = field(default_factory=dict)
    queues: list[QueueTrigger] = field(default_factory=list)
    schedules: list[HandlerRef] = field(default_factory=list)
    websocket_routes: dict[str, HandlerRef] = field(default_factory=dict)
    """``$connect`` / ``$disconnect`` / ``$default`` → handler."""
    websocket_authorizer: HandlerRef | None = None
    http_routes: list[HttpRoute] = field(default_factory=list)

    def route(self, key: str) -> HandlerRef:
        ref = self.websocket_routes.get(key)
        if ref is None:
            raise WiringError(
                f"template.yaml has no WebSocket route {key!r} with a Lambda integration"
            )
        return ref


def read_wiring(template_path: str | Path) -> Wiring:
    path = Path(template_path).resolve()
    template = load_template(path)
    resources: dict[str, Any] = template["Resources"]
    globals_ = (template.get("Globals") or {}).get("Function") or {}
    wiring = Wiring()

    for logical_id, resource in resources.items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        props = resource.get("Properties") or {}
        code_uri = props.get("CodeUri", globals_.get("CodeUri"))
        handler = props.get("Handler", globals_.get("Handler"))
        if not isinstance(code_uri, str) or not isinstance(handler, str):
            continue  # an inline or image function: nothing the dev stack can import
        timeout = props.get("Timeout", globals_.get("Timeout", 3))
        ref = HandlerRef(
            logical_id,
            (path.parent / code_uri).resolve(),
            handler,
            timeout if isinstance(timeout, int) else 3,
        )
        wiring.functions[logical_id] = ref
        for event in (props.get("Events") or {}).values():
            kind = event.get("Type")
            event_props = event.get("Properties") or {}
            if kind == "HttpApi":
                method = str(event_props.get("Method", "ANY")).upper()
                route_path = str(event_props.get("Path", "$default"))
                wiring.http_routes.append(HttpRoute(method, route_path, ref))
            elif kind in ("Schedule", "ScheduleV2"):
                wiring.schedules.append(ref)
            elif kind == "SQS":
                queue = _logical_of_arn(event_props.get("Queue"))
                if queue:
                    batch = int(event_props.get("BatchSize", 10))
                    wiring.queues.append(QueueTrigger(queue, ref, batch))

    for resource in resources.values():
        props = resource.get("Properties") or {}
        kind = resource.get("Type")
        if kind == "AWS::Lambda::EventSourceMapping":
            queue = _logical_of_arn(props.get("EventSourceArn"))
            function = _ref(props.get("FunctionName"))
            if queue and function in wiring.functions and queue in resources:
                batch = int(props.get("BatchSize", 10))
                wiring.queues.append(QueueTrigger(queue, wiring.functions[function], batch))
        elif kind == "AWS::ApiGatewayV2::Route":
            key = props.get("RouteKey")
            integration = _match(_INTEGRATION_REF, props.get("Target"))
            target = resources.get(integration or "", {}).get("Properties") or {}
            function = _match(_ARN_REF, target.get("IntegrationUri"))
            if isinstance(key, str) and function in wiring.functions:
                wiring.websocket_routes[key] = wiring.functions[function]
        elif kind == "AWS::ApiGatewayV2::Authorizer":
            function = _match(_ARN_REF, props.get("AuthorizerUri"))
            if function in wiring.functions:
                wiring.websocket_authorizer = wiring.functions[function]
    return wiring


def _ref(value: Any) -> str | None:
    if isinstance(value, dict):
        ref = value.get("Ref")
        return ref if isinstance(ref, str) else None
    return value if isinstance(value, str) else None


def _logical_of_arn(value: Any) -> str | None:
    """``!GetAtt Queue.Arn`` → ``Queue``."""
    if isinstance(value, dict):
        att = value.get("Fn::GetAtt")
        if isinstance(att, list) and len(att) == 2 and att[1] == "Arn":
            return str(att[0])
    return None


def _match(pattern: re.Pattern[str], value: Any) -> str | None:
    """Find ``pattern`` in a string or a ``Fn::Sub``/``Fn::Join`` of strings."""
    texts: list[str] = []
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            texts.append(node)
        elif isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    for text in texts:
        found = pattern.search(text)
        if found:
            return found.group(1)
    return None
