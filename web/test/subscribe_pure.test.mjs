// Pure helpers of web/subscribe.js: backoff, URL building, dedupe, resume point, reading frames,
// message shape.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Deduper, backoffDelay, connectUrl, toMessage } from "../subscribe.js";
import { ResumePoint } from "../subscribe/dedupe.js";
import { isWanted, readFrame } from "../subscribe/frames.js";

test("GIVEN attempts 0..10 WHEN computing backoff THEN it doubles, is capped, and jitter stays in [step/2, step]", () => {
  const steps = [250, 500, 1000, 2000, 4000, 5000, 5000];
  steps.forEach((step, attempt) => {
    assert.equal(backoffDelay(attempt, 250, 5000, () => 0), step / 2);
    assert.equal(backoffDelay(attempt, 250, 5000, () => 0.999999), Math.round(step / 2 + 0.999999 * (step / 2)));
  });
  assert.equal(backoffDelay(60, 250, 5000, () => 0.5), 3750, "huge attempts stay capped");
  assert.equal(backoffDelay(-3, 250, 5000, () => 0), 125, "negative attempts count as the first");
});

test("GIVEN real randomness WHEN two clients back off THEN their delays differ (jitter spreads them)", () => {
  const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(4, 250, 5000)));
  assert.ok(delays.size > 10, `expected spread, got ${[...delays]}`);
});

test("GIVEN http/https/ws/wss bases WHEN building the connect URL THEN scheme maps and path is kept", () => {
  assert.equal(connectUrl("http://127.0.0.1:8288", "j"), "ws://127.0.0.1:8288/v1/realtime/connect?token=j&coalesce=1");
  assert.equal(connectUrl("https://x.example/prod/", "j"), "wss://x.example/prod/v1/realtime/connect?token=j&coalesce=1");
  assert.equal(connectUrl("ws://h:1", "j", 0), "ws://h:1/v1/realtime/connect?token=j&coalesce=1&since=0");
  assert.equal(connectUrl("wss://h/a?x=1#f", "j", 7), "wss://h/a/v1/realtime/connect?token=j&coalesce=1&since=7");
});

test("GIVEN a token with URL-special characters WHEN building the URL THEN it is encoded, not injected", () => {
  const url = new URL(connectUrl("http://h", "a&since=999#x y"));
  assert.equal(url.searchParams.get("token"), "a&since=999#x y");
  assert.equal(url.searchParams.get("since"), null);
});

test("GIVEN a relative, garbage or non-web URL WHEN building THEN a TypeError says what a good one is", () => {
  for (const bad of ["/relative", "not a url", "", undefined, "ftp://h/", "javascript:alert(1)"]) {
    assert.throws(() => connectUrl(bad, "j"), (err) => err instanceof TypeError && /url must/.test(err.message), String(bad));
  }
});

test("GIVEN seqs on two channels WHEN deduping THEN the resume point is the highest seq per channel", () => {
  const d = new Deduper();
  assert.equal(d.accept({ channel: "a", seq: 1, id: "a1" }), true);
  assert.equal(d.accept({ channel: "a", seq: 2, id: "a2" }), true);
  assert.equal(d.accept({ channel: "a", seq: 2, id: "a2" }), false, "a repeated id is dropped");
  assert.equal(d.accept({ channel: "b", seq: 1, id: "b1" }), true, "channels are independent");
  assert.equal(d.seqOf("a"), 2);
  assert.equal(d.seqOf("b"), 1);
  assert.equal(d.seqOf("zzz"), null);
});

test("GIVEN two publishers interleaving on one channel WHEN a lower seq follows a higher one THEN it is delivered and the resume point stays the highest", () => {
  const d = new Deduper();
  // publisher A holds the block 65.., publisher B the block 12..
  assert.equal(d.accept({ channel: "global", seq: 65, id: "a-65" }), true);
  assert.equal(d.accept({ channel: "global", seq: 12, id: "b-12" }), true, "a lower seq with a new id is a new message");
  assert.equal(d.accept({ channel: "global", seq: 66, id: "a-66" }), true);
  assert.equal(d.accept({ channel: "global", seq: 13, id: "b-13" }), true);
  assert.equal(d.accept({ channel: "global", seq: 12, id: "b-12" }), false, "but a repeat is still dropped");
  assert.equal(d.seqOf("global"), 66);
});

test("GIVEN a repeated id without seq WHEN deduping THEN the repeat is dropped", () => {
  const d = new Deduper();
  assert.equal(d.accept({ kind: "run", channel: "a", id: "run-done" }), true);
  assert.equal(d.accept({ kind: "run", channel: "a", id: "run-done" }), false);
  assert.equal(d.accept({ kind: "run", channel: "a" }), true, "no id and no seq cannot be deduped");
});

test("GIVEN a new seq but a repeated id WHEN deduping THEN it is dropped (a re-post after a crash)", () => {
  const d = new Deduper();
  assert.equal(d.accept({ channel: "a", seq: 5, id: "x" }), true);
  assert.equal(d.accept({ channel: "a", seq: 9, id: "x" }), false);
  assert.equal(d.seqOf("a"), 5, "a dropped frame does not move the resume point");
});

test("GIVEN more ids than the bound WHEN deduping THEN memory stays bounded, oldest forgotten", () => {
  const d = new Deduper(3);
  for (const id of ["a", "b", "c", "d"]) d.accept({ id });
  assert.equal(d.ids.size, 3);
  assert.equal(d.accept({ id: "a" }), true, "the oldest id was forgotten");
  assert.equal(d.accept({ id: "d" }), false);
});

test("GIVEN hostile seq values WHEN deduping THEN non-numbers are treated as absent", () => {
  const d = new Deduper();
  assert.equal(d.accept({ channel: "a", seq: "9" }), true);
  assert.equal(d.accept({ channel: "a", seq: Number.NaN }), true);
  assert.equal(d.seqOf("a"), null);
});

test("GIVEN a wire data frame WHEN converting THEN it has inngest/realtime's message shape plus seq and id", () => {
  const message = toMessage({
    kind: "data", channel: "ai:1", topic: "tokens", data: { token: "hi" },
    created_at: "2026-11-22T03:00:00Z", run_id: "r1", fn_id: "f1", seq: 3, id: "m3",
  });
  assert.deepEqual(message, {
    kind: "data", channel: "ai:1", topic: "tokens", data: { token: "hi" }, runId: "r1", fnId: "f1",
    createdAt: new Date("2026-11-22T03:00:00Z"), seq: 3, id: "m3",
  });
});

test("GIVEN absent or garbage optional fields WHEN converting THEN they are left out and createdAt is a valid Date", () => {
  const message = toMessage({ kind: "data", channel: "c", topic: "t", data: null, run_id: null, created_at: "nope" });
  assert.equal("runId" in message, false);
  assert.equal(message.data, undefined);
  assert.ok(!Number.isNaN(message.createdAt.getTime()));
});

test("GIVEN settled messages WHEN tracking the resume point THEN it is the highest seq of the subscribed channel, never lowered", () => {
  const resume = new ResumePoint("a");
  assert.equal(resume.seq, null);
  resume.settle({ channel: "a", seq: 65 });
  resume.settle({ channel: "a", seq: 12 });
  assert.equal(resume.seq, 65, "a lower seq from a second publisher does not move it back");
  resume.settle({ channel: "b", seq: 900 });
  resume.settle({ channel: "a" });
  resume.settle({ channel: "a", seq: "99" });
  assert.equal(resume.seq, 65, "other channels and seq-less messages do not count");
  resume.settle({ channel: "a", seq: 66 });
  assert.equal(resume.seq, 66);
});

test("GIVEN a since option WHEN tracking the resume point THEN it starts there, and only when a channel is named", () => {
  assert.equal(new ResumePoint("a", 10).seq, 10);
  assert.equal(new ResumePoint("a", 0).seq, 0);
  assert.equal(new ResumePoint("a", undefined).seq, null);
  assert.equal(new ResumePoint(null, 10).seq, null);
});

test("GIVEN raw socket data WHEN reading it THEN each frame becomes the event the connection machine expects", () => {
  const data = { kind: "data", channel: "c", topic: "t", data: 1, seq: 1, id: "m1" };
  assert.deepEqual(readFrame(JSON.stringify(data)), { type: "message", frame: data });
  assert.equal(readFrame('{"kind":"run","id":"r"}').type, "message");
  for (const quiet of ['{"kind":"ping"}', '{"kind":"pong"}', '{"kind":"sub"}', '{"kind":["data"]}', "null", "[1]", "3"]) {
    assert.deepEqual(readFrame(quiet), { type: "traffic" }, quiet);
  }
  const error = readFrame('{"kind":"error","data":{"code":"bad_frame","message":"unknown kind"}}');
  assert.equal(error.type, "errorFrame");
  assert.equal(error.error.code, "bad_frame");
  assert.equal(error.error.message, "stepstream realtime: bad_frame: unknown kind");
  assert.equal(readFrame('{"kind":"error"}').error.code, "error");
  assert.match(readFrame(new Uint8Array([1])).error.message, /binary frame/);
  const garbage = readFrame(`{${"x".repeat(500)}`);
  assert.equal(garbage.type, "badFrame");
  assert.ok(garbage.error.message.length < 150, "only the start of the frame is quoted");
});

test("GIVEN frames WHEN checking them against the subscription THEN only its channel and topics pass, and run frames need no topic", () => {
  const topics = new Set(["tokens"]);
  assert.equal(isWanted({ kind: "data", channel: "c", topic: "tokens" }, "c", topics), true);
  assert.equal(isWanted({ kind: "data", channel: "other", topic: "tokens" }, "c", topics), false);
  assert.equal(isWanted({ kind: "data", channel: "c", topic: "secrets" }, "c", topics), false);
  assert.equal(isWanted({ kind: "data", channel: "c", topic: "secrets" }, "c", null), true, "no topic list: every topic");
  assert.equal(isWanted({ kind: "data", channel: "c" }, "c", topics), false, "a data frame needs a topic");
  assert.equal(isWanted({ kind: "data", topic: "tokens" }, "c", topics), false, "and a channel");
  assert.equal(isWanted({ kind: "run", channel: "c" }, "c", topics), true);
  assert.equal(isWanted({ kind: "run" }, "c", topics), true);
  assert.equal(isWanted({ kind: "run", channel: "other" }, "c", topics), false);
  assert.equal(isWanted({ kind: "data", channel: "any", topic: "tokens" }, null, topics), true, "no channel named: any");
});
