"""The HTTP API's cost over calling the engine directly, and what a maximal request costs.

Everything is real and local: moto's server over HTTP (tables and queue from template.yaml), the
app from ``create_api`` served by uvicorn on a loopback port, httpx as the client.

1. **AWS requests per event.** ``EVENTS`` single-event ``POST /e/{key}`` calls against the same
   events sent with ``app.send`` directly, each event starting one run. Requests are counted as
   botocore makes them (``before-call``), by service and operation. Target: the HTTP layer adds
   none (ratio 1.0).
2. **Latency overhead.** Median time of one ``POST /e/{key}`` against one ``app.send``, in
   ``ROUNDS`` interleaved rounds of the same run (ratio, and the extra milliseconds).
3. **A maximal request.** One list of ``MAX_EVENTS_PER_REQUEST`` events through HTTP, against
   the same number through ``app.send``: wall time and requests per event. This is what the
   cap on events per request is weighed against (API Gateway answers within 30 s).
4. **Reading a 512 KB body.** Median time of the wire check (``parse_events``) on a one-event
   body of exactly ``MAX_BODY_BYTES``, against ``json.loads`` of the same bytes (ratio).

Run: ``python -m bench.http`` (or ``make bench``). Writes bench/results/http.json.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench._support import RequestCounter, local_stack

ROOT = Path(__file__).resolve().parent.parent
RESULT = ROOT / "bench" / "results" / "http.json"
EVENTS = 50
ROUNDS = 5
PARSE_REPEATS = 20


@contextmanager
def served(asgi: Any) -> Iterator[str]:
    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(asgi, host="127.0.0.1", port=0, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.01)
    try:
        yield f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)


def _per_event(counts: Counter[str], events: int) -> dict[str, float]:
    return {op: round(n / events, 3) for op, n in sorted(counts.items())}


def main() -> dict[str, Any]:
    import httpx

    from stepstream import Stepstream
    from stepstream.config import DEV_EVENT_KEY
    from stepstream.http import MAX_BODY_BYTES, MAX_EVENTS_PER_REQUEST, create_api
    from stepstream.http._wire import parse_events

    app = Stepstream(id="bench-http")

    @app.function(id="noop", trigger="bench/ping")
    def noop(ctx: Any) -> None:
        return None

    with local_stack("bh"), served(create_api(app)) as url, httpx.Client() as http:
        counter = RequestCounter().count()
        send_url = f"{url}/e/{DEV_EVENT_KEY}"

        def via_http(i: int) -> None:
            answer = http.post(send_url, json={"name": "bench/ping", "data": {"i": i}})
            assert answer.status_code == 200, answer.text

        def direct(i: int) -> None:
            app.send({"name": "bench/ping", "data": {"i": i}})

        via_http(-1)  # warm both paths: connections, imports, cached clients
        direct(-1)
        counter.take()

        # 1 + 2: requests per event and latency, interleaved rounds
        http_times: list[float] = []
        direct_times: list[float] = []
        http_counts: Counter[str] = Counter()
        direct_counts: Counter[str] = Counter()
        per_round = EVENTS // ROUNDS
        for _ in range(ROUNDS):
            for i in range(per_round):
                started = time.perf_counter()
                via_http(i)
                http_times.append(time.perf_counter() - started)
            http_counts += counter.take()
            for i in range(per_round):
                started = time.perf_counter()
                direct(i)
                direct_times.append(time.perf_counter() - started)
            direct_counts += counter.take()
        sent = per_round * ROUNDS
        http_median = statistics.median(http_times)
        direct_median = statistics.median(direct_times)

        # 3: a maximal request
        batch = [{"name": "bench/ping", "data": {"i": i}} for i in range(MAX_EVENTS_PER_REQUEST)]
        started = time.perf_counter()
        answer = http.post(send_url, json=batch, timeout=300)
        batch_http_s = time.perf_counter() - started
        assert answer.status_code == 200, answer.text
        batch_http_counts = counter.take()
        started = time.perf_counter()
        app.send(batch)
        batch_direct_s = time.perf_counter() - started
        counter.take()

    # 4: reading a maximal body
    skeleton = json.dumps({"name": "bench/big", "data": {"pad": ""}}, separators=(",", ":"))
    body = json.dumps(
        {"name": "bench/big", "data": {"pad": "x" * (MAX_BODY_BYTES - len(skeleton))}},
        separators=(",", ":"),
    ).encode()
    parse_times, loads_times = [], []
    for _ in range(PARSE_REPEATS):
        started = time.perf_counter()
        parse_events(body)
        parse_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        json.loads(body)
        loads_times.append(time.perf_counter() - started)

    http_total = sum(http_counts.values())
    direct_total = sum(direct_counts.values())
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.system()} python {platform.python_version()}"
        f", {os.cpu_count()} cpus",
        "events": sent,
        "requests_per_event_http": _per_event(http_counts, sent),
        "requests_per_event_direct": _per_event(direct_counts, sent),
        "requests_ratio_http_to_direct": round(http_total / direct_total, 3),
        "median_ms_http": round(http_median * 1000, 2),
        "median_ms_direct": round(direct_median * 1000, 2),
        "latency_ratio_http_to_direct": round(http_median / direct_median, 2),
        "latency_overhead_ms": round((http_median - direct_median) * 1000, 2),
        "max_batch_events": MAX_EVENTS_PER_REQUEST,
        "max_batch_seconds_http": round(batch_http_s, 2),
        "max_batch_seconds_direct": round(batch_direct_s, 2),
        "max_batch_requests_per_event": _per_event(batch_http_counts, MAX_EVENTS_PER_REQUEST),
        "max_batch_requests_total": sum(batch_http_counts.values()),
        "parse_512kb_median_ms": round(statistics.median(parse_times) * 1000, 2),
        "json_loads_512kb_median_ms": round(statistics.median(loads_times) * 1000, 2),
        "parse_ratio_to_json_loads": round(
            statistics.median(parse_times) / statistics.median(loads_times), 2
        ),
    }


def readme_rows(report: dict[str, Any]) -> list[Any]:
    """This benchmark's lines of the README's table (``bench.readme``)."""
    from bench.readme import ReadmeRow, times

    return [
        ReadmeRow(
            "AWS requests per event over HTTP vs `app.send`",
            times(report["requests_ratio_http_to_direct"]),
        ),
        ReadmeRow(
            "median time per event over HTTP vs `app.send`",
            f"{times(report['latency_ratio_http_to_direct'])} "
            f"(+{report['latency_overhead_ms']:g} ms)",
        ),
    ]


def report(result: dict[str, Any]) -> None:
    rows = [
        ("AWS requests per event, HTTP", sum(result["requests_per_event_http"].values())),
        ("AWS requests per event, app.send", sum(result["requests_per_event_direct"].values())),
        ("requests ratio HTTP / direct (target 1.0)", result["requests_ratio_http_to_direct"]),
        ("median ms per event, HTTP", result["median_ms_http"]),
        ("median ms per event, app.send", result["median_ms_direct"]),
        ("latency ratio HTTP / direct", result["latency_ratio_http_to_direct"]),
        (f"{result['max_batch_events']}-event request, s, HTTP", result["max_batch_seconds_http"]),
        (f"{result['max_batch_events']}-event send, s, direct", result["max_batch_seconds_direct"]),
        ("  AWS requests in it", result["max_batch_requests_total"]),
        ("wire check of a 512 KB body, ms", result["parse_512kb_median_ms"]),
        ("  ratio to json.loads alone", result["parse_ratio_to_json_loads"]),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    print("requests per event by operation (HTTP):", result["requests_per_event_http"])


if __name__ == "__main__":
    outcome = main()
    RESULT.parent.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(outcome, indent=2) + "\n")
    report(outcome)
