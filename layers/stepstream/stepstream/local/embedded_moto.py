"""The local stack's moto server on its own, in a process of its own:
``python -m stepstream.local.embedded_moto --port 5000``.

The same server ``make dev`` embeds (DynamoDB serialised, SQS long polls and FIFO groups as
SQS's), for benchmarks that keep moto out of the measured process's GIL and for anything that
wants the stack's AWS without the stack. ``python -m moto.server`` has none of the fixes
(docs/architecture.md, "moto under load"). Runs until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from ._moto_server import EmbeddedMotoServer


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m stepstream.local.embedded_moto", description=__doc__.splitlines()[0]
    )
    parser.add_argument("-H", "--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "-p", "--port", type=port_number, default=5000, help="port to listen on (0: a free one)"
    )
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request otherwise
    server = EmbeddedMotoServer(args.host, args.port)
    server.start()  # a busy port or unknown host: werkzeug says so and exits 1
    host, port = server.get_host_and_port()
    print(f"http://{host}:{port}", flush=True)
    while not stop.wait(1):  # a timed wait: the signal handler runs between waits
        pass
    server.stop()
    return 0


def port_number(text: str) -> int:
    port = int(text)
    if not 0 <= port <= 65535:
        raise ValueError(text)
    return port


if __name__ == "__main__":
    sys.exit(main())
