// subscribe() against the real Python stack: the local API Gateway WebSocket emulator running
// the real handlers over moto, tokens signed as the token endpoint signs them, real publishes.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import WebSocket from "ws";

import { subscribe } from "../subscribe.js";
import { until } from "./_fakes.mjs";
import { startStack } from "./_stack.mjs";

let stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

const TOPICS = ["tokens", "result"];
let channelCount = 0;
const newChannel = () => `ai:web-${process.pid}-${++channelCount}`;

function open(channel, overrides = {}) {
  const got = { messages: [], statuses: [], errors: [], tokens: 0 };
  const sub = subscribe({
    url: stack.gateway,
    channel,
    topics: TOPICS,
    token: async () => {
      got.tokens += 1;
      return stack.token(channel, TOPICS);
    },
    onMessage: (m) => got.messages.push(m),
    onStatus: (s) => got.statuses.push(s),
    onError: (e) => got.errors.push(e),
    WebSocket,
    reconnectMinMs: 50,
    reconnectMaxMs: 200,
    ...overrides,
  });
  return { sub, got };
}

const texts = (got) => got.messages.map((m) => m.data.token);

test("GIVEN an open subscription WHEN the server publishes THEN messages arrive in order with seq, id and metadata", async () => {
  const channel = newChannel();
  const { sub, got } = open(channel);
  await until(() => sub.status === "open", "open", 10_000);
  const frames = [];
  for (const token of ["Hel", "lo", "!"]) frames.push(await stack.publish(channel, "tokens", { token }));
  await stack.publish(channel, "secret-topic", { token: "not for this token" });
  await until(() => got.messages.length === 3, "three messages", 10_000);
  assert.deepEqual(texts(got), ["Hel", "lo", "!"]);
  assert.deepEqual(got.messages.map((m) => m.seq), frames.map((f) => f.seq));
  assert.deepEqual(got.messages.map((m) => m.id), frames.map((f) => f.id));
  assert.equal(got.messages[0].channel, channel);
  assert.ok(got.messages[0].createdAt instanceof Date);
  assert.equal(sub.lastSeq, frames[2].seq);
  assert.deepEqual(got.errors, []);
  sub.close();
});

test("GIVEN a socket killed from the server (DELETE @connections) WHEN messages are published while it is down THEN it reconnects with a fresh token and misses nothing, repeats nothing", async () => {
  const channel = newChannel();
  let gate = null; // while set, token() waits: the client is provably disconnected
  let tokens = 0;
  const { sub, got } = open(channel, {
    token: async () => {
      tokens += 1;
      if (gate) await gate.promise;
      return stack.token(channel, TOPICS);
    },
  });
  await until(() => sub.status === "open", "open", 10_000);
  for (const token of ["a", "b", "c"]) await stack.publish(channel, "tokens", { token });
  await until(() => got.messages.length === 3, "before the kill", 10_000);

  const [victim] = await stack.connections();
  let release;
  gate = { promise: new Promise((resolve) => { release = resolve; }) };
  await stack.kill(victim);
  await until(() => tokens === 2, "the reconnect asking for a token", 10_000);
  assert.notEqual(sub.status, "open");
  for (const token of ["d", "e"]) await stack.publish(channel, "tokens", { token });
  gate = null;
  release();

  await until(() => got.messages.length >= 5, "the missed messages", 10_000);
  for (const token of ["f"]) await stack.publish(channel, "tokens", { token });
  await until(() => got.messages.length >= 6, "live again", 10_000);
  await new Promise((resolve) => setTimeout(resolve, 100)); // room for a duplicate to show up
  assert.deepEqual(texts(got), ["a", "b", "c", "d", "e", "f"]);
  const seqs = got.messages.map((m) => m.seq);
  assert.deepEqual(seqs, [...seqs].sort((x, y) => x - y));
  assert.equal(tokens, 2, "one fresh token per connect");
  const ids = await stack.connections();
  assert.equal(ids.length, 1);
  assert.notEqual(ids[0], victim);
  assert.deepEqual(got.statuses, ["connecting", "open", "closed", "connecting", "open"], got.errors.map(String).join("; "));
  sub.close();
});

test("GIVEN kept history WHEN a new subscription passes since THEN it gets exactly the messages after that seq, then live ones", async () => {
  const channel = newChannel();
  const frames = [];
  for (const token of ["1", "2", "3", "4"]) frames.push(await stack.publish(channel, "tokens", { token }));
  const { sub, got } = open(channel, { since: frames[1].seq });
  await until(() => got.messages.length === 2, "the replay", 10_000);
  await stack.publish(channel, "tokens", { token: "5" });
  await until(() => got.messages.length === 3, "live after replay", 10_000);
  assert.deepEqual(texts(got), ["3", "4", "5"]);
  sub.close();
});

test("GIVEN since: 0 WHEN subscribing to a run's channel late THEN the whole kept history arrives first", async () => {
  const channel = newChannel();
  await stack.publish(channel, "tokens", { token: "early" });
  await stack.publish(channel, "result", { token: "done" }, { durable: true });
  const { sub, got } = open(channel, { since: 0 });
  await until(() => got.messages.length === 2, "history", 10_000);
  assert.deepEqual(got.messages.map((m) => m.topic), ["tokens", "result"]);
  sub.close();
});

test("GIVEN a run lifecycle frame WHEN the run completes THEN onMessage sees kind run with its output", async () => {
  const channel = newChannel();
  const { sub, got } = open(channel);
  await until(() => sub.status === "open", "open", 10_000);
  await stack.runStatus({ channel, run_id: "run-1", status: "completed", output: { text: "hi" } });
  await until(() => got.messages.length === 1, "run frame", 10_000);
  assert.equal(got.messages[0].kind, "run");
  assert.equal(got.messages[0].runId, "run-1");
  assert.deepEqual(got.messages[0].data.output, { text: "hi" });
  sub.close();
});

test("GIVEN a forged token WHEN connecting THEN the gateway refuses it, onError explains, and no connection is recorded", async () => {
  const channel = newChannel();
  // Earlier tests' sockets may still be closing, so compare ids, not counts.
  const before = new Set(await stack.connections());
  const { sub, got } = open(channel, { token: async () => "eyJhbGciOiJub25lIn0.eyJjaGFubmVsIjoiYWk6MSJ9.", reconnect: false });
  await until(() => got.errors.length === 1, "refusal", 10_000);
  assert.match(got.errors[0].message, /could not connect .* token may be invalid or expired/);
  assert.equal(sub.status, "error");
  assert.deepEqual((await stack.connections()).filter((id) => !before.has(id)), []);
});

test("GIVEN a token for another channel WHEN subscribing THEN frames of that other channel are not delivered as ours", async () => {
  const mine = newChannel();
  const theirs = newChannel();
  const { sub, got } = open(mine, { token: async () => stack.token(theirs, TOPICS) });
  await until(() => sub.status === "open", "open", 10_000);
  await stack.publish(theirs, "tokens", { token: "theirs" });
  await stack.publish(mine, "tokens", { token: "mine" });
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.deepEqual(got.messages, []);
  sub.close();
});
