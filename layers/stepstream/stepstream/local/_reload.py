"""Reload on code edit: ``stepstream dev`` watches the user's code and, when it changes, makes a
new deployment of the handlers, as ``sam deploy`` makes a new version of each function.

Only the code reloads. The local AWS, the gateway with its open sockets, the pollers, the ticker
and the server keep running, so runs, sleeps, waits, history, subscriptions and sockets carry
over: a sleeping run wakes into the new code and replays its memoized steps, as it would on AWS
after a deploy. The new code is imported before it is put in place; if that fails (a syntax
error, an import error, a ``FlowConfigError``) the previous deployment keeps serving and the
error is printed, so the next good save recovers.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import os
import site
import sys
import sysconfig
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .._config import Settings
from .._loader import load_app

if TYPE_CHECKING:
    from ._emulation import Emulation
    from ._stack import Progress
    from ._wiring import Wiring

POLL_SECONDS = 0.4
"""How often the watcher looks at the files' modification times."""
QUIET_SECONDS = 0.3
"""A burst of saves (an editor's save-all, a ``git checkout``) is one reload: the watcher waits
until nothing changed for this long..."""
MAX_SETTLE_SECONDS = 3.0
"""...but no longer than this after the first change."""
_SKIPPED_DIRS = frozenset(
    {"__pycache__", "node_modules", ".venv", "venv", ".git", ".mypy_cache", ".ruff_cache"}
)

Stamp = tuple[int, int, int]


@functools.cache
def _library_roots() -> list[Path]:
    """Where installed packages live: never the user's code, never unloaded."""
    paths = {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib", "purelib", "platlib")}
    paths.update(site.getsitepackages())
    paths.add(str(Path(__file__).resolve().parents[1]))  # stepstream itself, even editable
    return [Path(p).resolve() for p in paths if p]


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def code_roots(refs: Iterable[Any], app_ref: str | None = None) -> list[Path]:
    """What holds the user's code: each handler's ``CodeUri`` folder and the ``STEPSTREAM_APP``
    module (its top-level package's folder, or the file of a top-level module)."""
    roots = {Path(ref.code_dir).resolve() for ref in refs}
    module_name = (app_ref or Settings.from_env().app_ref).partition(":")[0]
    top = module_name.split(".")[0]
    spec = importlib.util.find_spec(top) if top else None
    if spec is not None and spec.origin and spec.origin not in ("built-in", "frozen"):
        origin = Path(spec.origin).resolve()
        roots.add(origin.parent if spec.submodule_search_locations else origin)
    libraries = _library_roots()
    kept = [r for r in roots if not any(_within(r, lib) for lib in libraries)]
    # A root inside another is watched (and unloaded) through the outer one.
    return sorted(r for r in kept if not any(o != r and _within(r, o) for o in kept))


def user_modules(roots: Sequence[Path]) -> dict[str, ModuleType]:
    """The imported modules whose file is under ``roots``. Most modules are the standard
    library's or installed packages', told apart by their path's text; only the others have
    their symlinks resolved (doing it for all of them takes a second)."""
    exact = {str(root) for root in roots}
    prefixes = tuple(str(root) + os.sep for root in roots)
    libraries = tuple(str(root) + os.sep for root in _library_roots())
    found = {}
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if not isinstance(file, str):
            continue
        path = os.path.abspath(file)
        if path.startswith(libraries):
            continue
        if not (path in exact or path.startswith(prefixes)):
            path = os.path.realpath(path)
            if not (path in exact or path.startswith(prefixes)):
                continue
        found[name] = module
    return found


def scan(roots: Sequence[Path]) -> dict[str, Stamp]:
    """Every ``.py`` file under ``roots`` with its modification time, size and inode (an
    editor that saves by renaming a new file over the old one changes the inode)."""
    stamps: dict[str, Stamp] = {}

    def walk(folder: str) -> None:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            return  # removed meanwhile
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if entry.name not in _SKIPPED_DIRS and not entry.name.startswith("."):
                        walk(entry.path)
                elif entry.name.endswith(".py"):
                    stat = entry.stat()
                    stamps[entry.path] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
            except OSError:
                continue  # deleted meanwhile: absent from this scan

    for root in roots:
        if root.is_dir():
            walk(str(root))
            continue
        try:
            stat = root.stat()
        except OSError:
            continue
        stamps[str(root)] = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
    return stamps


class CodeWatcher:
    """Polls ``roots`` for changed, added or removed ``.py`` files and calls ``on_change`` with
    them, once per burst of saves. Polling needs nothing installed, sees files an editor
    replaces by renaming, and costs a few ``stat`` calls per poll for a project's code."""

    def __init__(
        self,
        roots: Sequence[Path],
        on_change: Callable[[list[Path]], Any],
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self.roots = list(roots)
        self.on_change = on_change
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="code-watcher", daemon=True)

    def start(self) -> None:
        self._seen = scan(self.roots)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def _loop(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            now = scan(self.roots)
            if now == self._seen:
                continue
            now = self._settle(now)
            seen = self._seen
            changed = sorted(Path(p) for p in now.keys() | seen.keys() if now.get(p) != seen.get(p))
            self._seen = now
            try:
                self.on_change(changed)
            except Exception:  # the watcher outlives a failed reload
                traceback.print_exc()

    def _settle(self, now: dict[str, Stamp]) -> dict[str, Stamp]:
        deadline = time.monotonic() + MAX_SETTLE_SECONDS
        while time.monotonic() < deadline and not self._stop.wait(QUIET_SECONDS):
            again = scan(self.roots)
            if again == now:
                break
            now = again
        return now


class SwappableApp:
    """The HTTP API as the server mounts it: a reload puts the new deployment's app in place;
    a request that arrives meanwhile waits for it."""

    def __init__(self, app: Any, emulation: Emulation) -> None:
        self.app = app
        self._emulation = emulation

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self._emulation.deploying:
            await asyncio.to_thread(self._emulation.wait_deployed)
        await self.app(scope, receive, send)


class Reloader:
    """Makes a new deployment of the stack's handlers from the code on disk."""

    def __init__(
        self,
        emulation: Emulation,
        wiring: Wiring,
        progress: Progress,
        api: SwappableApp | None = None,
    ) -> None:
        self.emulation = emulation
        self.wiring = wiring
        self.progress = progress
        self.api = api
        self.roots = code_roots(emulation.refs)
        self.reloads = 0
        self.failures = 0
        self._lock = threading.Lock()

    def watcher(self) -> CodeWatcher:
        return CodeWatcher(self.roots, self.reload)

    def reload(self, changed: Sequence[Path] = ()) -> bool:
        """True when the new code now serves; False when it failed to load and the previous
        code still does (the error is printed)."""
        from ._loading import http_api

        began = time.monotonic()
        with self._lock:
            try:
                with self.emulation.redeploy():
                    previous = user_modules(self.roots)
                    for name in previous:
                        del sys.modules[name]
                    try:
                        load_app.cache_clear()
                        functions = len(load_app().functions)
                        for ref in self.emulation.refs:
                            self.emulation.load(ref)
                        if self.api is not None:
                            self.api.app = http_api(self.wiring, self.emulation)
                    except BaseException:
                        for name in user_modules(self.roots):
                            del sys.modules[name]
                        sys.modules.update(previous)
                        load_app.cache_clear()
                        load_app()  # the previous app again, from its restored modules
                        raise
            except Exception as exc:
                self.failures += 1
                self.progress.step(
                    f"reload failed, still serving the previous code: {describe(exc, self.roots)}"
                    " -- fix it and save again"
                )
                return False
        self.reloads += 1
        took = (time.monotonic() - began) * 1000
        names = ", ".join(p.name for p in changed[:3]) + (", ..." if len(changed) > 3 else "")
        self.progress.step(
            f"reloaded {functions} functions in {took:.0f} ms" + (f" ({names})" if names else "")
        )
        return True


def describe(exc: BaseException, roots: Sequence[Path]) -> str:
    """The error in one line, with the user's file and line it came from."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, SyntaxError):
        return f"{type(exc).__name__}: {exc.msg} ({exc.filename}, line {exc.lineno})"
    frames = [
        frame
        for frame in traceback.extract_tb(exc.__traceback__)
        if any(_within(Path(frame.filename).resolve(), root) for root in roots)
    ]
    if frames:
        text += f" ({frames[-1].filename}, line {frames[-1].lineno})"
    return text
