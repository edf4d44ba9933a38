"""Token streams at AWS speed: lag, messages and CPU with 30 ms per ``@connections`` post.

Everything is real and local: moto's server in its own process for DynamoDB, the local API
Gateway emulator running the real ``functions/ws_*.py`` handlers with every ``@connections`` call
delayed by ``STEPSTREAM_GATEWAY_POST_LATENCY_MS`` (30 ms here, an HTTPS round trip to AWS), real
sockets. Each client is its own process and each stream's publisher is its own process
(``Realtime.publish`` through boto3), so the publisher's CPU is measured alone.

For 50, 200 and 1,000 tokens/s, a stream of ``TOKENS`` (2,000) tokens goes to one subscriber of
each client: ``web/subscribe.js`` in Node, the official npm ``inngest`` client, Python
``subscribe`` and ``stepstream tail``, one stream at a time, each on its own channel with its
own publisher (run at once, the streams' CPU load showed up in each other's p99). Per stream:
lag = receive time (taken by the client as the message reaches its caller; for tail, as its line
reaches a reader process) - publish time (taken just before ``publish``), p50/p99 over every
token; ``@connections`` posts and 32 KB billing units, scaled to a 500-token stream; the
publisher process's CPU seconds per 1,000 posts (and per 1,000 tokens).

Every row says the coalescing linger its publisher ran with (``STEPSTREAM_COALESCE_LINGER_MS``):
all rates at the default, chosen for the lag goal, and at 200 tokens/s our three clients again at
``FEWER_MESSAGES_LINGER_MS``, the setting that meets "<= 25 messages per 500 tokens" (each goal
is met at its own setting; docs/realtime.md, "Coalesced frames", has the arithmetic). The
official client ignores the linger (it never coalesces), so it is measured once per rate; its
rows carry its ceiling, one message per post round trip.

Each client process also reports its own CPU seconds per 1,000 messages it took (for ``tail``,
the ``stepstream tail`` process, not the stamping reader).

Run: ``python -m bench.delivery`` (or ``make bench``); writes bench/results/delivery.json.
``--rates 200 --clients "subscribe.js,python subscribe" --tokens 1000 --lingers 0,80`` run a subset
(``BENCH_DELIVERY_TOKENS``, ``BENCH_DELIVERY_RATES``, ``BENCH_DELIVERY_CLIENTS`` still work);
``--together`` subscribes every client to one channel fed by one publisher, so their lags are
paired token by token under the same load (the fair comparison of clients on a busy machine;
messages are then the mean per connection); ``--out FILE`` writes somewhere else than
bench/results. ``BENCH_DELIVERY_DUMP=<folder>`` keeps every sample. The full run takes about 9
minutes: a client without coalescing needs ~70 s to receive a 2,000-token stream at any rate
above its ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from bench._support import moto_process

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "bench" / "results" / "delivery.json"
POST_LATENCY_MS = 30
TOKENS = int(os.environ.get("BENCH_DELIVERY_TOKENS", "2000"))
RATES = [int(r) for r in os.environ.get("BENCH_DELIVERY_RATES", "50,200,1000").split(",")]
CLIENTS: tuple[str, ...] = (
    "subscribe.js",
    "inngest (official)",
    "python subscribe",
    "stepstream tail",
)
if os.environ.get("BENCH_DELIVERY_CLIENTS"):  # e.g. "subscribe.js,python subscribe"
    CLIENTS = tuple(os.environ["BENCH_DELIVERY_CLIENTS"].split(","))
APP_ID = "bench"
TOPIC = "tokens"
BILLING_UNIT = 32 * 1024
STREAM = 500
"""The stream length messages and billing units are reported for."""
GOAL_RATE = 200
"""The issue's goal rate (tokens/s): lag p99 <= 100 ms, <= 25 messages per 500 tokens."""
FEWER_MESSAGES_LINGER_MS = 80.0
"""The linger that meets <= 25 messages per 500 tokens at 200 tokens/s and 30 ms posts: a post
every >= 30 + 80 ms gives at most 2.5 s / 110 ms + 1 = 23.7 messages."""
OFFICIAL = "inngest (official)"


def default_linger_ms() -> float:
    from stepstream.config import Settings

    return Settings().coalesce_linger_ms


@contextmanager
def stack() -> Iterator[Any]:
    """moto in its own process, the template's tables, the gateway with 30 ms posts and the HTTP
    API (``stepstream tail`` gets its tokens there) on one loopback port."""
    from stepstream.local import LocalStack, StackOptions

    with moto_process() as endpoint:
        options = StackOptions(
            template=ROOT / "template.yaml",
            aws_endpoint=endpoint,
            use_environment=False,
            resource_prefix=f"d{uuid.uuid4().hex[:8]}-",
            dashboard=False,
            pollers=False,
            schedules=False,
            gateway_workers=32,
            post_latency_ms=POST_LATENCY_MS,
        )
        with LocalStack(options) as running:
            yield running


# --- the processes -----------------------------------------------------------------------------


class Lines:
    """A child process's stdout, line by line, read on a thread."""

    def __init__(self, process: subprocess.Popen[str], stream: IO[str]) -> None:
        self.process = process
        self.rows: list[dict[str, Any]] = []
        self.cpu: float | None = None  # the client's CPU seconds, when it says
        self.ready = threading.Event()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if row.get("ready"):
                self.ready.set()
            elif "cpu" in row:
                self.cpu = row["cpu"]
            elif "i" in row:
                self.rows.append(row)

    def wait(self, timeout: float) -> None:
        self._thread.join(timeout)


def start_client(name: str, base: str, channel: str, jwt: str) -> list[subprocess.Popen[str]]:
    """The client's processes; the last one's stdout carries the JSON lines."""
    count = str(TOKENS)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if name in ("subscribe.js", "inngest (official)"):
        mode = "ours" if name == "subscribe.js" else "official"
        script = str(ROOT / "bench" / "_delivery_client.mjs")
        args = ["node", script, mode, base, channel, TOPIC, jwt, count]
        return [subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)]
    if name == "python subscribe":
        args = [sys.executable, "-m", "bench.delivery", "subscriber", base, channel, jwt, count]
        return [subprocess.Popen(args, stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env)]
    from stepstream.config import DEV_SIGNING_KEY

    tail = subprocess.Popen(
        [
            *(sys.executable, "-c", _CLI),
            *("tail", channel, "--topics", TOPIC, "--json"),
            *("--url", base, "--signing-key", DEV_SIGNING_KEY),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    stamp = subprocess.Popen(
        [sys.executable, "-m", "bench.delivery", "stamp", count],
        stdin=tail.stdout,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )
    assert tail.stderr is not None
    # tail says "# following ..." on stderr once subscribed: that is its ready line
    threading.Thread(target=_tail_ready, args=(tail.stderr, stamp), daemon=True).start()
    return [tail, stamp]


_CLI = "import sys; from stepstream.cli import main; sys.exit(main())"
"""``stepstream`` from this tree (the venv's entry point may belong to another checkout)."""
_TAIL_READY: dict[int, threading.Event] = {}


def _tail_ready(stderr: IO[str], stamp: subprocess.Popen[str]) -> None:
    for line in stderr:
        if line.startswith("# following"):
            _TAIL_READY.setdefault(stamp.pid, threading.Event()).set()


async def run_subscriber(base: str, channel: str, jwt: str, count: int) -> None:
    """``python -m bench.delivery subscriber``: Python ``subscribe``, lines as the node client's."""
    from stepstream.realtime import subscribe

    async def tokens() -> str:
        return jwt

    seen = 0
    cpu_at_ready: list[float] = []

    def ready() -> None:
        cpu_at_ready.append(_cpu())
        print(json.dumps({"ready": True}), flush=True)

    messages = subscribe(
        channel=channel,
        topics=[TOPIC],
        url=f"{base.replace('http', 'ws', 1)}/v1/realtime/connect",
        token=jwt,
        tokens=tokens,
        on_subscribed=ready,
    )
    async for message in messages:
        data = message.data
        if not isinstance(data, dict) or data.get("i", -1) < 0:
            continue
        print(json.dumps({"i": data["i"], "t": data["t"], "r": time.time() * 1000}), flush=True)
        seen += 1
        if seen >= count:
            break
    await messages.aclose()
    print(json.dumps({"cpu": _cpu() - cpu_at_ready[0]}), flush=True)


def run_stamp(count: int) -> None:
    """``python -m bench.delivery stamp``: stamps each ``stepstream tail --json`` line as it
    arrives."""
    seen = 0
    for line in sys.stdin:
        received = time.time() * 1000
        try:
            data = json.loads(line).get("data")
        except ValueError:
            continue
        if not isinstance(data, dict) or data.get("i", -1) < 0:
            continue
        print(json.dumps({"i": data["i"], "t": data["t"], "r": received}), flush=True)
        seen += 1
        if seen >= count:
            return


async def run_publisher(channel: str, rate: int, count: int) -> None:
    """``python -m bench.delivery publisher``: ``count`` tokens at ``rate``/s, then a JSON line
    with the posts, their bytes and this process's CPU seconds."""
    from stepstream import aws as _aws
    from stepstream.realtime import Realtime, topic
    from stepstream.realtime import channel as make_channel

    posts: list[int] = []
    connections: list[str] = []
    management = os.environ["STEPSTREAM_WS_MANAGEMENT_URL"]

    def counted(params: dict[str, Any], **_: Any) -> None:
        posts.append(len(params["body"]))
        connections.append(str(params.get("url_path")))  # /@connections/<id>

    _aws.client("apigatewaymanagementapi", endpoint_url=management).meta.events.register(
        "before-call.apigatewaymanagementapi.PostToConnection", counted
    )
    realtime = Realtime(APP_ID)
    ref = make_channel(channel).add_topic(topic(TOPIC).type(dict))().tokens
    await realtime.publish(ref, {"i": -1, "t": time.time() * 1000})  # seq block, subscribers
    await realtime.flush()
    posts.clear()
    connections.clear()
    cpu_before = _cpu()
    started = time.monotonic()
    for number in range(count):
        due = started + number / rate
        if (wait := due - time.monotonic()) > 0:
            await asyncio.sleep(wait)
        await realtime.publish(ref, {"i": number, "t": time.time() * 1000, "token": " word"})
    await realtime.flush()
    cpu = _cpu() - cpu_before
    realtime.close()
    print(
        json.dumps(
            {
                "posts": len(posts),
                "bytes": posts,
                "connections": len(set(connections)),
                "cpu": cpu,
                "linger_ms": realtime.linger_ms,
            }
        ),
        flush=True,
    )


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- one rate, four streams --------------------------------------------------------------------


def measure(
    base: str,
    rate: int,
    clients: tuple[str, ...],
    *,
    linger_ms: float,
    together: bool = False,
) -> list[dict[str, Any]]:
    """One stream per client at ``rate`` (each on its own channel, with its own publisher), or
    with ``together`` one stream on one channel that every client follows."""
    from stepstream.realtime._tokens import mint_token

    runs = []
    shared = f"bench-delivery:{uuid.uuid4().hex[:8]}"
    for name in clients:
        channel = shared if together else f"bench-delivery:{uuid.uuid4().hex[:8]}"
        jwt = mint_token(app_id=APP_ID, channel=channel, topics=[TOPIC], expires_in=3600)
        processes = start_client(name, base, channel, jwt)
        out = processes[-1].stdout
        assert out is not None
        runs.append((name, channel, processes, Lines(processes[-1], out)))
    deadline = time.monotonic() + 60
    for name, _, processes, lines in runs:
        ready = lines.ready if name != "stepstream tail" else None
        while time.monotonic() < deadline:
            if ready is not None and ready.is_set():
                break
            if ready is None and _TAIL_READY.get(processes[-1].pid, threading.Event()).is_set():
                break
            time.sleep(0.05)
        else:
            raise RuntimeError(f"{name} did not subscribe within 60 s")
    # tail's own CPU from /proc, from here on (the other clients report theirs)
    tail_cpu = {id(processes): _process_cpu(processes[0].pid) for _, _, processes, _ in runs}
    env = {**os.environ, "STEPSTREAM_COALESCE_LINGER_MS": f"{linger_ms:g}"}
    channels = [shared] if together else [channel for _, channel, _, _ in runs]
    publishers = {
        channel: subprocess.Popen(
            [sys.executable, "-m", "bench.delivery", "publisher", channel, str(rate), str(TOKENS)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
            env=env,
        )
        for channel in channels
    }
    counts = {}
    for channel, publisher in publishers.items():
        published, _ = publisher.communicate(timeout=TOKENS / rate + 600)
        counts[channel] = json.loads(published.strip().splitlines()[-1])
    results = []
    for name, channel, processes, lines in runs:
        lines.wait(120)
        cpu = lines.cpu
        if name == "stepstream tail":
            now, then = _process_cpu(processes[0].pid), tail_cpu[id(processes)]
            cpu = now - then if now is not None and then is not None else None
        for process in processes:
            process.kill()
            process.wait()
        counted = dict(counts[channel])
        if together:  # the posts of every connection: the mean per connection is reported
            counted["posts"] /= max(1, counted.get("connections", 1))
            counted["bytes"] = []
        results.append(_summary(name, rate, lines.rows, counted, cpu, together=together))
        print(json.dumps(results[-1]), flush=True)
    return results


def _process_cpu(pid: int) -> float | None:
    """A live child's CPU seconds from /proc (Linux), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _summary(
    name: str,
    rate: int,
    rows: list[dict[str, Any]],
    counted: dict[str, Any],
    client_cpu: float | None,
    *,
    together: bool = False,
) -> dict[str, Any]:
    if os.environ.get("BENCH_DELIVERY_DUMP"):  # a folder: every sample, for a closer look
        folder = Path(os.environ["BENCH_DELIVERY_DUMP"])
        folder.mkdir(parents=True, exist_ok=True)
        linger = f"{counted.get('linger_ms', 0):g}"
        (folder / f"{name.replace(' ', '_')}-{rate}-linger{linger}.json").write_text(
            json.dumps(rows)
        )
    lags = sorted(row["r"] - row["t"] for row in rows)
    received = {row["i"] for row in rows}
    posts = counted["posts"]
    units = sum(max(1, math.ceil(size / BILLING_UNIT)) for size in counted["bytes"])
    official = name == OFFICIAL
    result: dict[str, Any] = {
        "client": name,
        "tokens_per_second": rate,
        "linger_ms": None if official else counted.get("linger_ms"),
        "tokens": TOKENS,
        "received": len(received),
        "in_order": [row["i"] for row in rows] == sorted(row["i"] for row in rows),
        "lag_p50_ms": round(statistics.median(lags), 1) if lags else None,
        "lag_p99_ms": round(lags[min(len(lags) - 1, int(len(lags) * 0.99))], 1) if lags else None,
        "messages_per_500_tokens": round(posts * STREAM / TOKENS, 1),
        "billing_units_per_500_tokens": round(units * STREAM / TOKENS, 1)
        if counted["bytes"]
        else None,
        "publisher_cpu_seconds_per_1000_posts": round(counted["cpu"] * 1000 / posts, 3)
        if posts and not together
        else None,
        "publisher_cpu_seconds_per_1000_tokens": round(counted["cpu"] * 1000 / TOKENS, 3),
        "client_cpu_seconds_per_1000_messages": round(client_cpu * 1000 / len(rows), 3)
        if client_cpu is not None and rows
        else None,
    }
    if official and rows:
        # One message per post round trip: what it received per second of its stream.
        span = (max(row["r"] for row in rows) - min(row["r"] for row in rows)) / 1000
        result["messages_per_second_received"] = round(len(rows) / span, 1) if span else None
    if together:
        result["together"] = True
    return result


def plan(
    rates: list[int], clients: tuple[str, ...], lingers: list[float] | None
) -> list[tuple[int, float, tuple[str, ...]]]:
    """(rate, linger, clients) per measurement: every rate at the default linger; at the goal
    rate our clients again at the linger for fewer messages (or exactly ``lingers``, if given;
    the official client only at the first, since it never coalesces)."""
    ours = tuple(c for c in clients if c != OFFICIAL)
    steps = []
    for rate in rates:
        if lingers is not None:
            for index, linger in enumerate(lingers):
                steps.append((rate, linger, clients if index == 0 else ours))
            continue
        steps.append((rate, default_linger_ms(), clients))
        if rate == GOAL_RATE and ours and default_linger_ms() != FEWER_MESSAGES_LINGER_MS:
            steps.append((rate, FEWER_MESSAGES_LINGER_MS, ours))
    return [step for step in steps if step[2]]


def main(
    rates: list[int] = RATES,
    clients: tuple[str, ...] = CLIENTS,
    lingers: list[float] | None = None,
    together: bool = False,
) -> dict[str, Any]:
    results = []
    with stack() as running:
        for rate, linger, names in plan(rates, clients, lingers):
            if together:
                results.extend(measure(running.url, rate, names, linger_ms=linger, together=True))
                continue
            for name in names:
                results.extend(measure(running.url, rate, (name,), linger_ms=linger))
    return {
        "benchmark": "token stream delivery at AWS post latency",
        "command": "python -m bench.delivery" + (" --together" if together else ""),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {os.cpu_count()} cpu, {platform.platform()}, "
        f"Python {platform.python_version()}",
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "post_latency_ms": POST_LATENCY_MS,
        "default_linger_ms": default_linger_ms(),
        "fewer_messages_linger_ms": FEWER_MESSAGES_LINGER_MS,
        "note": "one subscriber per stream, one stream at a time, each with its own channel and "
        "publisher process; publisher, gateway, moto and client share this machine's cores "
        "(with whatever else runs on it); lag = client receive time - publish time, every token "
        "a sample; rows at the default linger meet the lag goal, rows at "
        f"{FEWER_MESSAGES_LINGER_MS:g} ms the message goal"
        + ("; --together: every client on one channel and one publisher" if together else ""),
        "results": results,
    }


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.delivery")
    parser.add_argument("--rates", help="tokens per second, comma-separated (e.g. 200)")
    parser.add_argument("--clients", help=f"comma-separated, of: {', '.join(CLIENTS)}")
    parser.add_argument("--tokens", type=int, help=f"tokens per stream (default {TOKENS})")
    parser.add_argument("--lingers", help="linger ms per run, comma-separated (e.g. 0,80)")
    parser.add_argument("--together", action="store_true", help="all clients on one stream")
    parser.add_argument("--out", type=Path, default=RESULT, help="where to write the JSON")
    found = parser.parse_args(argv)
    unknown = set((found.clients or "").split(",")) - {"", *CLIENTS}
    if unknown:
        parser.error(f"unknown clients {sorted(unknown)}; known: {', '.join(CLIENTS)}")
    if found.tokens is not None and found.tokens < 100:
        parser.error("--tokens must be at least 100 (p99 needs samples)")
    return found


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "run"
    if command == "subscriber":
        asyncio.run(run_subscriber(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])))
    elif command == "stamp":
        run_stamp(int(sys.argv[2]))
    elif command == "publisher":
        asyncio.run(run_publisher(sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
    else:
        options = _arguments(sys.argv[1:])
        if options.tokens is not None:
            TOKENS = options.tokens
        report = main(
            [int(r) for r in options.rates.split(",")] if options.rates else RATES,
            tuple(options.clients.split(",")) if options.clients else CLIENTS,
            [float(x) for x in options.lingers.split(",")] if options.lingers else None,
            options.together,
        )
        options.out.parent.mkdir(parents=True, exist_ok=True)
        options.out.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {options.out}")


def readme_rows(report: dict[str, Any]) -> list[Any]:
    """This benchmark's lines of the README's table (``bench.readme``): per client at 200
    tokens/s, the issue's goal rate; with the linger each row ran at, and the goal that setting
    is for (a results file from before the linger has neither)."""
    from bench.readme import ReadmeRow

    rows = []
    for result in report["results"]:
        if result["tokens_per_second"] != GOAL_RATE:
            continue
        ours = result["client"] != OFFICIAL
        what = f"token lag at 200 tokens/s, {report['post_latency_ms']} ms posts"
        figure = (
            f"p50 {result['lag_p50_ms']:g} ms, p99 {result['lag_p99_ms']:g} ms; "
            f"{result['messages_per_500_tokens']:g} messages per 500 tokens"
        )
        if "linger_ms" not in result:
            target = "p99 ≤ 100 ms, ≤ 25 messages" if ours else ""
        elif not ours:
            received = result.get("messages_per_second_received")
            figure += f" ({received:g} received per second)" if received else ""
            target = f"ceiling: 1 message per post, ≈ {1000 / report['post_latency_ms']:.0f}/s"
        else:
            what += f", linger {result['linger_ms']:g} ms"
            target = (
                "p99 ≤ 100 ms (the lag goal's setting)"
                if result["linger_ms"] == report.get("default_linger_ms")
                else "≤ 25 messages (the message goal's setting)"
            )
        rows.append(ReadmeRow(f"{what}: {result['client']}", figure, target))
    return rows
