"""CPU per ``@connections`` post: botocore's ``post_to_connection`` vs ``ConnectionsApi``'s
fast path (``store/_fast_post.py``), and the local gateway's CPU serving each post.

The poster (this process) and the gateway (a child process, its ``@connections`` route with no
post latency, socketless connections attached) are apart, so each one's CPU time
(``getrusage``) is its own. Per round: ``POSTS`` posts from ``THREADS`` threads, botocore's path
and the fast path alternating, ``ROUNDS`` rounds; the result is each path's median CPU seconds
per 1,000 posts over the rounds and the ratio, from the same run.

Run: ``python -m bench.post_cpu``; writes bench/results/post_cpu.json.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "bench" / "results" / "post_cpu.json"
POSTS = int(os.environ.get("BENCH_POST_CPU_POSTS", "3000"))
THREADS = 16
ROUNDS = int(os.environ.get("BENCH_POST_CPU_ROUNDS", "5"))
CONNECTIONS = 2000
FRAME = b'{"channel":"bench","topic":"tick","data":{"i":1},"seq":1,"id":"01J0000000000000"}'


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_gateway() -> None:
    """``python -m bench.post_cpu gateway``: its URL, then its CPU seconds per stdin line."""
    from stepstream.local import Gateway, WebSocketHandlers, serve_in_thread

    class Socketless:
        last_active_ms = 0

        async def send(self, data: bytes) -> bool:
            return True

    def unused(event: Any, context: Any) -> Any:
        raise AssertionError("no socket connects")

    gateway = Gateway(WebSocketHandlers(unused, unused, unused, unused))
    for n in range(CONNECTIONS):
        gateway.attach(f"c{n}=", Socketless())
    running = serve_in_thread(gateway)
    print(running.management_url, flush=True)
    for _ in sys.stdin:
        print(_cpu(), flush=True)
    running.stop()


def _round(api: Any, pool: ThreadPoolExecutor) -> float:
    before = _cpu()
    delivered = list(pool.map(lambda n: api.post(f"c{n % CONNECTIONS}=", FRAME), range(POSTS)))
    if not all(delivered):
        raise RuntimeError("a post did not reach its connection")
    return _cpu() - before


def measure() -> dict[str, Any]:
    from stepstream.store import ConnectionsApi

    os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.post_cpu", "gateway"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None
    assert child.stdout is not None
    stdin, stdout = child.stdin, child.stdout

    def gateway_cpu() -> float:
        stdin.write("\n")
        stdin.flush()
        return float(stdout.readline())

    try:
        url = stdout.readline().strip()
        fast = ConnectionsApi(url)
        botocore = ConnectionsApi(url)
        botocore._fast = None  # botocore's own path, as with tracing on
        assert fast._fast is not None, "the fast path is off here (tracing or a proxy?)"
        samples: dict[str, dict[str, list[float]]] = {
            name: {"poster": [], "gateway": []} for name in ("botocore", "fast")
        }
        with ThreadPoolExecutor(THREADS) as pool:
            for api in (botocore, fast):  # warm: clients, connections
                _round(api, pool)
            for _ in range(ROUNDS):
                for name, api in (("botocore", botocore), ("fast", fast)):
                    served = gateway_cpu()
                    samples[name]["poster"].append(_round(api, pool) / POSTS * 1000)
                    samples[name]["gateway"].append((gateway_cpu() - served) / POSTS * 1000)
    finally:
        stdin.close()
        child.wait(30)
    medians = {
        name: {side: round(statistics.median(v), 3) for side, v in sides.items()}
        for name, sides in samples.items()
    }
    return {
        "benchmark": "CPU seconds per 1,000 @connections posts: botocore vs the fast path",
        "command": "python -m bench.post_cpu",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, {platform.platform()}, "
        f"Python {platform.python_version()}, load average {os.getloadavg()[0]:.1f} at the end",
        "posts_per_round": POSTS,
        "rounds": ROUNDS,
        "threads": THREADS,
        "poster_cpu_seconds_per_1000_posts": {n: m["poster"] for n, m in medians.items()},
        "gateway_cpu_seconds_per_1000_posts": {n: m["gateway"] for n, m in medians.items()},
        "ratio_poster_fast_to_botocore": round(
            medians["fast"]["poster"] / medians["botocore"]["poster"], 2
        ),
        "note": "poster and gateway in separate processes (getrusage each); no post latency; "
        "a round is POSTS posts from 16 threads; medians over the rounds",
    }


def readme_rows(report: dict[str, Any]) -> list[Any]:
    """This benchmark's line of the README's table (``bench.readme``)."""
    from bench.readme import ReadmeRow, times

    poster = report["poster_cpu_seconds_per_1000_posts"]
    gateway = report["gateway_cpu_seconds_per_1000_posts"]
    return [
        ReadmeRow(
            "CPU seconds per 1,000 `@connections` posts in the posting process: "
            "`ConnectionsApi`'s fast path vs botocore",
            f"{poster['fast']:g} vs {poster['botocore']:g} "
            f"({times(report['ratio_poster_fast_to_botocore'])}); the local gateway "
            f"{gateway['fast']:g} s per 1,000 served",
            "several times lower",
        )
    ]


if __name__ == "__main__":
    if sys.argv[1:] == ["gateway"]:
        run_gateway()
        sys.exit()
    started = time.monotonic()
    report = measure()
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    print(
        f"wrote {RESULT.relative_to(ROOT)} in {time.monotonic() - started:.0f} s", file=sys.stderr
    )
