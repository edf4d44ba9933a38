"""Shared by the fidelity tests: an in-process local stack on the session's moto running
tests/fidelity/fidelity_app.py, template variants, and sending events through its HTTP API."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from stepstream.config import DEV_EVENT_KEY, DEV_SIGNING_KEY
from stepstream.local import LocalStack, StackOptions
from tests.support.aws import ROOT, TEMPLATE, MotoEndpoint

FIDELITY_APP = "tests.fidelity.fidelity_app:app"
AUTH = {"Authorization": f"Bearer {DEV_SIGNING_KEY}"}
TERMINAL = ("completed", "failed", "cancelled")


def template_variant(folder: Path, *edits: tuple[str, str]) -> Path:
    """template.yaml with each ``(old, new)`` text replaced (``old`` must be there), written to
    ``folder`` with the functions' ``CodeUri`` still pointing at the project's functions/."""
    text = TEMPLATE.read_text(encoding="utf-8")
    text = text.replace("CodeUri: functions/", f"CodeUri: {ROOT / 'functions'}/")
    for old, new in edits:
        assert old in text, f"template.yaml no longer has {old!r}"
        text = text.replace(old, new, 1)
    path = folder / "template.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@contextmanager
def fidelity_stack(
    moto: MotoEndpoint, monkeypatch: pytest.MonkeyPatch, **options: Any
) -> Iterator[LocalStack]:
    """The stack as ``stepstream dev`` runs it (every emulation on) but no dashboard or
    schedules, running the fidelity app."""
    monkeypatch.setenv("STEPSTREAM_APP", FIDELITY_APP)
    settings: dict[str, Any] = {
        "template": TEMPLATE,
        "aws_endpoint": moto.url,
        "resource_prefix": f"f{uuid.uuid4().hex[:8]}-",
        "dashboard": False,
        "schedules": False,
        **options,
    }
    with LocalStack(StackOptions(**settings)) as stack:
        yield stack


def send(stack: LocalStack, name: str, data: dict[str, Any], event_id: str | None = None) -> str:
    event: dict[str, Any] = {"name": name, "data": data}
    if event_id:
        event["id"] = event_id
    answer = httpx.post(f"{stack.url}/e/{DEV_EVENT_KEY}", json=event, timeout=10)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["ids"][0])


def run_of(stack: LocalStack, event_id: str, timeout: float) -> dict[str, Any] | None:
    """The event's run once it ended, or None if it did not within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = httpx.get(f"{stack.url}/v1/events/{event_id}/runs", headers=AUTH, timeout=10).json()[
            "data"
        ]
        if runs and runs[0]["state"] in TERMINAL:
            run: dict[str, Any] = httpx.get(
                f"{stack.url}/v1/runs/{runs[0]['run_id']}", headers=AUTH, timeout=10
            ).json()["data"]
            return run
        time.sleep(0.2)
    return None
