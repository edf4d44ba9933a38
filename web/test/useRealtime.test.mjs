// useRealtime in a real React root (jsdom): return shape, buffering, historyLimit, delta,
// run lifecycle, pausing, reset, and resume-after-pause without a gap.
import assert from "node:assert/strict";
import { test } from "node:test";

import { renderHook, settle, settleUntil, setVisibility } from "./_render_hook.mjs";
import { dataFrame, fakeSocketClass } from "./_fakes.mjs";
import { clampMessages, normalizeRunStatus, runLifecycleUpdate, useRealtime } from "../useRealtime.js";

function setup(extra = {}) {
  const { FakeSocket, sockets } = fakeSocketClass();
  let tokens = 0;
  const props = {
    channel: "ai:run-1",
    topics: ["tokens", "result"],
    token: async () => `jwt-${++tokens}`,
    apiBaseUrl: "http://127.0.0.1:8288",
    reconnectMinMs: 1,
    reconnectMaxMs: 4,
    WebSocket: FakeSocket,
    ...extra,
  };
  return { props, sockets, tokenCount: () => tokens };
}

async function openHook(extra) {
  const { props, sockets, tokenCount } = setup(extra);
  const hook = await renderHook(useRealtime, props);
  await settleUntil(() => sockets.length === 1, "socket");
  await settle(() => sockets[0].open());
  return { hook, props, sockets, tokenCount, r: hook.result };
}

const runFrame = (status, extra = {}) => ({
  kind: "run", channel: "ai:run-1", run_id: "r1", fn_id: "generate-response",
  created_at: "2026-11-22T03:00:00Z", data: { status, ...extra }, id: `run:r1:${status}`,
});

test("GIVEN the hook WHEN rendered THEN it returns exactly the v4 hook's keys", async () => {
  const { hook, r } = await openHook();
  assert.deepEqual(Object.keys(r.current).sort(), ["connectionStatus", "error", "isPaused", "messages", "pauseReason", "reset", "result", "runStatus"]);
  assert.deepEqual(Object.keys(r.current.messages).sort(), ["all", "byTopic", "delta", "last"]);
  assert.equal(r.current.connectionStatus, "open");
  assert.equal(r.current.runStatus, "running", "an open socket means the run is running, as in v4");
  assert.equal(r.current.isPaused, false);
  assert.equal(r.current.pauseReason, null);
  await hook.unmount();
});

test("GIVEN bufferInterval 0 WHEN messages arrive THEN all/last/delta/byTopic update per message", async () => {
  const { hook, sockets, r } = await openHook();
  await settle(() => {
    sockets[0].receive(dataFrame(1));
    sockets[0].receive(dataFrame(2, "result", { data: { text: "done" } }));
  });
  await settleUntil(() => r.current.messages.all.length === 2, "two messages");
  const { all, last, delta, byTopic } = r.current.messages;
  assert.deepEqual(all.map((m) => m.seq), [1, 2]);
  assert.equal(last.seq, 2);
  assert.deepEqual(delta.map((m) => m.seq), [2]);
  assert.equal(byTopic.tokens.seq, 1);
  assert.deepEqual(byTopic.result.data, { text: "done" });
  assert.ok(all[0].createdAt instanceof Date, "messages have inngest/realtime's shape");
  assert.equal(all[0].topic, "tokens");
  await hook.unmount();
});

test("GIVEN bufferInterval WHEN a burst arrives THEN it is flushed as one delta", async () => {
  const { hook, sockets, r } = await openHook({ bufferInterval: 20 });
  await settle(() => {
    for (const seq of [1, 2, 3, 4]) sockets[0].receive(dataFrame(seq));
  });
  await settleUntil(() => r.current.messages.all.length === 4, "the flush");
  assert.deepEqual(r.current.messages.delta.map((m) => m.seq), [1, 2, 3, 4]);
  assert.equal(r.current.messages.last.seq, 4);
  await hook.unmount();
});

test("GIVEN historyLimit 3 WHEN 5 messages arrive THEN all keeps the newest 3", async () => {
  const { hook, sockets, r } = await openHook({ historyLimit: 3 });
  await settle(() => {
    for (const seq of [1, 2, 3, 4, 5]) sockets[0].receive(dataFrame(seq));
  });
  await settleUntil(() => r.current.messages.last?.seq === 5, "five messages");
  assert.deepEqual(r.current.messages.all.map((m) => m.seq), [3, 4, 5]);
  await hook.unmount();
});

test("GIVEN clampMessages WHEN limit is null, 0 or small THEN it keeps all, none, or the newest", () => {
  assert.deepEqual(clampMessages([1, 2], [3], null), [1, 2, 3]);
  assert.deepEqual(clampMessages([1, 2], [3], 0), []);
  assert.deepEqual(clampMessages([1, 2], [3, 4], 3), [2, 3, 4]);
});

test("GIVEN run lifecycle spellings WHEN normalized THEN they map onto the v4 statuses", () => {
  assert.equal(normalizeRunStatus("Succeeded"), "completed");
  assert.equal(normalizeRunStatus("canceled"), "cancelled");
  assert.equal(normalizeRunStatus("error"), "failed");
  assert.equal(normalizeRunStatus(7), undefined);
  assert.deepEqual(runLifecycleUpdate({ kind: "run", data: { status: "completed", output: { a: 1 } } }), { runStatus: "completed", result: { a: 1 } });
  assert.deepEqual(runLifecycleUpdate({ kind: "run", data: { status: "failed", output: "x" } }), { runStatus: "failed" });
  assert.deepEqual(runLifecycleUpdate({ kind: "data", data: { status: "completed" } }), {});
  assert.deepEqual(runLifecycleUpdate({ kind: "run", data: null }), {});
});

test("GIVEN a completed run frame WHEN received THEN runStatus/result are set and the socket closes (autoCloseOnTerminal)", async () => {
  const { hook, sockets, r } = await openHook();
  await settle(() => sockets[0].receive(runFrame("completed", { output: { text: "hello" } })));
  await settleUntil(() => r.current.runStatus === "completed", "completed");
  assert.deepEqual(r.current.result, { text: "hello" });
  assert.equal(r.current.connectionStatus, "closed");
  assert.ok(sockets[0].closedByClient, "the hook closed the socket");
  assert.equal(r.current.messages.all.length, 0, "run frames are not messages, as in v4");
  await settle(() => {}, 20);
  assert.equal(sockets.length, 1, "no reconnect after a terminal status");
  await hook.unmount();
});

test("GIVEN autoCloseOnTerminal false WHEN the run fails THEN the socket stays open", async () => {
  const { hook, sockets, r } = await openHook({ autoCloseOnTerminal: false });
  await settle(() => sockets[0].receive(runFrame("failed", { error: { message: "boom" } })));
  await settleUntil(() => r.current.runStatus === "failed", "failed");
  assert.equal(r.current.connectionStatus, "open");
  assert.equal(r.current.result, undefined);
  await hook.unmount();
});

test("GIVEN messages WHEN reset() is called THEN messages, result, error and runStatus clear but the socket stays", async () => {
  const { hook, sockets, r } = await openHook();
  await settle(() => sockets[0].receive(dataFrame(1)));
  await settleUntil(() => r.current.messages.all.length === 1, "message");
  await settle(() => r.current.reset());
  assert.equal(r.current.messages.all.length, 0);
  assert.equal(r.current.messages.last, null);
  assert.equal(r.current.runStatus, "unknown");
  assert.equal(r.current.connectionStatus, "open");
  assert.equal(sockets.length, 1);
  await hook.unmount();
});

test("GIVEN enabled false WHEN rendered THEN it is paused with reason disabled and opens no socket", async () => {
  const { props, sockets } = setup({ enabled: false });
  const hook = await renderHook(useRealtime, props);
  await settle(() => {}, 10);
  assert.equal(hook.result.current.connectionStatus, "paused");
  assert.equal(hook.result.current.isPaused, true);
  assert.equal(hook.result.current.pauseReason, "disabled");
  assert.equal(sockets.length, 0);
  await hook.rerender({ ...props, enabled: true });
  await settleUntil(() => sockets.length === 1, "socket once enabled");
  await hook.unmount();
});

test("GIVEN an open hook WHEN the tab hides and shows THEN it pauses (reason hidden) and resumes from the last seq with a fresh token", async () => {
  const { hook, sockets, r, tokenCount } = await openHook();
  await settle(() => sockets[0].receive(dataFrame(7)));
  await settleUntil(() => r.current.messages.all.length === 1, "message");
  await settle(() => setVisibility("hidden"));
  assert.equal(r.current.connectionStatus, "paused");
  assert.equal(r.current.pauseReason, "hidden");
  assert.ok(sockets[0].closedByClient);
  await settle(() => setVisibility("visible"));
  await settleUntil(() => sockets.length === 2, "reconnect");
  assert.equal(sockets[1].url.searchParams.get("since"), "7");
  assert.equal(tokenCount(), 2);
  await settle(() => {
    sockets[1].open();
    sockets[1].receive(dataFrame(7)); // replayed duplicate
    sockets[1].receive(dataFrame(8));
  });
  await settleUntil(() => r.current.messages.all.length === 2, "the new message");
  assert.deepEqual(r.current.messages.all.map((m) => m.seq), [7, 8]);
  await hook.unmount();
});

test("GIVEN two publishers on one channel WHEN a lower seq follows a higher one, across a pause too, THEN each new message is applied once", async () => {
  const { hook, sockets, r } = await openHook();
  // publisher A took the seq block 65.., publisher B the block 12..
  await settle(() => {
    sockets[0].receive(dataFrame(65, "tokens", { id: "a-65" }));
    sockets[0].receive(dataFrame(12, "tokens", { id: "b-12" }));
    sockets[0].receive(dataFrame(66, "tokens", { id: "a-66" }));
  });
  await settleUntil(() => r.current.messages.all.length === 3, "three messages");
  await settle(() => setVisibility("hidden"));
  await settle(() => setVisibility("visible"));
  await settleUntil(() => sockets.length === 2, "reconnect");
  assert.equal(sockets[1].url.searchParams.get("since"), "66", "resumes from the highest seq");
  await settle(() => {
    sockets[1].open();
    sockets[1].receive(dataFrame(12, "tokens", { id: "b-12" })); // already applied
    sockets[1].receive(dataFrame(13, "tokens", { id: "b-13" }));
  });
  await settleUntil(() => r.current.messages.all.length === 4, "the new message");
  assert.deepEqual(r.current.messages.all.map((m) => m.seq), [65, 12, 66, 13]);
  await hook.unmount();
});

test("GIVEN a dropped socket WHEN the hook reconnects THEN status goes closed → connecting → open and nothing is lost or repeated", async () => {
  const { hook, sockets, r } = await openHook();
  await settle(() => sockets[0].receive(dataFrame(1)));
  await settle(() => sockets[0].drop(1006));
  await settleUntil(() => sockets.length === 2, "reconnect");
  assert.equal(sockets[1].url.searchParams.get("since"), "1");
  await settle(() => {
    sockets[1].open();
    sockets[1].receive(dataFrame(1));
    sockets[1].receive(dataFrame(2));
  });
  await settleUntil(() => r.current.messages.all.length === 2, "two");
  assert.equal(r.current.connectionStatus, "open");
  assert.deepEqual(r.current.messages.all.map((m) => m.seq), [1, 2]);
  await hook.unmount();
});

test("GIVEN a new channel WHEN re-rendered THEN state clears and the new subscription starts live (no since)", async () => {
  const { hook, props, sockets, r } = await openHook();
  await settle(() => sockets[0].receive(dataFrame(3)));
  await settleUntil(() => r.current.messages.all.length === 1, "message");
  await hook.rerender({ ...props, channel: "ai:run-2" });
  await settleUntil(() => sockets.length === 2, "new socket");
  assert.equal(sockets[1].url.searchParams.has("since"), false);
  assert.equal(r.current.messages.all.length, 0);
  assert.equal(r.current.runStatus, "unknown");
  await hook.unmount();
});

test("GIVEN since: 0 WHEN subscribing THEN the first connect asks for the channel's kept history", async () => {
  const { hook, sockets } = await openHook({ since: 0 });
  assert.equal(sockets[0].url.searchParams.get("since"), "0");
  await hook.unmount();
});

test("GIVEN a token that fails WHEN connecting THEN error is set and status is error until a retry opens", async () => {
  let calls = 0;
  const { props, sockets } = setup({
    token: async () => {
      calls += 1;
      if (calls === 1) throw new Error("token endpoint said 403");
      return "jwt-ok";
    },
    reconnectMinMs: 40,
    reconnectMaxMs: 40,
  });
  const hook = await renderHook(useRealtime, props);
  await settleUntil(() => hook.result.current.error !== null, "error");
  assert.match(hook.result.current.error.message, /token endpoint said 403/);
  await settleUntil(() => sockets.length === 1, "retry");
  await settle(() => sockets[0].open());
  assert.equal(hook.result.current.connectionStatus, "open");
  assert.equal(hook.result.current.error, null, "error clears on the next attempt, as in v4");
  await hook.unmount();
});

test("GIVEN a static subscription token object WHEN the hook has no channel/topics THEN the token's are used", async () => {
  const { FakeSocket, sockets } = fakeSocketClass();
  const hook = await renderHook(useRealtime, {
    token: { channel: "ai:run-1", topics: ["tokens"], key: "static-jwt", apiBaseUrl: "https://rt.example" },
    WebSocket: FakeSocket,
  });
  await settleUntil(() => sockets.length === 1, "socket");
  assert.equal(sockets[0].url.origin, "wss://rt.example");
  assert.equal(sockets[0].url.searchParams.get("token"), "static-jwt");
  await settle(() => {
    sockets[0].open();
    sockets[0].receive(dataFrame(1, "result"));
    sockets[0].receive(dataFrame(2, "tokens"));
  });
  await settleUntil(() => hook.result.current.messages.all.length === 1, "message");
  assert.equal(hook.result.current.messages.all[0].topic, "tokens", "topics outside the token are dropped");
  await hook.unmount();
});

test("GIVEN a token() that returns a string but no channel/topics WHEN connecting THEN the error says so (v4 wording)", async () => {
  const { FakeSocket } = fakeSocketClass();
  const hook = await renderHook(useRealtime, { token: async () => "jwt", WebSocket: FakeSocket, reconnect: false });
  await settleUntil(() => hook.result.current.error !== null, "error");
  assert.match(hook.result.current.error.message, /returned a string but channel\/topics were not provided/);
  await hook.unmount();
});

test("GIVEN no apiBaseUrl anywhere WHEN connecting THEN the page's origin is used", async () => {
  const { hook, sockets } = await openHook({ apiBaseUrl: undefined });
  assert.equal(sockets[0].url.origin, "ws://127.0.0.1:8288");
  await hook.unmount();
});

test("GIVEN a token() returning the token endpoint's {jwt} body WHEN connecting THEN that JWT is used", async () => {
  const { hook, sockets } = await openHook({ token: async () => ({ jwt: "endpoint-jwt" }) });
  assert.equal(sockets[0].url.searchParams.get("token"), "endpoint-jwt");
  await hook.unmount();
});

test("GIVEN coalesced delivery WHEN a batch carries tokens and the completed run frame THEN the hook asks for it and sees each frame in order", async () => {
  const { hook, sockets, r } = await openHook();
  assert.equal(sockets[0].url.searchParams.get("coalesce"), "1");
  await settle(() => {
    sockets[0].receive({ kind: "batch", data: [dataFrame(1), dataFrame(2), dataFrame(2), runFrame("completed", { output: { text: "ok" } })] });
  });
  await settleUntil(() => r.current.runStatus === "completed", "completed");
  assert.deepEqual(r.current.messages.all.map((m) => m.seq), [1, 2], "the repeated id 2 is dropped");
  assert.deepEqual(r.current.result, { text: "ok" });
  await hook.unmount();
});
