// subscribe()'s connection state machine, driven frame by frame with an in-memory socket.
import assert from "node:assert/strict";
import { test } from "node:test";

import { subscribe } from "../subscribe.js";
import { dataFrame, fakeDocument, fakeSocketClass, until } from "./_fakes.mjs";

function start(overrides = {}) {
  const { FakeSocket, sockets } = fakeSocketClass();
  const got = { messages: [], statuses: [], errors: [], tokens: 0 };
  const sub = subscribe({
    url: "http://127.0.0.1:8288",
    channel: "ai:run-1",
    topics: ["tokens", "result"],
    token: async () => `jwt-${++got.tokens}`,
    onMessage: (m) => got.messages.push(m),
    onStatus: (s) => got.statuses.push(s),
    onError: (e) => got.errors.push(e),
    WebSocket: FakeSocket,
    reconnectMinMs: 1,
    reconnectMaxMs: 4,
    document: null,
    ...overrides,
  });
  return { sub, sockets, got };
}

const seqs = (got) => got.messages.map((m) => m.seq);

test("GIVEN a new subscription WHEN it connects THEN the URL carries a fresh token and no since", async () => {
  const { sub, sockets, got } = start();
  await until(() => sockets.length === 1, "first socket");
  assert.equal(sockets[0].url.pathname, "/v1/realtime/connect");
  assert.equal(sockets[0].url.searchParams.get("token"), "jwt-1");
  assert.equal(sockets[0].url.searchParams.has("since"), false);
  sockets[0].open();
  assert.deepEqual(got.statuses, ["connecting", "open"]);
  sub.close();
  assert.equal(sub.status, "closed");
  assert.equal(sockets[0].closedByClient.code, 1000);
});

test("GIVEN messages 1..3 WHEN the socket drops THEN it reconnects with a new token and since=3, and replayed 2..3 are not repeated", async () => {
  const { sub, sockets, got } = start();
  await until(() => sockets.length === 1, "first socket");
  sockets[0].open();
  for (const seq of [1, 2, 3]) sockets[0].receive(dataFrame(seq));
  await until(() => got.messages.length === 3, "three messages");
  sockets[0].drop(1006);
  await until(() => sockets.length === 2, "reconnect");
  assert.equal(sockets[1].url.searchParams.get("token"), "jwt-2", "a fresh token per connect");
  assert.equal(sockets[1].url.searchParams.get("since"), "3");
  sockets[1].open();
  assert.deepEqual(sockets[0].sent, [], "a live-only socket does not speak first");
  assert.deepEqual(sockets[1].sent, ['{"kind":"ping"}'], "a resuming socket speaks at once, releasing the server's replay");
  for (const seq of [2, 3, 4, 5]) sockets[1].receive(dataFrame(seq));
  await until(() => got.messages.length === 5, "five messages");
  assert.deepEqual(seqs(got), [1, 2, 3, 4, 5]);
  assert.equal(sub.lastSeq, 5);
  assert.deepEqual(got.statuses, ["connecting", "open", "closed", "connecting", "open"]);
  sub.close();
});

test("GIVEN an explicit since WHEN subscribing THEN the first connect resumes from it", async () => {
  const { sub, sockets, got } = start({ since: 10 });
  await until(() => sockets.length === 1, "socket");
  assert.equal(sockets[0].url.searchParams.get("since"), "10");
  sockets[0].open();
  sockets[0].receive(dataFrame(11));
  await until(() => got.messages.length === 1, "one message");
  assert.deepEqual(seqs(got), [11]);
  assert.equal(sub.lastSeq, 11);
  sub.close();
});

test("GIVEN two publishers on one channel WHEN a lower seq arrives after a higher one THEN both are delivered, a repeat is not, and a reconnect resumes from the highest", async () => {
  const { sub, sockets, got } = start();
  await until(() => sockets.length === 1, "socket");
  sockets[0].open();
  // publisher A took the seq block 65.., publisher B the block 12..
  sockets[0].receive(dataFrame(65, "tokens", { id: "a-65" }));
  sockets[0].receive(dataFrame(12, "tokens", { id: "b-12" }));
  sockets[0].receive(dataFrame(66, "tokens", { id: "a-66" }));
  sockets[0].receive(dataFrame(12, "tokens", { id: "b-12" }));
  sockets[0].receive(dataFrame(13, "tokens", { id: "b-13" }));
  await until(() => got.messages.length === 4, "four messages");
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(seqs(got), [65, 12, 66, 13]);
  assert.equal(sub.lastSeq, 66);
  sockets[0].drop(1006);
  await until(() => sockets.length === 2, "reconnect");
  assert.equal(sockets[1].url.searchParams.get("since"), "66");
  sub.close();
});

test("GIVEN a refused connect (401 before open) WHEN retrying THEN onError explains it, status is error, and it backs off and retries", async () => {
  const { sub, sockets, got } = start();
  await until(() => sockets.length === 1, "socket");
  sockets[0].drop(1006);
  assert.match(got.errors[0].message, /could not connect .*token may be invalid or expired/);
  assert.equal(got.statuses.at(-1), "error");
  await until(() => sockets.length === 2, "retry");
  sub.close();
});

test("GIVEN a token() that throws WHEN connecting THEN the error is reported and it retries", async () => {
  let calls = 0;
  const { sub, sockets, got } = start({
    token: async () => {
      calls += 1;
      if (calls === 1) throw new Error("auth service down");
      return "jwt-ok";
    },
  });
  await until(() => sockets.length === 1, "socket after the retry");
  assert.match(got.errors[0].message, /could not get a token: auth service down/);
  assert.equal(sockets[0].url.searchParams.get("token"), "jwt-ok");
  sub.close();
});

test("GIVEN token() resolving to junk WHEN connecting THEN the error says what token() must return", async () => {
  for (const junk of [undefined, "", 42, { jwt: 7 }, { token: "x" }, { key: "" }]) {
    const { sub, got } = start({ token: async () => junk, reconnect: false });
    await until(() => got.errors.length === 1, "error");
    assert.match(got.errors[0].message, /JWT string, an object with a string `key`, or the \{jwt\} answer/);
    assert.equal(sub.status, "error");
  }
});

test("GIVEN token() resolving to {key, apiBaseUrl} and no url WHEN connecting THEN the token's base URL is used", async () => {
  const { sub, sockets } = start({ url: undefined, token: async () => ({ key: "k", apiBaseUrl: "https://rt.example" }) });
  await until(() => sockets.length === 1, "socket");
  assert.equal(sockets[0].url.origin, "wss://rt.example");
  sub.close();
});

test("GIVEN reconnect: false WHEN the socket drops THEN it stays closed", async () => {
  const { sub, sockets, got } = start({ reconnect: false });
  await until(() => sockets.length === 1, "socket");
  sockets[0].open();
  sockets[0].drop(1001);
  assert.equal(sub.status, "closed");
  assert.deepEqual(got.statuses, ["connecting", "open", "closed"]);
});

test("GIVEN a hidden tab WHEN it becomes hidden and visible again THEN the socket closes, then resumes from the last seq", async () => {
  const doc = fakeDocument("visible");
  const { sub, sockets, got } = start({ document: doc });
  await until(() => sockets.length === 1, "socket");
  sockets[0].open();
  sockets[0].receive(dataFrame(1));
  await until(() => got.messages.length === 1, "message");
  doc.setVisibility("hidden");
  assert.equal(sub.status, "paused");
  assert.equal(sockets[0].closedByClient.code, 1000);
  sockets[0].receive(dataFrame(2)); // a straggler after pausing is not delivered...
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(got.messages.length, 1);
  doc.setVisibility("visible");
  await until(() => sockets.length === 2, "resume");
  assert.equal(sockets[1].url.searchParams.get("since"), "1", "...it is replayed after resume");
  sub.close();
});

test("GIVEN a tab hidden from the start WHEN subscribing THEN nothing connects until it is visible", async () => {
  const doc = fakeDocument("hidden");
  const { sub, sockets, got } = start({ document: doc });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(sockets.length, 0);
  assert.deepEqual(got.statuses, ["paused"]);
  doc.setVisibility("visible");
  await until(() => sockets.length === 1, "socket");
  sub.close();
});

test("GIVEN pauseOnHidden: false WHEN the tab hides THEN the socket stays", async () => {
  const doc = fakeDocument("visible");
  const { sub, sockets } = start({ document: doc, pauseOnHidden: false });
  await until(() => sockets.length === 1, "socket");
  sockets[0].open();
  doc.setVisibility("hidden");
  assert.equal(sub.status, "open");
  assert.equal(sockets[0].closedByClient, null);
  sub.close();
});

test("GIVEN an AbortSignal WHEN it aborts THEN the subscription closes and never reconnects", async () => {
  const controller = new AbortController();
  const { sub, sockets } = start({ signal: controller.signal });
  await until(() => sockets.length === 1, "socket");
  sockets[0].open();
  controller.abort();
  assert.equal(sub.status, "closed");
  sockets[0].drop(1006);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(sockets.length, 1);
});

test("GIVEN pings, pongs, error frames, garbage and binary WHEN received THEN only error frames and garbage are reported and the socket stays", async () => {
  const { sub, sockets, got } = start();
  await until(() => sockets.length === 1, "socket");
  sockets[0].open();
  sockets[0].receive({ kind: "ping" });
  sockets[0].receive({ kind: "pong" });
  sockets[0].receive({ kind: "error", data: { code: "bad_frame", message: "unknown kind" } });
  sockets[0].receive("{not json");
  sockets[0].receiveRaw(new Uint8Array([1, 2, 3]));
  sockets[0].receive("null");
  sockets[0].receive("[1,2]");
  sockets[0].receive({ kind: "mystery" });
  assert.equal(got.errors.length, 3);
  assert.equal(got.errors[0].code, "bad_frame");
  assert.match(got.errors[0].message, /bad_frame: unknown kind/);
  assert.match(got.errors[1].message, /not JSON/);
  assert.match(got.errors[2].message, /binary/);
  assert.deepEqual(sockets[0].sent, [], "no answer to server pings");
  assert.equal(got.messages.length, 0);
  assert.equal(sub.status, "open");
  sub.close();
});

test("GIVEN frames for another channel, an unsubscribed topic, or missing fields WHEN received THEN they are dropped", async () => {
  const { sub, sockets, got } = start();
  await until(() => sockets.length === 1, "socket");
  sockets[0].open();
  sockets[0].receive(dataFrame(1, "tokens", { channel: "ai:someone-else" }));
  sockets[0].receive(dataFrame(2, "secrets"));
  sockets[0].receive(dataFrame(3, "tokens", { topic: undefined }));
  sockets[0].receive(dataFrame(4, "tokens", { channel: 7 }));
  sockets[0].receive(dataFrame(5, "result"));
  await until(() => got.messages.length === 1, "the one good message");
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(seqs(got), [5]);
  sub.close();
});

test("GIVEN a run lifecycle frame delivered twice WHEN received THEN onMessage sees it once, as kind run", async () => {
  const { sub, sockets, got } = start();
  await until(() => sockets.length === 1, "socket");
  sockets[0].open();
  const run = { kind: "run", channel: "ai:run-1", run_id: "r", fn_id: "f", created_at: "2026-11-22T03:00:00Z", data: { status: "completed", output: 1 }, id: "run:r:completed" };
  sockets[0].receive(run);
  sockets[0].receive(run);
  await until(() => got.messages.length === 1, "run message");
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(got.messages.length, 1);
  assert.equal(got.messages[0].kind, "run");
  assert.deepEqual(got.messages[0].data, { status: "completed", output: 1 });
  sub.close();
});

test("GIVEN an onMessage that throws WHEN a message arrives THEN onError gets it and later messages still flow", async () => {
  let first = true;
  const errors = [];
  const delivered = [];
  const { sub, sockets } = start({
    onMessage: (m) => {
      if (first) {
        first = false;
        throw new Error("render bug");
      }
      delivered.push(m.seq);
    },
    onError: (e) => errors.push(e.message),
  });
  await until(() => sockets.length === 1, "socket");
  sockets[0].open();
  sockets[0].receive(dataFrame(1));
  sockets[0].receive(dataFrame(2));
  await until(() => delivered.length === 1, "second message");
  assert.deepEqual(errors, ["render bug"]);
  assert.deepEqual(delivered, [2]);
  sub.close();
});

test("GIVEN a channel object with a Standard Schema (async) WHEN messages arrive THEN invalid ones are dropped and order is kept", async () => {
  const schema = {
    "~standard": {
      version: 1,
      vendor: "test",
      validate: async (value) => {
        await new Promise((resolve) => setTimeout(resolve, value.token === "t1" ? 10 : 0));
        return value.token === "t2" ? { issues: [{ message: "no" }] } : { value: { ...value, ok: true } };
      },
    },
  };
  const { sub, sockets, got } = start({ channel: { name: "ai:run-1", topics: { tokens: { schema } } } });
  await until(() => sockets.length === 1, "socket");
  sockets[0].open();
  for (const seq of [1, 2, 3]) sockets[0].receive(dataFrame(seq));
  await until(() => got.messages.length === 2, "two valid messages");
  assert.deepEqual(seqs(got), [1, 3], "slow validation of 1 did not let 3 overtake it");
  assert.equal(got.messages[0].data.ok, true);
  assert.match(got.errors[0].message, /failed schema validation/);
  sub.close();
});

test("GIVEN bad options WHEN subscribing THEN a TypeError says what to pass", () => {
  const { FakeSocket } = fakeSocketClass();
  const base = { url: "http://h", token: () => "j", onMessage: () => {}, WebSocket: FakeSocket, document: null };
  assert.throws(() => subscribe(), /pass an options object/);
  assert.throws(() => subscribe({ ...base, token: undefined }), /token must be a function/);
  assert.throws(() => subscribe({ ...base, onMessage: "x" }), /onMessage must be a function/);
  assert.throws(() => subscribe({ ...base, WebSocket: undefined }), /in Node 20 pass one/);
  assert.throws(() => subscribe({ ...base, since: -1 }), /since must be a non-negative integer/);
  assert.throws(() => subscribe({ ...base, since: "5" }), /since must be a non-negative integer/);
  assert.throws(() => subscribe({ ...base, channel: 5 }), /channel must be a string/);
});

test("GIVEN an invalid url WHEN connecting THEN it fails once with a clear error instead of retrying forever", async () => {
  const { sub, sockets, got } = start({ url: "/relative" });
  await until(() => got.errors.length === 1, "error");
  assert.match(got.errors[0].message, /url must be an absolute/);
  assert.equal(sub.status, "error");
  assert.equal(sockets.length, 0);
});

test("GIVEN keepaliveMs WHEN the socket is quiet that long THEN it pings, and stops pinging once closed", async () => {
  const { sub, sockets } = start({ keepaliveMs: 30 });
  await until(() => sockets.length === 1, "socket");
  sockets[0].open();
  await until(() => sockets[0].sent.length === 1, "a keepalive ping");
  assert.deepEqual(JSON.parse(sockets[0].sent[0]), { kind: "ping" });
  sub.close();
  const sentAtClose = sockets[0].sent.length;
  await new Promise((resolve) => setTimeout(resolve, 60));
  assert.equal(sockets[0].sent.length, sentAtClose, "no pings after close");
});

test("GIVEN a schema whose validate throws WHEN a message arrives THEN it is reported as invalid and later messages still flow", async () => {
  const schema = {
    "~standard": {
      version: 1,
      vendor: "test",
      validate: (value) => {
        if (value.token === "t1") throw new Error("validator crashed");
        return { value };
      },
    },
  };
  const { sub, sockets, got } = start({ channel: { name: "ai:run-1", topics: { tokens: { schema } } } });
  await until(() => sockets.length === 1, "socket");
  sockets[0].open();
  sockets[0].receive(dataFrame(1));
  sockets[0].receive(dataFrame(2));
  await until(() => got.messages.length === 1, "the second message");
  assert.deepEqual(seqs(got), [2]);
  assert.match(got.errors[0].message, /failed schema validation: validator crashed/);
  sub.close();
});

test("GIVEN a message still being validated WHEN the subscription closes THEN lastSeq does not count it, so a resume gets it again", async () => {
  let release;
  const gate = new Promise((resolve) => {
    release = resolve;
  });
  const schema = {
    "~standard": {
      version: 1,
      vendor: "test",
      validate: async (value) => {
        if (value.token === "t2") await gate;
        return { value };
      },
    },
  };
  const { sub, sockets, got } = start({ channel: { name: "ai:run-1", topics: { tokens: { schema } } } });
  await until(() => sockets.length === 1, "socket");
  sockets[0].open();
  sockets[0].receive(dataFrame(1));
  sockets[0].receive(dataFrame(2));
  await until(() => got.messages.length === 1, "the first message");
  assert.equal(sub.lastSeq, 1, "seq 2 is received but not yet delivered");
  sub.close();
  release();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(sub.lastSeq, 1);
  assert.deepEqual(seqs(got), [1], "nothing is delivered after close");
});

test("GIVEN oversized frames WHEN received THEN a big valid one is delivered intact and big garbage is reported briefly", async () => {
  const { sub, sockets, got } = start();
  await until(() => sockets.length === 1, "socket");
  sockets[0].open();
  const big = "x".repeat(1 << 20);
  sockets[0].receive(dataFrame(1, "tokens", { data: { token: big } }));
  sockets[0].receive(`{${big}`);
  await until(() => got.messages.length === 1, "the big message");
  assert.equal(got.messages[0].data.token.length, 1 << 20);
  assert.ok(got.errors[0].message.length < 200, "the report quotes only the start of the frame");
  sub.close();
});

test("GIVEN hostile field values WHEN received THEN nothing reaches the prototype and odd types are dropped", async () => {
  const { sub, sockets, got } = start({ topics: undefined });
  await until(() => sockets.length === 1, "socket");
  sockets[0].open();
  sockets[0].receive('{"kind":"data","channel":"ai:run-1","topic":"__proto__","data":{"polluted":true},"seq":1}');
  sockets[0].receive({ kind: "data", channel: "ai:run-1", topic: ["tokens"], data: 1, seq: 2 });
  sockets[0].receive({ kind: ["data"], channel: "ai:run-1", topic: "tokens", data: 1, seq: 3 });
  await until(() => got.messages.length === 1, "the __proto__ topic message");
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(got.messages.length, 1);
  assert.equal({}.polluted, undefined);
  assert.equal(got.messages[0].topic, "__proto__");
  sub.close();
});

test("GIVEN token() resolving to the token endpoint's {jwt} body WHEN connecting THEN that JWT is used", async () => {
  const { sub, sockets } = start({ token: async () => ({ jwt: "from-endpoint" }) });
  await until(() => sockets.length === 1, "socket");
  assert.equal(sockets[0].url.searchParams.get("token"), "from-endpoint");
  sub.close();
});

test("GIVEN callbacks that close the subscription WHEN they run mid-transition THEN it closes for good: no ping, no retry", async () => {
  const onOpen = start({
    keepaliveMs: 10,
    onStatus: (s) => {
      if (s === "open") onOpen.sub.close();
    },
  });
  await until(() => onOpen.sockets.length === 1, "socket");
  onOpen.sockets[0].open();
  assert.equal(onOpen.sub.status, "closed");
  assert.equal(onOpen.sockets[0].closedByClient.code, 1000);

  const onRefused = start({ onError: () => onRefused.sub.close() });
  await until(() => onRefused.sockets.length === 1, "socket");
  onRefused.sockets[0].drop(1006);
  assert.equal(onRefused.sub.status, "closed");

  await new Promise((resolve) => setTimeout(resolve, 40));
  assert.deepEqual(onOpen.sockets[0].sent, [], "no keepalive ping after close");
  assert.equal(onRefused.sockets.length, 1, "no reconnect after close");
});
