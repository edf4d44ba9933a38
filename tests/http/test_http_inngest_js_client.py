"""The official ``inngest`` npm client (v4), pointed at our base URL, sends events unchanged."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from stepstream import Stepstream

from ._http_support import AUTH, EVENT_KEY

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).parent / "node" / "official_send.mjs"

pytestmark = pytest.mark.node


def _node_send(base_url: str, event_key: str) -> dict[str, object]:
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "inngest").is_dir():
        pytest.skip("node and the npm packages are needed: run `make node-deps`")
    done = subprocess.run(
        [node, str(SCRIPT), base_url, event_key],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_npm_client_sends_single_events_and_batches(
    base_url: str, client: httpx.Client, app: Stepstream
) -> None:
    # WHEN the official JavaScript client sends one event, then a batch of two
    result = _node_send(base_url, EVENT_KEY)
    # THEN it received ids for all three
    single, batch = result["single"], result["batch"]
    assert isinstance(single, list)
    assert isinstance(batch, list)
    assert len(single) == 1
    assert batch[1] == "node-dedupe"
    # AND every field it sent is stored
    greeted = app.events.get(str(single[0]))
    assert greeted is not None
    assert (greeted.name, greeted.data) == ("test/greet", {"who": "node"})
    assert greeted.ts > 0
    with_user = app.events.get(str(batch[0]))
    assert with_user is not None
    assert with_user.user == {"id": "u1"}
    assert app.events.get("node-dedupe") is not None
    # AND the greet events started their runs
    for event_id in (single[0], batch[0]):
        runs = client.get(f"/v1/events/{event_id}/runs", headers=AUTH).json()["data"]
        assert [r["function_id"] for r in runs] == ["greet"]


def test_the_npm_client_reports_our_error_for_a_wrong_key(base_url: str) -> None:
    result = _node_send(base_url, "not-the-key")
    assert "unknown event key" in str(result["error"])
