"""The local stack: what template.yaml deploys, run in this process (``stepstream dev``, the
tests, the benchmarks). Never imported by Lambda code."""

from ._local_aws import LocalAws
from ._provision import Provisioned, provision
from ._stack import LocalStack, StackOptions
from ._stack_error import LocalStackError

__all__ = ["LocalAws", "LocalStack", "LocalStackError", "Provisioned", "StackOptions", "provision"]
