"""GIVEN two fan-out execution environments in one process (as ``stepstream dev`` hosts them)
WHEN each posts a shard of gone connections THEN they post from one pool of posting threads,
not one each: the process holds at most ``STEPSTREAM_FANOUT_CONCURRENCY`` posting threads
(after ``bench.soak`` it held 1,298, ten environments' worth)."""

from __future__ import annotations

import threading

from stepstream.local import Provisioned, RunningGateway
from stepstream.realtime._shard_fanout import ShardFanout
from stepstream.store import ConnectionsApi, ConnectionStore

from ._shard_records import shard_record

POOL = 3


def _posting_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name.startswith("stepstream-shard"))


def test_environments_in_one_process_share_their_posting_threads(
    aws: Provisioned, gateway: RunningGateway
) -> None:
    before = _posting_threads()
    environments = [
        ShardFanout(ConnectionStore(), ConnectionsApi, concurrency=POOL) for _ in range(2)
    ]
    runs = [
        threading.Thread(
            target=env.handle,
            args=([shard_record(f"pool:{n}", 1, [f"gone{n}-{i}" for i in range(20)])],),
        )
        for n, env in enumerate(environments)
    ]
    for run in runs:
        run.start()
    for run in runs:
        run.join(30)
    assert _posting_threads() - before <= POOL  # two pools would have started up to 2 x 3
