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


IMPORT = re.compile(r"""\bfrom\s+["'](\.{1,2}/[^"']+)["']""")


def test_every_project_module_the_bundle_imports_is_a_listed_source() -> None:
    # GIVEN the listed sources
    listed = set(sources())
    # WHEN following their relative imports
    imported = {
        (ROOT / source).parent.joinpath(target).resolve().relative_to(ROOT).as_posix()
        for source in listed
        for target in IMPORT.findall((ROOT / source).read_text())
    }
    # THEN each is listed, so the hash below covers it
    assert imported <= listed, f"add {sorted(imported - listed)} to SOURCES in web/demos/build.mjs"


def test_bundle_is_built_from_the_current_sources() -> None:
    digest = hashlib.sha256()
    for source in sources():
        digest.update(source.encode() + b"\0" + (ROOT / source).read_bytes() + b"\0")
    first_line = BUNDLE.read_text().split("\n", 1)[0]
    assert first_line.endswith(f"sha256 {digest.hexdigest()}"), (
        "web/demos/generate-response/app.js is stale: run "
        "`npm ci --prefix web/demos && node web/demos/build.mjs` and commit it"
    )
