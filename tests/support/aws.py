"""AWS for a test: the environment that points boto3 at a local endpoint, and the template's
resources provisioned there under a prefix of their own."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from stepstream.aws import reset_clients
from stepstream.local import LocalAws, Provisioned, provision

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"


@dataclass
class MotoEndpoint:
    """The session's moto server (``moto_endpoint`` fixture)."""

    url: str
    aws: LocalAws


def use_local_aws(env: pytest.MonkeyPatch, aws: LocalAws, letter: str = "t") -> Provisioned:
    """Point this process at ``aws`` (undone with ``env``) and provision template.yaml's tables,
    queues and buckets under a fresh prefix starting with ``letter``; the functions' environment
    is set to them."""
    for key, value in aws.environment().items():
        if value is None:
            env.delenv(key, raising=False)
        else:
            env.setenv(key, value)
    reset_clients()
    provisioned = provision(TEMPLATE, prefix=f"{letter}{uuid.uuid4().hex[:10]}-")
    for key, value in provisioned.environment.items():
        env.setenv(key, value)
    return provisioned
