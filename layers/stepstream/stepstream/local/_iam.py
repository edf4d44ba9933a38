"""IAM per function on the local stack: each handler's AWS calls are allowed or refused as the
function's role in template.yaml allows them, the way AWS would (``AccessDenied``).

    iam = IamEmulator.from_template("template.yaml", local_names(provisioned, secrets={...}))
    with iam.enforce("WsDefaultFunction"):
        ws_default.handler(event, context)          # a call the role lacks raises AccessDenied

A botocore ``before-parameter-build`` hook on the session ``stepstream._aws`` makes its clients
from reads which function is acting (a context variable set by :meth:`IamEmulator.enforce`), works
out the action and resource ARN of the request (``_iam_requests``) and evaluates the role's
statements (``_iam_policies``). Calls made while no function is acting (test set-up, the local
stack's own plumbing) are not checked. Worker pools that do not inherit the caller's context (the
realtime fan-out's, the keepalive sweep's; known by thread name) are attributed to the one
function acting in the process; while several act at once such calls are counted in
``unattributed`` instead and not checked.
docs/architecture.md ("IAM, locally") lists what this covers and what it does not.
"""

from __future__ import annotations

import contextlib
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from .. import _aws
from ..realtime._secrets import CACHE_SCOPE, reset_secret_cache
from ._iam_policies import Decision, LocalNames, RolePolicy, role_policies, transform
from ._iam_requests import Requested, requested
from ._provision import Provisioned

_HOOK_ID = "stepstream-local-iam"
# AWS's error code for a refused request, by service (most JSON services say ...Exception).
_DENIED_CODES = {"s3": "AccessDenied", "sqs": "AccessDenied"}

_acting: ContextVar[tuple[IamEmulator, str] | None] = ContextVar("stepstream_iam", default=None)
_hooked: weakref.WeakSet[Any] = weakref.WeakSet()  # sessions carrying the hook
_lock = threading.Lock()
_active: list[tuple[IamEmulator, str]] = []  # every enforce() in progress, in any thread
# Worker threads that run a function's calls without its context: the realtime fan-out's posts
# and the keepalive sweep's pings (an unnamed ThreadPoolExecutor).
_POOL_THREADS = ("stepstream-post", "ThreadPoolExecutor-")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Denial:
    """One refused request."""

    function: str
    action: str
    resource: str
    reason: str

    def __str__(self) -> str:
        return f"{self.function} may not {self.action} on {self.resource}: {self.reason}"


def local_names(
    provisioned: Provisioned,
    *,
    secrets: Mapping[str, str] | None = None,
    parameters: Mapping[str, str] | None = None,
    websocket_api_id: str = "local",
    region: str = "us-east-1",
    account: str = "123456789012",
) -> LocalNames:
    """The local values of the template's names: what ``provision`` created, the ARNs of the
    secrets created locally (logical id -> ARN), and the WebSocket API the gateway stands for."""
    refs: dict[str, str] = {"WebSocketApi": websocket_api_id}
    attributes: dict[tuple[str, str], str] = {}
    for logical_id, table in provisioned.tables.items():
        refs[logical_id] = table
        attributes[(logical_id, "Arn")] = f"arn:aws:dynamodb:{region}:{account}:table/{table}"
    for logical_id, url in provisioned.queues.items():
        name = url.rstrip("/").rsplit("/", 1)[-1]
        refs[logical_id] = url
        attributes[(logical_id, "Arn")] = f"arn:aws:sqs:{region}:{account}:{name}"
        attributes[(logical_id, "QueueName")] = name
    for logical_id, bucket in provisioned.buckets.items():
        refs[logical_id] = bucket
        attributes[(logical_id, "Arn")] = f"arn:aws:s3:::{bucket}"
    for logical_id, arn in (secrets or {}).items():
        refs[logical_id] = arn
        attributes[(logical_id, "Id")] = arn
    return LocalNames(
        refs=refs,
        attributes=attributes,
        parameters=dict(parameters or {}),
        region=region,
        account=account,
    )


@dataclass(eq=False)  # compared and hashed by identity: one emulator is one stack
class IamEmulator:
    """The template's roles, enforced on the calls of whichever function is acting."""

    policies: Mapping[str, RolePolicy]
    names: LocalNames
    denials: list[Denial] = field(default_factory=list)
    """Every refused request, in order (a handler may catch the error; the record stays)."""
    checked: int = 0
    """Requests evaluated (allowed or not)."""
    unattributed: int = 0
    """Requests from context-less threads while several functions acted: not checked."""

    @classmethod
    def from_template(
        cls, template_path: str | Path, names: LocalNames, parameters: Mapping[str, str] = {}
    ) -> IamEmulator:
        return cls.from_transformed(transform(template_path, parameters), names, parameters)

    @classmethod
    def from_transformed(
        cls, transformed: Mapping[str, Any], names: LocalNames, parameters: Mapping[str, str] = {}
    ) -> IamEmulator:
        """As :meth:`from_template`, from a template already through the SAM transform."""
        # Every parameter's value, defaults included: the @connections ARN needs the stage.
        resolved = {
            name: str(parameters.get(name, spec.get("Default", "")))
            for name, spec in (transformed.get("Parameters") or {}).items()
        }
        names = LocalNames(
            refs=names.refs,
            attributes=names.attributes,
            parameters={**resolved, **names.parameters},
            region=names.region,
            account=names.account,
            partition=names.partition,
            websocket_api=names.websocket_api,
        )
        return cls(role_policies(transformed, names), names)

    def install(self) -> None:
        """Hook the clients ``stepstream._aws`` makes from now on (also done by :meth:`enforce`;
        call it first when you hold on to clients made before any function acts)."""
        _hook_current_session()

    def decide(self, function: str, needed: Requested) -> Decision:
        try:
            policy = self.policies[function]
        except KeyError:
            raise KeyError(f"{function} is not a function of the template") from None
        return policy.decide(needed.action, needed.resource)

    @contextlib.contextmanager
    def enforce(self, function: str) -> Iterator[None]:
        """Check every AWS call made in this context (and in contexts copied from it, e.g.
        ``asyncio.to_thread``) against ``function``'s role."""
        if function not in self.policies:
            raise KeyError(f"{function} is not a function of the template")
        _hook_current_session()
        token = _acting.set((self, function))
        scope = CACHE_SCOPE.set(function)  # each function its own secret cache, as on Lambda
        with _lock:
            _active.append((self, function))
        try:
            yield
        finally:
            with _lock:
                _active.remove((self, function))
            CACHE_SCOPE.reset(scope)
            _acting.reset(token)

    def wrap(self, function: str, handler: F) -> F:
        """``handler`` run under ``function``'s role on every call."""

        def run(*args: Any, **kwargs: Any) -> Any:
            with self.enforce(function):
                return handler(*args, **kwargs)

        return run  # type: ignore[return-value]

    def asgi(self, function: str, app: Any) -> Any:
        """An ASGI app whose requests run under ``function``'s role."""

        async def run(scope: Any, receive: Any, send: Any) -> None:
            with self.enforce(function):
                await app(scope, receive, send)

        return run


def _hook_current_session() -> None:
    """Register the check on the session ``stepstream._aws`` makes clients from. Clients copy
    their session's hooks when made, so the first time a session is seen the cached clients
    (and the secret providers holding some) are dropped and made again with the hook."""
    session = _aws.session()
    if session in _hooked:
        return
    with _lock:
        if session in _hooked:
            return
        # The cached clients only, not the session: other hooks on it (the local recursion
        # tracking's) stay.
        _aws.client.cache_clear()
        reset_secret_cache()
        session.events.register("before-parameter-build", _check, unique_id=_HOOK_ID)
        _hooked.add(session)


def _who() -> tuple[IamEmulator, str] | None:
    acting = _acting.get()
    if acting is not None or not threading.current_thread().name.startswith(_POOL_THREADS):
        return acting
    with _lock:
        distinct = set(_active)
    if len(distinct) == 1:
        return next(iter(distinct))
    if distinct:
        next(iter(distinct))[0].unattributed += 1
    return None


def _check(params: Mapping[str, Any], model: Any, **_: Any) -> None:
    acting = _who()
    if acting is None:
        return
    emulator, function = acting
    service = model.service_model.signing_name or model.service_model.endpoint_prefix
    for needed in requested(service, model.name, params, emulator.names):
        emulator.checked += 1
        decision = emulator.decide(function, needed)
        if decision.allowed:
            continue
        denial = Denial(function, needed.action, needed.resource, decision.reason)
        emulator.denials.append(denial)
        role = emulator.policies[function].role
        caller = f"arn:aws:sts::{emulator.names.account}:assumed-role/{role}/{function}"
        raise ClientError(
            {
                "Error": {
                    "Code": _DENIED_CODES.get(service, "AccessDeniedException"),
                    "Message": f"User: {caller} is not authorized to perform: {needed.action} "
                    f"on resource: {needed.resource} because {decision.reason} "
                    "(local IAM emulation of template.yaml)",
                },
                "ResponseMetadata": {"HTTPStatusCode": 403},  # type: ignore[typeddict-item]
            },
            model.name,
        )
