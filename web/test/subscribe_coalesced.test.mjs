// Coalesced delivery: a client that connects with coalesce=1 may receive {"kind":"batch","data":
// [frame, ...]} and must deliver its frames exactly as if they had come one by one.
import assert from "node:assert/strict";
import { test } from "node:test";

import { subscribe } from "../subscribe.js";
import { readFrames } from "../subscribe/frames.js";
import { dataFrame, fakeSocketClass, until } from "./_fakes.mjs";

function start(overrides = {}) {
  const { FakeSocket, sockets } = fakeSocketClass();
  const got = { messages: [], errors: [], tokens: 0 };
  const sub = subscribe({
    url: "http://127.0.0.1:8288",
    channel: "ai:run-1",
    topics: ["tokens"],
    token: async () => `jwt-${++got.tokens}`,
    onMessage: (m) => got.messages.push(m),
    onError: (e) => got.errors.push(e),
    WebSocket: FakeSocket,
    reconnectMinMs: 1,
    reconnectMaxMs: 4,
    document: null,
    ...overrides,
  });
  return { sub, sockets, got };
}

const batch = (...frames) => ({ kind: "batch", data: frames });
const seqs = (got) => got.messages.map((m) => m.seq);

test("GIVEN a new subscription WHEN it connects THEN it asks for coalesced frames", async () => {
  const { sub, sockets } = start();
  await until(() => sockets.length === 1, "first socket");
  assert.equal(sockets[0].url.searchParams.get("coalesce"), "1");
  sub.close();
});

test("GIVEN a batch among single frames WHEN received THEN every message is delivered once, in order", async () => {
  const { sub, sockets, got } = start();
  await until(() => sockets.length === 1, "first socket");
  sockets[0].open();
  sockets[0].receive(dataFrame(1));
  sockets[0].receive(batch(dataFrame(2), dataFrame(3), dataFrame(3), dataFrame(9, "other"), dataFrame(4)));
  sockets[0].receive(dataFrame(5));
  await until(() => got.messages.length === 5, "five messages");
  assert.deepEqual(seqs(got), [1, 2, 3, 4, 5], "repeated id 3 dropped, other topic skipped");
  assert.equal(sub.lastSeq, 5);
  sub.close();
});

test("GIVEN a socket that drops after a batch WHEN it reconnects THEN since is the batch's last seq and its replayed frames are not repeated", async () => {
  const { sub, sockets, got } = start();
  await until(() => sockets.length === 1, "first socket");
  sockets[0].open();
  sockets[0].receive(batch(dataFrame(1), dataFrame(2), dataFrame(3)));
  await until(() => got.messages.length === 3, "three messages");
  sockets[0].drop(1006);
  await until(() => sockets.length === 2, "reconnect");
  assert.equal(sockets[1].url.searchParams.get("since"), "3");
  assert.equal(sockets[1].url.searchParams.get("coalesce"), "1");
  sockets[1].open();
  sockets[1].receive(batch(dataFrame(2), dataFrame(3), dataFrame(4)));
  await until(() => got.messages.length === 4, "four messages");
  assert.deepEqual(seqs(got), [1, 2, 3, 4]);
  sub.close();
});

test("GIVEN a malformed batch WHEN received THEN it is reported and nothing is delivered", async () => {
  const { sub, sockets, got } = start();
  await until(() => sockets.length === 1, "first socket");
  sockets[0].open();
  sockets[0].receive({ kind: "batch", data: { seq: 1 } });
  sockets[0].receive(dataFrame(1));
  await until(() => got.messages.length === 1, "one message");
  assert.match(String(got.errors[0]), /batch frame without a list/);
  sub.close();
});

test("GIVEN a batch with an error frame inside WHEN read THEN each inner frame is its own event", () => {
  const events = readFrames(JSON.stringify(batch(dataFrame(1), { kind: "error", data: { code: "x", message: "y" } })));
  assert.deepEqual(events.map((e) => e.type), ["message", "errorFrame"]);
  assert.deepEqual(readFrames(JSON.stringify(dataFrame(1))).map((e) => e.type), ["message"]);
});
