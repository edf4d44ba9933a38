"""``stepstream``: the command line. Run ``stepstream --help``.

Exit codes: 0 success, 1 failure (the message says what went wrong and what to do), 2 a usage
error (argparse), 130 interrupted with Ctrl-C where stopping early is not the normal way out.
``dev`` and ``tail`` run until Ctrl-C, so for them Ctrl-C is success.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_INTERRUPTED = 130

_EPILOG = """environment:
  STEPSTREAM_URL          API base URL (default http://127.0.0.1:8288, the `make dev` stack)
  STEPSTREAM_EVENT_KEY    key for POST /e/{key} (default: the dev key `make dev` prints)
  STEPSTREAM_SIGNING_KEY  signing key for /v1 routes and tokens (default: the dev key)
  STEPSTREAM_STATE_DIR    `dev`: keep the local AWS state there across restarts (--state-dir)

examples:
  stepstream dev
  stepstream send app/prompt.submitted --data '{"prompt": "hello"}'
  stepstream runs
  stepstream runs 01JD...           one run's steps
  stepstream tail 'ai:01JD...' --topics status,tokens,result
  stepstream rerun 01JD... --from-step charge
  stepstream replay charge --since 6h          rerun the failed runs of the last 6 hours
  stepstream cancel-runs nap --since 1d --if "event.data.userId == 'u1'"
  stepstream pause charge [--skip] / stepstream resume charge
  stepstream dashboard --url https://<api>     the dashboard for a deployed stack
"""


def _common(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("connection")
    group.add_argument(
        "--url", help="API base URL (env STEPSTREAM_URL; default http://127.0.0.1:8288)"
    )
    group.add_argument("--event-key", help="event key (env STEPSTREAM_EVENT_KEY)")
    group.add_argument("--signing-key", help="signing key (env STEPSTREAM_SIGNING_KEY)")


def _latency(value: str) -> float:
    try:
        ms = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of milliseconds") from None
    if not 0 <= ms <= 60_000:
        raise argparse.ArgumentTypeError("give 0-60000 milliseconds")
    return ms


def _parameter(value: str) -> tuple[str, str]:
    name, equals, setting = value.partition("=")
    if not equals or not name.strip():
        raise argparse.ArgumentTypeError(f"{value!r}: give NAME=VALUE, e.g. LogLevel=DEBUG")
    return name.strip(), setting


def _topics(value: str) -> list[str]:
    topics = [t.strip() for t in value.split(",") if t.strip()]
    if not topics:
        raise argparse.ArgumentTypeError("give at least one topic, e.g. --topics status,tokens")
    return topics


def _json_object(value: str) -> dict[str, Any]:
    """A JSON object given inline, as ``@file`` (like curl), or ``-`` for standard input."""
    if value == "-":
        value = sys.stdin.read()
    elif value.startswith("@"):
        try:
            with open(value[1:], encoding="utf-8") as f:
                value = f.read()
        except OSError as exc:
            raise argparse.ArgumentTypeError(f"cannot read {value[1:]!r}: {exc.strerror}") from exc
    try:
        data = json.loads(value)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(
            f"--data is not valid JSON ({exc.msg} at column {exc.colno}); "
            """quote it for the shell, e.g. --data '{"prompt": "hi"}'"""
        ) from exc
    if not isinstance(data, dict):
        raise argparse.ArgumentTypeError("--data must be a JSON object, e.g. '{\"key\": 1}'")
    return data


def _port(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is outside 0-65535")
    return port


def _positive(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _non_negative(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stepstream",
        description="Durable step functions and realtime streaming: run the local stack, send "
        "events, follow channels, inspect runs.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", metavar="<command>", required=True)

    dev = commands.add_parser(
        "dev",
        help="run the whole stack locally (API, WebSocket, executor, dashboard)",
        description="Start the local stack: embedded AWS (moto) unless AWS_ENDPOINT_URL is set, "
        "tables/queues from template.yaml, the HTTP API, the WebSocket gateway, the executor "
        "poller, the cron scheduler and the dashboard, all on one port. Ctrl-C stops it.",
    )
    dev.add_argument(
        "--port", type=_port, default=None, help="port (env PORT; default 8288; 0 = any free)"
    )
    dev.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    dev.add_argument(
        "--template", default=None, help="SAM template (default: template.yaml found upwards)"
    )
    dev.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        type=_parameter,
        help="a template parameter, e.g. LogLevel=DEBUG (repeatable; the rest take defaults)",
    )
    dev.add_argument(
        "--no-reload",
        dest="reload",
        action="store_false",
        help="do not reload the handlers when the code in functions/ or the app changes",
    )
    dev.add_argument(
        "--state-dir",
        default=None,
        metavar="PATH",
        help="keep the local AWS state (runs, events, waits, history) in PATH across restarts "
        "(env STEPSTREAM_STATE_DIR; default: in memory, fresh on every start)",
    )
    rules = dev.add_argument_group(
        "AWS's rules (all on by default; docs/architecture.md, 'Emulating AWS's rules')"
    )
    rules.add_argument(
        "--no-iam",
        dest="iam",
        action="store_false",
        help="run handlers without their function's IAM role (every AWS call allowed)",
    )
    rules.add_argument(
        "--no-recursion-detection",
        dest="recursion_detection",
        action="store_false",
        help="let SQS chains run past 16 invocations whatever RecursiveLoop says",
    )
    rules.add_argument(
        "--no-lambda-logging",
        dest="lambda_logging",
        action="store_false",
        help="plain text logs at WARNING instead of the template's LoggingConfig",
    )
    rules.add_argument(
        "--post-latency-ms",
        type=_latency,
        default=None,
        help="delay of every @connections post, as on AWS "
        "(env STEPSTREAM_GATEWAY_POST_LATENCY_MS; default 30; 0 = none)",
    )
    rules.add_argument(
        "--poller-concurrency",
        type=int,
        default=None,
        metavar="N",
        help="concurrent executor invocations (default: the template's maximum, else 5)",
    )
    _common(dev)

    send = commands.add_parser(
        "send",
        help="send an event (POST /e/{event key}) and print its id",
        description="Send one event through POST /e/{event key}; prints its event id.",
    )
    send.add_argument("name", help="event name, e.g. app/prompt.submitted")
    send.add_argument(
        "--data",
        type=_json_object,
        default={},
        help="event data: a JSON object, @file.json, or - for stdin (default {})",
    )
    send.add_argument(
        "--id", dest="event_id", help="deduplication id (same id within 24 h: no run)"
    )
    send.add_argument("--json", action="store_true", help="print the raw JSON answer")
    _common(send)

    tail = commands.add_parser(
        "tail",
        help="print a channel's realtime messages as they arrive",
        description="Follow a channel: mints a token, connects, prints each message as "
        "`time  topic  #seq  data`. Reconnects and resumes without gaps. Ctrl-C stops.",
    )
    tail.add_argument("channel", help="channel name, e.g. ai:01JD... or global")
    tail.add_argument("--topics", type=_topics, required=True, help="comma-separated topics")
    tail.add_argument(
        "--since", type=_non_negative, default=None, help="first replay kept messages after seq N"
    )
    tail.add_argument("--json", action="store_true", help="print raw frames, one JSON per line")
    _common(tail)

    token = commands.add_parser(
        "token",
        help="mint a subscription token for a channel's topics",
        description="Mint a subscription token through POST /v1/realtime/token (signing key "
        "required). Prints the JWT; with --json also the connect URL.",
    )
    token.add_argument("channel", help="channel name")
    token.add_argument("--topics", type=_topics, required=True, help="comma-separated topics")
    token.add_argument("--json", action="store_true", help="print channel, topics, jwt, url")
    _common(token)

    runs = commands.add_parser(
        "runs",
        help="list recent runs, or show one run's steps",
        description="Without an id: a table of recent runs, newest first. With an id: the run "
        "and its steps with status, timings, outputs and errors.",
    )
    runs.add_argument("run_id", nargs="?", help="show this run's steps")
    runs.add_argument("--limit", type=_positive, default=20, help="how many runs (default 20)")
    runs.add_argument("--function", dest="function_id", help="only runs of this function id")
    runs.add_argument("--json", action="store_true", help="print the raw JSON")
    _common(runs)

    from .local._cli_ops import add_commands

    add_commands(commands, _common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from .local._cli_http import CliError

    try:
        return _dispatch(args)
    except CliError as exc:
        print(f"stepstream {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        # dev and tail handle Ctrl-C themselves; anything else was cut short.
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `stepstream runs | head`: the reader left; say nothing.
        sys.stderr.close()
        return EXIT_OK


def _dispatch(args: argparse.Namespace) -> int:
    from .local._cli_http import ApiClient, Target

    if args.command == "dev":
        from .local._devstack import DevOptions, run_dev

        port = args.port if args.port is not None else _env_port()
        return run_dev(
            DevOptions(
                host=args.host,
                port=port,
                template=args.template,
                event_key=args.event_key,
                signing_key=args.signing_key,
                post_latency_ms=args.post_latency_ms,
                iam=args.iam,
                recursion_detection=args.recursion_detection,
                lambda_logging=args.lambda_logging,
                poller_concurrency=args.poller_concurrency,
                parameters=dict(args.parameter),
                reload=args.reload,
                state_dir=args.state_dir or os.environ.get("STEPSTREAM_STATE_DIR") or None,
            )
        )

    target = Target.resolve(args.url, args.event_key, args.signing_key)
    if args.command == "dashboard":
        from .local._remote_dashboard import serve_remote_dashboard

        try:
            return serve_remote_dashboard(target, args.port)
        except KeyboardInterrupt:
            return EXIT_OK
    with ApiClient(target) as api:
        if args.command == "send":
            return _send(api, args)
        if args.command == "token":
            jwt = api.token(args.channel, args.topics)
            if args.json:
                url = f"{target.ws_url}/v1/realtime/connect?token={jwt}"
                print(
                    json.dumps(
                        {"channel": args.channel, "topics": args.topics, "jwt": jwt, "url": url}
                    )
                )
            else:
                print(jwt)
            return EXIT_OK
        if args.command == "runs":
            return _runs(api, args)
        from .local import _cli_ops

        if args.command in _cli_ops.COMMANDS:
            return _cli_ops.dispatch(api, args)
        if args.command == "tail":
            from .local._cli_tail import Tail

            tail = Tail(api, args.channel, args.topics, since=args.since, raw=args.json)
            try:
                asyncio.run(tail.run())
            except KeyboardInterrupt:
                return EXIT_OK
            return EXIT_OK
    raise AssertionError(f"unhandled command {args.command}")  # argparse allows no other


def _send(api: Any, args: argparse.Namespace) -> int:
    event: dict[str, Any] = {"name": args.name, "data": args.data}
    if args.event_id:
        event["id"] = args.event_id
    ids = api.send(event)
    if args.json:
        print(json.dumps({"ids": ids}))
    else:
        for event_id in ids:
            print(event_id)
    return EXIT_OK


def _runs(api: Any, args: argparse.Namespace) -> int:
    from .local._cli_render import pending_table, run_detail, runs_table

    if args.run_id:
        run = api.run(args.run_id)
        print(json.dumps(run, indent=2) if args.json else run_detail(run))
    else:
        runs = api.runs(args.limit, args.function_id)
        if args.json:
            print(json.dumps(runs, indent=2))
            return EXIT_OK
        # Debounced and batched events have no run yet: shown above the runs they will start.
        pending = api.pending(args.limit, args.function_id)
        if pending:
            print(pending_table(pending) + "\n")
        print(runs_table(runs))
    return EXIT_OK


def _env_port() -> int:
    raw = os.environ.get("PORT", "").strip()
    if not raw:
        return 8288
    try:
        return _port(raw)
    except argparse.ArgumentTypeError as exc:
        print(f"stepstream dev: error: PORT={raw!r}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None


if __name__ == "__main__":
    sys.exit(main())
