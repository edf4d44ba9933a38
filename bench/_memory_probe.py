"""What holds the dev process's memory after the soak (``bench.soak``, its measurement only).

Installed in the ``stepstream dev`` process by the command that starts it; on ``SIGUSR1`` it
writes to ``path``: the RSS, then the RSS after a full ``gc.collect()``, then after glibc's
``malloc_trim(0)`` (which hands freed heap pages back to the kernel: what it gives back was
allocator retention, not live data), and the most numerous live object types. Nothing of this is
in stepstream itself; ``stepstream dev`` never trims.
"""

from __future__ import annotations

import ctypes
import gc
import json
import re
import signal
import sys
import threading
from collections import Counter
from pathlib import Path
from types import CoroutineType, FrameType


def _rss_mb() -> float:
    found = re.search(r"VmRSS:\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(found.group(1)) / 1024 if found else 0.0


def _probe(path: Path) -> None:
    report: dict[str, object] = {"rss_mb": round(_rss_mb(), 1)}
    gc.collect()
    report["after_gc_mb"] = round(_rss_mb(), 1)
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
        report["after_malloc_trim_mb"] = round(_rss_mb(), 1)
    except (OSError, AttributeError):  # not glibc
        report["after_malloc_trim_mb"] = None
    types: Counter[str] = Counter(type(o).__qualname__ for o in gc.get_objects())
    report["live_objects"] = sum(types.values())
    report["top_types"] = dict(types.most_common(15))
    report["coroutines"] = dict(
        Counter(
            o.cr_code.co_qualname for o in gc.get_objects() if isinstance(o, CoroutineType)
        ).most_common(10)
    )
    report["threads"] = dict(
        Counter(re.sub(r"[-_]?\d+(_\d+)?$", "", t.name) for t in threading.enumerate())
    )
    report["moto_items_in_tables"] = _moto_items()
    report["holders"] = _holders("Item")
    path.write_text(json.dumps(report, indent=1))


def _moto_items() -> dict[str, int]:
    """Items in the embedded moto's DynamoDB tables, per table: the live data, to set against
    the ``Item`` objects the process holds."""
    try:
        from moto.dynamodb.models import dynamodb_backends
    except ImportError:
        return {}
    counts: dict[str, int] = {}
    for account in list(dynamodb_backends):
        for region in list(dynamodb_backends[account]):
            for name, table in list(dynamodb_backends[account][region].tables.items()):
                items = table.items.values() if table.range_key_attr else [table.items]
                counts[name] = sum(len(group) for group in items)
    return counts


def _holders(qualname: str, sample: int = 10, depth: int = 5) -> dict[str, int]:
    """What keeps objects of type ``qualname`` alive: for a sample of them, the chain of
    referrers (type names, and a module-level owner's ``__module__``) up to ``depth`` levels,
    counted (a frame ends the chain). The probe's own lists are left out."""
    everything = gc.get_objects()
    found = [o for o in everything if type(o).__qualname__ == qualname]
    del found[sample:]
    mine = {id(everything), id(found), id(sys._getframe())}  # this frame holds them too
    del everything
    chains: Counter[str] = Counter()
    for obj in found:
        chain, current = [], obj
        for _ in range(depth):
            mine.add(id(current))
            referrers = [r for r in gc.get_referrers(current) if id(r) not in mine]
            if not referrers:
                break
            current = referrers[0]
            name = type(current).__qualname__
            if isinstance(current, FrameType):  # a live thread's, or a kept traceback's
                code = current.f_code
                chain.append(f"frame {Path(code.co_filename).name}:{code.co_name}")
                break
            if isinstance(current, (list, dict, tuple, set)):
                name += f"[{len(current)}]"
            chain.append(name)
        chains[" <- ".join(chain)] += 1
    return dict(chains.most_common(5))


def install(path: str) -> None:
    def handle(signum: int, frame: FrameType | None) -> None:
        _probe(Path(path))

    signal.signal(signal.SIGUSR1, handle)
