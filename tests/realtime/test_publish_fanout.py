"""Publishing through boto3's apigatewaymanagementapi client to the local gateway's sockets."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from botocore.exceptions import ClientError

from stepstream import PayloadTooLargeError
from stepstream.local import RunningGateway
from stepstream.realtime import PublishValidationError, Realtime, channel, topic
from stepstream.store import HOLD, ConnectionsApi, ConnectionStore

from ._clients import nothing_more, receive, subscriber

chat = channel(lambda room: f"chat:{room}").add_topic(topic("tokens").type(str))
chat = chat.add_topic(topic("status").type(dict)).add_topic(topic("kept", history=True))


async def test_each_subscriber_gets_its_topics_in_order(
    gateway: RunningGateway, realtime: Realtime
) -> None:
    ch = chat("r1")
    async with (
        subscriber(gateway, "chat:r1", ["tokens"]) as tokens_only,
        subscriber(gateway, "chat:r1", ["tokens", "status"]) as both,
    ):
        # WHEN tokens and a status are published
        sent = [await realtime.publish(ch.tokens, f"t{i}", run_id="run1") for i in range(30)]
        sent.append(await realtime.publish(ch.status, {"done": True}))
        await realtime.flush()
        # THEN each socket gets exactly its topics, in publish order, as sent
        assert await receive(tokens_only, 30) == sent[:30]
        assert await receive(both, 31) == sent
        assert await nothing_more(tokens_only)
    seqs = [frame["seq"] for frame in sent]
    assert seqs == sorted(set(seqs))
    assert sent[0]["run_id"] == "run1"
    assert "fn_id" not in sent[0]


async def test_bad_or_oversized_data_sends_nothing(
    gateway: RunningGateway, realtime: Realtime
) -> None:
    ch = chat("r2")
    async with subscriber(gateway, "chat:r2", ["tokens"]) as ws:
        with pytest.raises(PublishValidationError, match=r"'chat:r2'.*'tokens'"):
            await realtime.publish(ch.tokens, {"not": "a string"})
        with pytest.raises(PayloadTooLargeError, match="131072 bytes"):
            await realtime.publish(ch.tokens, "x" * (128 * 1024))
        good = await realtime.publish(ch.tokens, "ok")
        await realtime.flush()
        assert await receive(ws, 1) == [good]
        assert await nothing_more(ws)


async def test_a_gone_connection_is_forgotten(gateway: RunningGateway, realtime: Realtime) -> None:
    # GIVEN a subscription whose socket no longer exists ($disconnect never ran)
    store = ConnectionStore()
    store.add("ghost-connection", "chat:r3", ["tokens"], expires_at=2**31)
    async with subscriber(gateway, "chat:r3", ["tokens"]) as ws:
        # WHEN a message is published
        frame = await realtime.publish(chat("r3").tokens, "hello")
        await realtime.flush()
        # THEN the live socket gets it and the 410 Gone removed the ghost
        assert await receive(ws, 1) == [frame]
    assert "ghost-connection" not in {s.connection_id for s in store.subscribers("chat:r3")}
    assert store.channels_of("ghost-connection") == []


async def test_run_frames_reach_every_subscriber_and_a_held_one_gets_no_data(
    gateway: RunningGateway, realtime: Realtime
) -> None:
    store = ConnectionStore()
    async with subscriber(gateway, "chat:r4", ["status"]) as ws:
        await realtime.run_status(
            run_id="run9", fn_id="fn", status="completed", channels=["chat:r4"], output={"a": 1}
        )
        await realtime.flush()
        (run,) = await receive(ws, 1)
        assert run["kind"] == "run"
        assert run["data"] == {"status": "completed", "output": {"a": 1}}
        # a replay in progress holds the subscription: data frames wait for the replayer
        (sub,) = store.subscribers("chat:r4")
        store.set_live_after(sub.connection_id, "chat:r4", HOLD)
        await realtime.publish(chat("r4").status, {"x": 1})
        await realtime.flush()
        assert await nothing_more(ws)
        store.set_live_after(sub.connection_id, "chat:r4", None)
        after = await realtime.publish(chat("r4").status, {"x": 2})
        await realtime.flush()
        assert await receive(ws, 1) == [after]


async def test_history_topics_and_durable_publishes_are_kept(
    gateway: RunningGateway, realtime: Realtime
) -> None:
    store = ConnectionStore()
    ch = chat("r5")
    kept = [await realtime.publish(ch.kept, {"n": n}) for n in range(3)]
    await realtime.publish(ch.tokens, "not kept")
    durable = await realtime.publish(ch.status, {"final": 1}, durable=True, message_id="run:s1")
    again = await realtime.publish(ch.status, {"final": 1}, durable=True, message_id="run:s1")
    await realtime.flush()
    assert again == durable  # a retried durable publish re-sends the same message
    assert store.history("chat:r5", after_seq=0) == [*kept, durable]
    assert store.history("chat:r5", after_seq=kept[-1]["seq"]) == [durable]


class _HeldPoster:
    """The real ``@connections`` client, held back until the test releases it."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.posted = 0
        self._api = ConnectionsApi()

    def post(self, connection_id: str, data: bytes) -> bool:
        self.release.wait(30)
        self.posted += 1
        return self._api.post(connection_id, data)


async def test_publish_returns_before_anything_is_posted(gateway: RunningGateway) -> None:
    # GIVEN a posting path that does not complete until released
    poster = _HeldPoster()
    realtime = Realtime("publish-tests", poster=poster, cache_seconds=0)
    try:
        async with subscriber(gateway, "chat:r6", ["tokens"]) as ws:
            # WHEN 200 tokens are published
            sent: list[dict[str, Any]] = [
                await realtime.publish(chat("r6").tokens, f"t{i}") for i in range(200)
            ]
            # THEN every publish returned while no post had completed
            assert poster.posted == 0
            poster.release.set()
            await realtime.flush()
            assert poster.posted == 200
            assert await receive(ws, 200) == sent
    finally:
        poster.release.set()
        realtime.close()


async def test_publishers_on_many_threads_deliver_in_seq_order(
    gateway: RunningGateway, realtime: Realtime
) -> None:
    # GIVEN one subscriber and four threads publishing to the same channel at once
    ch = chat("r7")
    async with subscriber(gateway, "chat:r7", ["tokens"]) as ws:

        def publish_many(worker: int) -> None:
            for i in range(50):
                realtime.publish_sync(ch.tokens, f"w{worker}-{i}")

        threads = [threading.Thread(target=publish_many, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        await realtime.flush()
        # THEN the socket sees every message once, in strictly increasing seq order
        seqs = [frame["seq"] for frame in await receive(ws, 200)]
        assert seqs == sorted(set(seqs))
        assert len(seqs) == 200


class _HistoryTableMissing(ConnectionStore):
    """Subscriptions in the real table; history written to a table that does not exist."""

    def keep(self, channel: str, frames: Any, *, ttl: int) -> None:
        ConnectionStore("no-such-table").keep(channel, frames, ttl=ttl)


async def test_a_failed_history_write_still_delivers_live_and_flush_reports_it(
    gateway: RunningGateway,
) -> None:
    realtime = Realtime("publish-tests", store=_HistoryTableMissing(), cache_seconds=0)
    try:
        async with subscriber(gateway, "chat:r8", ["kept"]) as ws:
            frame = await realtime.publish(chat("r8").kept, {"n": 1})
            with pytest.raises(ClientError, match="ResourceNotFound"):
                await realtime.flush()
            assert await receive(ws, 1) == [frame]
            await realtime.flush()  # reported once
    finally:
        realtime.close()


async def test_without_a_management_url_flush_says_what_to_set(
    gateway: RunningGateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with subscriber(gateway, "chat:r9", ["tokens"]):
        monkeypatch.setenv("STEPSTREAM_WS_MANAGEMENT_URL", "")
        realtime = Realtime("publish-tests", cache_seconds=0)
        try:
            for i in range(3):
                await realtime.publish(chat("r9").tokens, f"t{i}")
            with pytest.raises(ValueError, match="STEPSTREAM_WS_MANAGEMENT_URL is not set"):
                await realtime.flush()
            await realtime.flush()  # reported once, not once per frame
        finally:
            realtime.close()


async def test_a_run_output_too_big_for_a_frame_is_left_out(
    gateway: RunningGateway, realtime: Realtime
) -> None:
    async with subscriber(gateway, "chat:r10", ["tokens"]) as ws:
        await realtime.run_status(
            run_id="big",
            fn_id="fn",
            status="failed",
            channels=["chat:r10", "chat:r10"],  # named twice, sent once
            output="x" * 200_000,
            error={"name": "Error", "message": "m" * 10_000},
        )
        await realtime.flush()
        (run,) = await receive(ws, 1)
        assert run["data"]["status"] == "failed"
        assert "output" not in run["data"]
        assert run["data"]["error"] == {"name": "Error", "message": "m" * 4096}
        assert await nothing_more(ws)
