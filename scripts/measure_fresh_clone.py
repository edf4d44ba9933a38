"""Time a fresh clone to a ready `make dev`: the README's "fresh clone to ready" figure.

    python3 scripts/measure_fresh_clone.py [SOURCE] [--dest /tmp/x] [--port 8555]

Clones SOURCE (default: this repository) into DEST, runs `make dev` there, and prints the time
from the clone to the `ready on ...` line, then stops the stack with Ctrl-C (SIGINT) as a user
would. DEST is deleted first.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="?", default=str(Path(__file__).resolve().parents[1]))
    parser.add_argument("--dest", default="/tmp/x")
    parser.add_argument("--port", default="8555")
    args = parser.parse_args()

    shutil.rmtree(args.dest, ignore_errors=True)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("AWS_ENDPOINT_URL", "STEPSTREAM_", "VIRTUAL_ENV"))
    }
    env["PORT"] = args.port
    began = time.monotonic()
    subprocess.run(["git", "clone", "-q", args.source, args.dest], check=True)
    cloned = time.monotonic() - began
    make = subprocess.Popen(
        ["make", "dev"],
        cwd=args.dest,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert make.stdout is not None
    marks: dict[str, float] = {}
    ready = None
    for line in make.stdout:
        elapsed = time.monotonic() - began
        if line.startswith("==> installed"):
            marks["installed"] = elapsed
        if "stepstream dev:" in line:
            marks["stack starting"] = elapsed
        if "ready on" in line:
            ready = elapsed
            break
    os.killpg(make.pid, signal.SIGINT)
    make.wait(timeout=60)
    make.stdout.close()
    if ready is None:
        raise SystemExit("make dev exited before it was ready")
    print(f"clone {cloned:.1f} s; " + "; ".join(f"{k} at {v:.1f} s" for k, v in marks.items()))
    print(f"fresh clone to ready: {ready:.1f} s")


if __name__ == "__main__":
    main()
