"""The local stack: what template.yaml deploys, run in this process (``stepstream dev``, the
tests, the benchmarks). Never imported by Lambda code."""

from ._gateway import Gateway, GatewayLimits, RunningGateway, WebSocketHandlers, serve_in_thread
from ._iam import IamEmulator
from ._lambda_context import LambdaContext
from ._local_aws import LocalAws
from ._poller import Handler, MessageSource, QueuePoller, SqsPoller, SqsSource
from ._provision import Provisioned, load_template, provision
from ._stack import LocalStack, StackOptions
from ._stack_error import LocalStackError

__all__ = [
    "Gateway",
    "GatewayLimits",
    "Handler",
    "IamEmulator",
    "LambdaContext",
    "LocalAws",
    "LocalStack",
    "LocalStackError",
    "MessageSource",
    "Provisioned",
    "QueuePoller",
    "RunningGateway",
    "SqsPoller",
    "SqsSource",
    "StackOptions",
    "WebSocketHandlers",
    "load_template",
    "provision",
    "serve_in_thread",
]
