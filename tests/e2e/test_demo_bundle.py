"""The committed React bundle (web/demos/generate-response/app.js) was built from the sources
as they are now: its first line carries their hash (see web/demos/build.mjs). If this fails,
rebuild: ``npm ci --prefix web/demos && node web/demos/build.mjs``."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / "web" / "demos" / "build.mjs"
BUNDLE = ROOT / "web" / "demos" / "generate-response" / "app.js"


def sources() -> list[str]:
    block = re.search(r"SOURCES = \[(.*?)\]", BUILD.read_text(), re.S)
    assert block, "build.mjs must list its SOURCES"
    return re.findall(r'"([^"]+)"', block.group(1))


def test_bundle_is_built_from_the_current_sources() -> None:
    digest = hashlib.sha256()
    for source in sources():
        digest.update(source.encode() + b"\0" + (ROOT / source).read_bytes() + b"\0")
    first_line = BUNDLE.read_text().split("\n", 1)[0]
    assert first_line.endswith(f"sha256 {digest.hexdigest()}"), (
        "web/demos/generate-response/app.js is stale: run "
        "`npm ci --prefix web/demos && node web/demos/build.mjs` and commit it"
    )
