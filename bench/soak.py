"""Soak: 1,000 sockets on one channel, 500 durable messages, half the sockets dropped and resumed.

Everything is real: ``stepstream dev`` in its own process (embedded moto, the template's tables,
the WebSocket gateway, the executor poller), running ``bench/_soak_app.py``; a real run publishes
``MESSAGES`` durable messages with ``ctx.step.realtime.publish`` (each a memoized step, kept in
history), one every ``INTERVAL`` seconds. This process holds the clients: ``SOCKETS`` WebSocket
sockets on the run's channel (``coalesce=1``, as stepstream's own clients connect), opened
``CONNECT_CONCURRENCY`` at a time.

Once every socket has message ``DROP_AT``, half of them are dropped: half of those with a clean
close handshake, half with a TCP abort (no close frame; the gateway sees the connection reset).
A second later each dropped client reconnects with ``since=<highest seq it saw>`` and a ``ping``
(the replay starts on the first frame, docs/realtime.md), while the run keeps publishing.

Reported: messages lost per client (every client must end with all ``MESSAGES``), duplicates
split by where docs/realtime.md allows them (at most two copies of a message: on a resumed
socket, or for a fan-out batch handed back or left by a crash, which the dev process's log
counts), publish→receive latency (receive time - the time the step built the message) for
sockets never dropped, connect time for the first connects and the resumes, and the RSS of the
``stepstream dev`` process: before any socket, its peak, and once it has been idle for
``IDLE_AFTER`` seconds after every socket has closed. The dev process's own output is scanned
for moto's ``dictionary changed size during iteration`` (see docs/architecture.md, "moto under
load").

Run: ``python -m bench.soak`` (or ``make bench``); writes bench/results/soak.json.
``BENCH_SOAK_SOCKETS`` and ``BENCH_SOAK_MESSAGES`` shrink it for a quick look;
``BENCH_SOAK_RESULT`` writes elsewhere (a run against another checkout, for a before/after);
``BENCH_SOAK_LOG=<file>`` keeps the dev process's output. The same as flags:
``--sockets N --messages N --result FILE --log FILE``; ``--profile FILE`` runs a sampling
profiler in the dev process (``bench/_sampler.py``: CPU per thread group, busy stacks) and writes
it to FILE. Progress (deliveries so far, their rate, RSS) is printed every ``PROGRESS_EVERY`` s.
After the idle wait, ``bench/_memory_probe.py`` (installed in the dev process by this benchmark
only) reports what holds the memory: RSS after a full GC and after glibc's ``malloc_trim`` (what
that gives back was allocator retention, not live data), the most numerous live types, and the
items moto's tables hold; ``rss_mb.after_gc_and_malloc_trim`` is that trimmed figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
RESULT = Path(os.environ.get("BENCH_SOAK_RESULT") or ROOT / "bench" / "results" / "soak.json")
SOCKETS = int(os.environ.get("BENCH_SOAK_SOCKETS", "1000"))
MESSAGES = int(os.environ.get("BENCH_SOAK_MESSAGES", "500"))
INTERVAL = 0.05
"""Seconds between two publishes in the run: a stream, not a burst."""
DROP_AT = MESSAGES * 3 // 10
"""The message every socket must have before half of them are dropped."""
DOWN_FOR = 1.0
"""Seconds a dropped client stays away before resuming (messages published meanwhile)."""
CONNECT_CONCURRENCY = 16
"""Connects in flight at once, as a page load's worth of browsers."""
CONNECT_ATTEMPTS = 5
"""Tries per connect before the benchmark gives up; refusals are counted in the results."""
REFUSED: Counter[str] = Counter()
IDLE_AFTER = 11.0
"""Seconds the dev process must stay idle (under ``IDLE_CPU`` of a core) after the last socket
closed before the 'after' RSS is read: the gateway runs a ``$disconnect`` per socket (after any
``$default`` still in flight), so 'after' waits for that work, not a fixed time. Longer than two
of ``stepstream dev``'s idle-trim intervals (5 s), so one idle interval fits whole."""
IDLE_CPU = 0.05
IDLE_WAIT_MAX = 180.0
"""Seconds to wait at most for the dev process to go idle (the report says how long it took)."""
DEADLINE = 900.0
"""Seconds the whole stream (connects excluded) may take before the benchmark reports what it
has."""
PROGRESS_EVERY = 15.0
"""Seconds between two progress lines while the stream runs."""
PROFILE = os.environ.get("BENCH_SOAK_PROFILE", "")
"""A file for the dev process's sampling profile (``bench/_sampler.py``); empty: no profiler."""
LOG = os.environ.get("BENCH_SOAK_LOG", "")
APP = "bench._soak_app:app"
APP_ID = "soak"
READY = re.compile(r"ready on (http://\S+)")
MOTO_RACE = "dictionary changed size during iteration"


# --- the dev process ---------------------------------------------------------------------------


class DevProcess:
    """``stepstream dev --port 0`` running the soak app; its output is kept line by line."""

    def __init__(self) -> None:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_ENDPOINT_URL", "STEPSTREAM_"))
        }
        env.update(
            STEPSTREAM_APP=APP,
            PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
            PYTHONUNBUFFERED="1",
            NO_COLOR="1",
        )
        self.probe = Path(tempfile.mkdtemp(prefix="soak-")) / "memory.json"
        cli = f"import bench._memory_probe as p; p.install({str(self.probe)!r}); {_CLI}"
        if PROFILE:
            cli = f"import bench._sampler; bench._sampler.start({PROFILE!r}); {cli}"
        command = [sys.executable, "-c", cli, "dev", "--port", "0", "--post-latency-ms", "0"]
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines: list[str] = []
        self.url = ""
        self._ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))
            if not self.url and (found := READY.search(line)):
                self.url = found.group(1)
                self._ready.set()
        self._ready.set()

    def wait_ready(self, timeout: float = 120) -> str:
        self._ready.wait(timeout)
        if not self.url:
            raise RuntimeError("stepstream dev did not start:\n" + "\n".join(self.lines[-40:]))
        return self.url

    def memory_probe(self, timeout: float = 60) -> dict[str, Any]:
        """What ``bench/_memory_probe.py`` finds in the dev process (RSS after a full GC and
        after ``malloc_trim``, the most numerous live types); ``{}`` if it did not answer."""
        self.probe.unlink(missing_ok=True)
        self.proc.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.probe.exists():
                time.sleep(0.5)  # written in one go, but let it finish
                return dict(json.loads(self.probe.read_text()))
            time.sleep(0.2)
        return {}

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)


_CLI = "import sys; from stepstream.cli import main; sys.exit(main())"
"""``stepstream`` from this tree (the venv's entry point may belong to another checkout)."""


def rss_mb(pid: int) -> float:
    """Resident set of ``pid`` and its descendants, in MB (from /proc)."""
    pids, total = [pid], 0
    while pids:
        current = pids.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(found.group(1)) if found else 0
        pids.extend(int(child) for child in children)
    return total / 1024


def wait_idle(pid: int) -> None:
    """Until the process has used under ``IDLE_CPU`` of a core for ``IDLE_AFTER`` seconds (at
    most ``IDLE_WAIT_MAX``)."""
    ticks = os.sysconf("SC_CLK_TCK")

    def cpu_seconds() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / ticks  # utime + stime

    deadline = time.monotonic() + IDLE_WAIT_MAX
    quiet_since = time.monotonic()
    used = cpu_seconds()
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now_used = cpu_seconds()
        if now_used - used > IDLE_CPU:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since >= IDLE_AFTER:
            return
        used = now_used


class RssSampler:
    """The dev process's RSS every 0.2 s on a thread: the peak, and a trace for the report."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0.0
        self.trace: list[tuple[float, float]] = []
        self._started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.now()

    def now(self) -> float:
        value = rss_mb(self.pid)
        self.peak = max(self.peak, value)
        self.trace.append((round(time.monotonic() - self._started, 1), round(value, 1)))
        return value

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)


# --- the clients -------------------------------------------------------------------------------


@dataclass
class Client:
    """One subscriber: a socket at a time, every message number it received, with how often."""

    number: int
    received: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    highest_seq: int = 0
    resumed: bool = False
    ws: Any = None
    task: asyncio.Task[None] | None = None
    complete: asyncio.Event = field(default_factory=asyncio.Event)

    def take(self, frame: dict[str, Any], now: float) -> None:
        if frame.get("kind") == "batch":
            for inner in frame.get("data") or []:
                self.take(inner, now)
            return
        body = frame.get("data")
        if frame.get("kind") != "data" or not isinstance(body, dict) or "i" not in body:
            return
        self.received[int(body["i"])] += 1
        self.highest_seq = max(self.highest_seq, int(frame["seq"]))
        self.latencies.append(now - float(body["t"]))
        if len(self.received) == MESSAGES:
            self.complete.set()

    async def listen(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in self.ws:
                self.take(json.loads(raw), time.time())
        except ConnectionClosed:
            pass


async def connect(url: str) -> tuple[Any, float]:
    from websockets.asyncio.client import connect as ws_connect

    started = time.perf_counter()
    ws = await ws_connect(url, ping_interval=None, open_timeout=300, max_size=None)
    return ws, time.perf_counter() - started


async def open_all(clients: list[Client], url_of: Any) -> list[float]:
    """Connect each client (``url_of(client)``), ``CONNECT_CONCURRENCY`` at a time; the seconds
    each connect took."""
    from websockets.exceptions import InvalidStatus

    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    took: list[float] = []

    async def one(client: Client) -> None:
        for attempt in range(CONNECT_ATTEMPTS):
            try:
                async with gate:
                    client.ws, seconds = await connect(url_of(client))
                break
            except (InvalidStatus, OSError, TimeoutError) as exc:  # a client would retry
                REFUSED[type(exc).__name__ + _status(exc)] += 1
                if attempt == CONNECT_ATTEMPTS - 1:
                    REFUSED["gave up"] += 1  # this client stays without a socket: all lost
                    return
        took.append(seconds)
        if client.resumed:  # the replay starts on the socket's first frame (docs/realtime.md)
            await client.ws.send(json.dumps({"kind": "ping"}))
        client.task = asyncio.create_task(client.listen())

    await asyncio.gather(*(one(c) for c in clients))
    return took


def _status(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    return f" {response.status_code}" if response is not None else ""


async def drop(client: Client, abort: bool) -> None:
    if abort:  # no close frame: the gateway sees the TCP connection reset
        client.ws.transport.abort()
    else:
        await client.ws.close()
    if client.task is not None:
        await client.task


def token(channel: str) -> str:
    """A token for the whole benchmark: the token endpoint's last 60 s, less than a resume may
    wait for its connect under this load. Signed here with the secret ``stepstream dev`` derives
    from the default signing key (neither process has ``STEPSTREAM_*`` set)."""
    from stepstream.realtime._tokens import mint_token

    return mint_token(app_id=APP_ID, channel=channel, topics=["m"], expires_in=3600)


async def wait_until(clients: list[Client], done: Any, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(done(c) for c in clients):
            return True
        await asyncio.sleep(0.1)
    return False


async def report_progress(clients: list[Client], rss: RssSampler, started: float) -> None:
    """A line every ``PROGRESS_EVERY`` s: distinct deliveries so far of all expected, their rate
    since the last line, the dev process's RSS (a long soak should not look hung)."""
    total, last = SOCKETS * MESSAGES, 0
    while True:
        await asyncio.sleep(PROGRESS_EVERY)
        delivered = sum(len(c.received) for c in clients)
        print(
            f"  {time.monotonic() - started:6.0f} s: {delivered:,} of {total:,} deliveries "
            f"({(delivered - last) / PROGRESS_EVERY:,.0f}/s), RSS {rss.now():.0f} MB, "
            f"load {os.getloadavg()[0]:.1f}",
            flush=True,
        )
        last = delivered


# --- the run -----------------------------------------------------------------------------------


def percentiles(values: list[float], scale: float = 1000.0) -> dict[str, Any]:
    ms = sorted(v * scale for v in values)
    if not ms:
        return {"samples": 0}
    return {
        "samples": len(ms),
        "p50_ms": round(statistics.median(ms), 1),
        "p99_ms": round(ms[min(len(ms) - 1, int(len(ms) * 0.99))], 1),
        "max_ms": round(ms[-1], 1),
    }


async def soak(dev: DevProcess, rss: RssSampler) -> dict[str, Any]:
    from stepstream.config import DEV_EVENT_KEY

    base = dev.url
    name = uuid.uuid4().hex[:10]
    channel = f"soak:{name}"
    ws_base = base.replace("http", "ws", 1) + "/v1/realtime/connect"
    first_token = token(channel)
    clients = [Client(n) for n in range(SOCKETS)]

    started = time.monotonic()
    connect_first = await open_all(clients, lambda _: f"{ws_base}?token={first_token}&coalesce=1")
    connect_seconds = time.monotonic() - started
    rss_connected = rss.now()
    print(f"{SOCKETS} sockets open in {connect_seconds:.1f} s", flush=True)

    sent = await asyncio.to_thread(
        httpx.post,
        f"{base}/e/{DEV_EVENT_KEY}",
        json={
            "name": "bench/soak.publish",
            "data": {"channel": name, "messages": MESSAGES, "interval": INTERVAL},
        },
        timeout=30,
    )
    sent.raise_for_status()
    stream_started = time.monotonic()
    progress = asyncio.create_task(report_progress(clients, rss, stream_started))

    reached = await wait_until(clients, lambda c: DROP_AT in c.received, DEADLINE)
    if not reached:
        print(f"not every socket reached message {DROP_AT}; dropping anyway", flush=True)
    dropped = clients[: SOCKETS // 2]
    for client in dropped:
        client.resumed = True
    await asyncio.gather(*(drop(c, abort=c.number % 2 == 1) for c in dropped if c.ws))
    dropped_at = max((max(c.received) for c in dropped if c.received), default=0)
    print(f"dropped {len(dropped)} sockets at message ~{dropped_at}", flush=True)
    await asyncio.sleep(DOWN_FOR)

    resume_token = token(channel)
    connect_resume = await open_all(
        dropped,
        lambda c: f"{ws_base}?token={resume_token}&coalesce=1&since={c.highest_seq}",
    )
    print(f"resumed {len(dropped)} sockets", flush=True)

    remaining = max(10.0, DEADLINE - (time.monotonic() - stream_started))
    finished = await wait_until(clients, lambda c: c.complete.is_set(), remaining)
    stream_seconds = time.monotonic() - stream_started
    progress.cancel()
    # Repeats arrive after the last new message: give them a moment before counting.
    await asyncio.sleep(2)

    await asyncio.gather(*(c.ws.close() for c in clients if c.ws), return_exceptions=True)
    await asyncio.gather(*(c.task for c in clients if c.task), return_exceptions=True)
    closed = time.monotonic()
    await asyncio.to_thread(wait_idle, dev.proc.pid)
    idle_wait = time.monotonic() - closed
    rss_after = rss.now()
    memory = await asyncio.to_thread(dev.memory_probe)

    kept = [c for c in clients if not c.resumed]
    lost = sum(MESSAGES - len(c.received) for c in clients)
    repeats_kept = sum(n - 1 for c in kept for n in c.received.values() if n > 1)
    repeats_resumed = sum(n - 1 for c in dropped for n in c.received.values() if n > 1)
    over_two = sum(1 for c in clients for n in c.received.values() if n > 2)
    return {
        "sockets": SOCKETS,
        "messages": MESSAGES,
        "publish_interval_ms": INTERVAL * 1000,
        "dropped": {
            "clean_close": sum(1 for c in dropped if c.number % 2 == 0),
            "tcp_abort": sum(1 for c in dropped if c.number % 2 == 1),
            "at_message": dropped_at,
            "down_seconds": DOWN_FOR,
        },
        "all_delivered": finished,
        "lost": lost,
        "clients_missing_messages": sum(1 for c in clients if len(c.received) < MESSAGES),
        "duplicates": {
            "never_dropped_sockets": repeats_kept,
            "resumed_sockets": repeats_resumed,
            "messages_received_more_than_twice": over_two,
            "allowed_by_docs": "each message at most twice: on a resumed socket "
            "(docs/realtime.md, History and resume), or on any socket for messages a fan-out "
            "invocation handed back or left by crashing (docs/realtime.md, Fan-out, Failures: "
            "counted below from the dev process's log)",
        },
        "publish_to_receive_never_dropped": percentiles([x for c in kept for x in c.latencies]),
        "publish_to_receive_resumed": percentiles([x for c in dropped for x in c.latencies]),
        "connect": percentiles(connect_first),
        "connect_resume": percentiles(connect_resume),
        "connect_all_seconds": round(connect_seconds, 1),
        "connects_refused_then_retried": dict(REFUSED),
        "stream_seconds": round(stream_seconds, 1),
        "rss_mb": {"connected": round(rss_connected, 1), "after": round(rss_after, 1)},
        "seconds_until_idle_after_close": round(idle_wait, 1),
        "memory_after": memory,
    }


def main() -> dict[str, Any]:
    dev = DevProcess()
    try:
        dev.wait_ready()
        time.sleep(3)  # let start-up settle before the baseline
        rss = RssSampler(dev.proc.pid)
        before = rss.now()
        try:
            result = asyncio.run(soak(dev, rss))
        finally:
            rss.stop()
        result["rss_mb"] = {
            "before": round(before, 1),
            "connected": result["rss_mb"]["connected"],
            "peak": round(rss.peak, 1),
            "after": result["rss_mb"]["after"],
            "after_over_before": round(result["rss_mb"]["after"] / before, 2),
            # the measurement's own trim (bench/_memory_probe.py), not stepstream's: what it
            # gives back was freed memory glibc kept, not live data
            "after_gc_and_malloc_trim": result["memory_after"].get("after_malloc_trim_mb"),
        }
        result["rss_trace"] = rss.trace[:: max(1, len(rss.trace) // 60)]
    finally:
        dev.stop()
    output = "\n".join(dev.lines)
    if LOG:  # the dev process's whole output, for a closer look
        Path(LOG).write_text(output)
    result["moto_dictionary_changed_errors"] = output.count(MOTO_RACE)
    result["dev_tracebacks"] = output.count("Traceback (most recent call last)")
    result["fanout_batches_handed_back"] = output.count("messages handed back to SQS")
    result["invocations_timed_out"] = output.count("Task timed out after")
    return {
        "benchmark": "soak: 1,000 sockets, 500 durable messages, half dropped and resumed",
        "command": "python -m bench.soak",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, {platform.platform()}, "
        f"Python {platform.python_version()}",
        "load_average_1m_at_end": round(os.getloadavg()[0], 2),
        "note": "stepstream dev (embedded moto, gateway, executor) in one process, "
        "@connections posts without added latency; the clients in this process; "
        "latency = receive time - the time the step built the message; RSS = the dev process",
        **result,
    }


def readme_rows(report: dict[str, Any]) -> list[Any]:
    """This benchmark's lines of the README's table (``bench.readme``)."""
    from bench.readme import ReadmeRow, count

    live = report["publish_to_receive_never_dropped"]
    rss = report["rss_mb"]
    dup = report["duplicates"]
    what = (
        f"soak: {count(report['sockets'])} sockets, {count(report['messages'])} durable "
        "messages, half dropped and resumed"
    )
    return [
        ReadmeRow(
            f"{what}: lost / repeats",
            f"{count(report['lost'])} of {count(report['sockets'] * report['messages'])} "
            f"deliveries missing after {report['stream_seconds']:g} s; "
            f"{dup['never_dropped_sockets']} repeats on never-dropped sockets, "
            f"{dup['resumed_sockets']} on resumed ones; "
            f"{report.get('fanout_batches_handed_back', 0)} fan-out batches handed back, "
            f"{report.get('invocations_timed_out', 0)} invocations timed out",
            "0 lost; repeats only where docs/realtime.md allows",
        ),
        ReadmeRow(
            f"{what}: publish→receive p50 / p99; connect p50 / p99",
            f"{_ms(live['p50_ms'])} / {_ms(live['p99_ms'])} ({count(live['samples'])} samples); "
            f"{_ms(report['connect']['p50_ms'])} / {_ms(report['connect']['p99_ms'])}",
        ),
        ReadmeRow(
            f"{what}: dev process RSS before / peak / after",
            f"{rss['before']:g} / {rss['peak']:g} / {rss['after']:g} MB",
            "after near before",
        ),
    ]


def _ms(value: float) -> str:
    return f"{value / 1000:.3g} s" if value >= 1000 else f"{value:.3g} ms"


def configure(argv: list[str] | None = None) -> None:
    """The flags override the environment's settings (the module's constants)."""
    global SOCKETS, MESSAGES, DROP_AT, RESULT, PROFILE, LOG
    parser = argparse.ArgumentParser(
        prog="python -m bench.soak", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sockets", type=int, default=SOCKETS)
    parser.add_argument("--messages", type=int, default=MESSAGES)
    parser.add_argument("--result", type=Path, default=RESULT, help="where the JSON report goes")
    parser.add_argument("--profile", default=PROFILE, help="the dev process's sampling profile")
    parser.add_argument("--log", default=LOG, help="the dev process's whole output")
    args = parser.parse_args(argv)
    if args.sockets < 2 or args.messages < 10:
        parser.error("at least 2 sockets and 10 messages")
    SOCKETS, MESSAGES, RESULT = args.sockets, args.messages, args.result
    DROP_AT = MESSAGES * 3 // 10
    PROFILE, LOG = args.profile, args.log


if __name__ == "__main__":
    configure()
    report = main()
    print(json.dumps({k: v for k, v in report.items() if k != "rss_trace"}, indent=2))
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULT}")
