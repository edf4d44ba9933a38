"""GIVEN the dev stack's code watcher on a folder of Python files
WHEN files are saved in a burst (each save closer to the last than the quiet period), then one
more file is added after a pause, and a non-Python file and a __pycache__ file change
THEN the burst is one reload naming every saved file, the later file another, and the
non-Python and cache files none; and the library's own folders are never treated as user code."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import pytest

from stepstream.local import _reload
from stepstream.local._reload import CodeWatcher, code_roots


def test_a_burst_of_saves_is_one_reload(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A long quiet period, so the burst below stays one even on a slow machine.
    monkeypatch.setattr(_reload, "QUIET_SECONDS", 1.5)
    monkeypatch.setattr(_reload, "MAX_SETTLE_SECONDS", 60.0)
    files = [tmp_path / f"m{n}.py" for n in range(4)]
    for file in files:
        file.write_text("x = 1\n")
    (tmp_path / "__pycache__").mkdir()
    calls: list[list[Path]] = []
    called = threading.Event()

    def on_change(changed: list[Path]) -> None:
        calls.append(changed)
        called.set()

    watcher = CodeWatcher([tmp_path], on_change, poll_seconds=0.05)
    watcher.start()
    try:
        for file in files:
            file.write_text("x = 22\n")
            time.sleep(0.1)  # slower than a poll, faster than the quiet period
        (tmp_path / "notes.txt").write_text("not code")
        (tmp_path / "__pycache__" / "m0.py").write_text("not the user's")
        assert called.wait(60), "no reload"
        assert calls == [files]

        called.clear()
        (tmp_path / "later.py").write_text("y = 1\n")
        assert called.wait(60), "no second reload"
        assert calls[1:] == [[tmp_path / "later.py"]]
    finally:
        watcher.stop()


def test_code_roots_are_the_handlers_and_the_app_never_the_library(tmp_path: Path) -> None:
    class Ref:
        code_dir = tmp_path

    app_file = tmp_path.parent / "alone_app_module.py"
    app_file.write_text("")
    sys.path.insert(0, str(tmp_path.parent))
    try:
        roots = code_roots([Ref()], "alone_app_module:app")
        library = code_roots([Ref()], "stepstream:app")
    finally:
        sys.path.remove(str(tmp_path.parent))
        app_file.unlink()
    assert roots == sorted([tmp_path.resolve(), app_file.resolve()])
    assert library == [tmp_path.resolve()]
