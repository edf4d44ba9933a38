"""A fleet of executor processes (``tests.chaos.worker``) and the chaos monkey that SIGKILLs
them: at random moments a random process dies, with whatever it was doing (a step body, a
checkpoint, a boto3 call half sent), and a fresh one takes its place, as Lambda starts a new
execution environment. The killed invocations' messages come back after the queue's visibility
timeout."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Fleet:
    size: int
    environment: dict[str, str]
    seed: int
    logs: Path
    """Each process's stderr goes to a file here (read them when a scenario fails)."""
    kill_every: tuple[float, float] = (1.0, 3.0)
    """A kill comes after a pause drawn uniformly from this range (seconds)."""
    max_kills: int | None = None
    """Stop killing after this many (None: until ``stop``)."""
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    killed: dict[int, float] = field(default_factory=dict)
    """Pid → when it was SIGKILLed (``time.time()``)."""
    started: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self._stop = threading.Event()
        self._monkey: threading.Thread | None = None
        self._lock = threading.Lock()

    def _spawn(self) -> subprocess.Popen[bytes]:
        path = os.pathsep.join(
            [str(ROOT / "layers" / "stepstream"), str(ROOT / "functions"), str(ROOT)]
        )
        env = {**self.environment, "PYTHONPATH": path, "CHAOS_READY_DIR": str(self.logs)}
        with open(self.logs / f"worker-{self.started}.log", "wb") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "tests.chaos.worker"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        self.started += 1
        return process

    def start(self) -> None:
        self.processes = [self._spawn() for _ in range(self.size)]
        self._monkey = threading.Thread(target=self._kill_randomly, name="chaos-monkey")
        self._monkey.start()

    def _kill_randomly(self) -> None:
        while not self._stop.wait(self.rng.uniform(*self.kill_every)):
            if self.max_kills is not None and len(self.killed) >= self.max_kills:
                return
            with self._lock:
                # a process still importing would die before doing anything: on a loaded
                # machine starting one takes seconds, and the fleet would never poll at all
                ready = [
                    i
                    for i, p in enumerate(self.processes)
                    if (self.logs / f"ready-{p.pid}").exists()
                ]
                if not ready:
                    continue
                victim = self.rng.choice(ready)
                process = self.processes[victim]
                process.send_signal(signal.SIGKILL)
                self.killed[process.pid] = time.time()
                process.wait()
                self.processes[victim] = self._spawn()

    def stop(self) -> None:
        """Stop killing; end every process (SIGKILL: nothing of theirs is needed any more)."""
        self._stop.set()
        if self._monkey is not None:
            self._monkey.join()
        with self._lock:
            for process in self.processes:
                process.kill()
                process.wait()
            self.processes = []

    def calm(self) -> None:
        """Stop killing but keep the processes: the runs the kills delayed finish now."""
        self._stop.set()
        if self._monkey is not None:
            self._monkey.join()
            self._monkey = None
