"""GIVEN a realtime endpoint that sends coalesced ``batch`` frames (with a repeat inside one and a
drop right after one) WHEN `stepstream tail` follows it THEN it asked for coalesced frames, prints
every message once in order, and resumes with ``since`` = the batch's last seq."""

from __future__ import annotations

import json

import pytest

from .test_tail_dedupe import RUN, Endpoint, data, endpoint, follow

__all__ = ["endpoint"]  # the fixture, shared with test_tail_dedupe


def batch(*frames: str) -> str:
    return json.dumps({"kind": "batch", "data": [json.loads(f) for f in frames]})


FIRST = [data(1), batch(data(2), data(3), data(3), data(4))]
AFTER_DROP = [batch(data(3), data(4), data(5)), batch(RUN)]


@pytest.mark.parametrize("endpoint", [[FIRST, AFTER_DROP]], indirect=True)
async def test_batches_print_each_message_once_and_resume_after_their_last_seq(
    endpoint: Endpoint,
) -> None:
    out, _ = await follow(endpoint, lines=6)

    lines = out.splitlines()
    assert [line.split()[-1] for line in lines if " t " in f" {line} "] == ["1", "2", "3", "4", "5"]
    assert sum("completed" in line for line in lines) == 1
    assert [q.get("coalesce") for q in endpoint.queries] == [["1"], ["1"]]
    assert [q.get("since") for q in endpoint.queries] == [None, ["4"]]
