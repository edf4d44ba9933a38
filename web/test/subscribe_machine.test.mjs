// subscribe()'s connection state machine (web/subscribe/machine.js) on its own: events in,
// next state and effects out, with no socket, timer or callback involved.
import assert from "node:assert/strict";
import { test } from "node:test";

import { backoffDelay } from "../subscribe/backoff.js";
import { State, TRANSITIONS, initialState, transition } from "../subscribe/machine.js";

const POLICY = { url: "http://h", reconnect: true, reconnectMinMs: 100, reconnectMaxMs: 1000, random: () => 0 };

/** Feeds `events` from `state`; returns the last state and every effect, in order. */
function feed(events, state = initialState(), policy = POLICY) {
  const effects = [];
  for (const event of events) {
    const step = transition(state, event, policy);
    state = step.state;
    effects.push(...step.effects);
  }
  return { state, effects };
}

const types = (effects) => effects.map((e) => e.type);
const statuses = (effects) => effects.filter((e) => e.type === "status").map((e) => e.status);
const token = (generation, since = null, extra = {}) => ({ type: "token", generation, token: { key: "jwt", ...extra }, since });
const LIVE = [{ type: "start", hidden: false }, token(1), { type: "opened", generation: 1 }];

test("GIVEN the table WHEN listing each state's events THEN it is the documented lifecycle", () => {
  assert.deepEqual(TRANSITIONS, {
    idle: ["start", "close"],
    connecting: ["token", "tokenFailed", "hidden", "close"],
    subscribing: ["socketFailed", "opened", "socketClosed", "hidden", "close"],
    live: ["message", "errorFrame", "badFrame", "traffic", "keepaliveDue", "socketClosed", "hidden", "close"],
    backoff: ["retryDue", "hidden", "close"],
    paused: ["visible", "close"],
    closed: [],
  });
  assert.deepEqual(Object.keys(TRANSITIONS), Object.values(State));
});

test("GIVEN a new subscription WHEN it starts, gets a token and opens THEN it goes idle → connecting → subscribing → live", () => {
  let step = transition(initialState(), { type: "start", hidden: false }, POLICY);
  assert.equal(step.state.name, State.CONNECTING);
  assert.deepEqual(step.effects, [{ type: "status", status: "connecting" }, { type: "fetchToken", generation: 1 }]);

  step = transition(step.state, token(1), POLICY);
  assert.equal(step.state.name, State.SUBSCRIBING);
  assert.deepEqual(step.effects, [{ type: "openSocket", url: "http://h", key: "jwt", since: null, generation: 1 }]);

  step = transition(step.state, { type: "opened", generation: 1 }, POLICY);
  assert.equal(step.state.name, State.LIVE);
  assert.equal(step.state.status, "open");
  assert.deepEqual(types(step.effects), ["status", "armKeepalive"], "a live-only socket does not speak first");
});

test("GIVEN no url option WHEN the token names an apiBaseUrl THEN the socket connects there", () => {
  const { effects } = feed([{ type: "start", hidden: false }, token(1, null, { apiBaseUrl: "https://rt" })], initialState(), {
    ...POLICY,
    url: undefined,
  });
  assert.equal(effects.at(-1).url, "https://rt");
});

test("GIVEN a resume point WHEN the socket opens THEN it connects with since and pings at once (releasing the server's replay)", () => {
  const { state, effects } = feed([{ type: "start", hidden: false }, token(1, 7), { type: "opened", generation: 1 }]);
  assert.equal(effects.find((e) => e.type === "openSocket").since, 7);
  assert.deepEqual(types(effects).slice(-3), ["status", "sendPing", "armKeepalive"]);
  assert.equal(state.since, 7);
});

test("GIVEN a live socket WHEN frames arrive THEN each re-arms the keepalive; messages are accepted and error frames reported", () => {
  const error = new Error("stepstream realtime: bad_frame: x");
  const { state, effects } = feed([
    ...LIVE,
    { type: "message", generation: 1, frame: { kind: "data", seq: 1 } },
    { type: "errorFrame", generation: 1, error },
    { type: "badFrame", generation: 1, error },
    { type: "traffic", generation: 1 },
    { type: "keepaliveDue", generation: 1 },
  ]);
  assert.equal(state.name, State.LIVE);
  assert.deepEqual(types(effects).slice(5), [
    "armKeepalive", "accept",
    "armKeepalive", "report",
    "armKeepalive", "report",
    "armKeepalive",
    "sendPing", "armKeepalive",
  ]);
  assert.equal(effects.filter((e) => e.type === "report")[0].error, error);
});

test("GIVEN a live socket WHEN the server closes it THEN backoff (status closed), and the retry connects with a new generation", () => {
  let { state, effects } = feed([...LIVE, { type: "socketClosed", generation: 1, code: 1006 }]);
  assert.equal(state.name, State.BACKOFF);
  assert.equal(state.status, "closed");
  assert.deepEqual(types(effects).slice(-3), ["forgetSocket", "status", "startRetryTimer"]);
  assert.equal(effects.at(-1).delay, backoffDelay(0, 100, 1000, () => 0));
  assert.ok(!effects.some((e) => e.type === "report"), "a drop after open is not an error");

  ({ state, effects } = feed([{ type: "retryDue", generation: 1 }], state));
  assert.equal(state.name, State.CONNECTING);
  assert.equal(state.generation, 2);
  assert.deepEqual(effects, [{ type: "status", status: "connecting" }, { type: "fetchToken", generation: 2 }]);
});

test("GIVEN a socket closed before it opened (a refused or expired token) WHEN retrying THEN the error says so and the backoff doubles until an open resets it", () => {
  const refuse = (generation) => [token(generation), { type: "socketClosed", generation, code: 1006, reason: "401" }, { type: "retryDue", generation }];
  const { state, effects } = feed([{ type: "start", hidden: false }, ...refuse(1), ...refuse(2), ...refuse(3)]);
  const delays = effects.filter((e) => e.type === "startRetryTimer").map((e) => e.delay);
  assert.deepEqual(delays, [50, 100, 200], "step/2 with random() = 0: 100, 200, 400 ms steps");
  const reports = effects.filter((e) => e.type === "report").map((e) => e.error.message);
  assert.equal(reports.length, 3);
  assert.match(reports[0], /could not connect to http:\/\/h: socket closed \(code 1006: 401\); the token may be invalid or expired/);
  assert.deepEqual(statuses(effects), ["connecting", "error", "connecting", "error", "connecting", "error", "connecting"]);
  assert.equal(state.attempt, 3);

  const opened = feed([token(4), { type: "opened", generation: 4 }, { type: "socketClosed", generation: 4 }], state);
  assert.equal(opened.effects.at(-1).delay, 50, "an open resets the attempt count");
});

test("GIVEN token() failing WHEN connecting THEN the failure is reported and it backs off with status error", () => {
  const { state, effects } = feed([{ type: "start", hidden: false }, { type: "tokenFailed", generation: 1, error: new Error("auth down") }]);
  assert.equal(state.name, State.BACKOFF);
  assert.equal(state.status, "error");
  assert.match(effects.find((e) => e.type === "report").error.message, /^subscribe: could not get a token: auth down$/);
});

test("GIVEN reconnect: false WHEN a connect fails or the socket drops THEN it closes for good, with that status", () => {
  const policy = { ...POLICY, reconnect: false };
  const dropped = feed([...LIVE, { type: "socketClosed", generation: 1 }], initialState(), policy);
  assert.equal(dropped.state.name, State.CLOSED);
  assert.equal(dropped.state.status, "closed");
  assert.ok(types(dropped.effects).includes("detach"));
  const failed = feed([{ type: "start", hidden: false }, { type: "tokenFailed", generation: 1, error: "x" }], initialState(), policy);
  assert.equal(failed.state.name, State.CLOSED);
  assert.equal(failed.state.status, "error");
});

test("GIVEN a socket that cannot be made WHEN the URL is bad (TypeError) THEN it closes with error; any other failure backs off", () => {
  const bad = feed([{ type: "start", hidden: false }, token(1), { type: "socketFailed", generation: 1, error: new TypeError("url must be") }]);
  assert.equal(bad.state.name, State.CLOSED);
  assert.equal(bad.state.status, "error");
  const flaky = feed([{ type: "start", hidden: false }, token(1), { type: "socketFailed", generation: 1, error: new Error("EMFILE") }]);
  assert.equal(flaky.state.name, State.BACKOFF);
});

test("GIVEN any active state WHEN the page hides THEN it pauses (no socket, no timer) and on visible connects afresh", () => {
  const before = {
    connecting: [{ type: "start", hidden: false }],
    subscribing: [{ type: "start", hidden: false }, token(1)],
    live: LIVE,
    backoff: [...LIVE, { type: "socketClosed", generation: 1 }, { type: "retryDue", generation: 1 }, { type: "tokenFailed", generation: 2, error: "x" }],
  };
  for (const [name, events] of Object.entries(before)) {
    const active = feed(events);
    assert.equal(active.state.name, name);
    const paused = feed([{ type: "hidden" }], active.state);
    assert.equal(paused.state.name, State.PAUSED, name);
    assert.deepEqual(types(paused.effects), ["cancelRetryTimer", "closeSocket", "status"], name);
    assert.equal(feed([{ type: "hidden" }], paused.state).effects.length, 0, "hiding twice does nothing");
    const back = feed([{ type: "visible" }], paused.state);
    assert.equal(back.state.name, State.CONNECTING, name);
    assert.equal(back.state.attempt, 0, "the backoff starts afresh");
    assert.equal(back.state.generation, active.state.generation + 1);
  }
});

test("GIVEN a hidden page WHEN starting THEN it waits paused; a close before start closes at once", () => {
  assert.equal(feed([{ type: "start", hidden: true }]).state.name, State.PAUSED);
  const closed = feed([{ type: "close" }]);
  assert.equal(closed.state.name, State.CLOSED);
  assert.deepEqual(statuses(closed.effects), ["closed"]);
});

test("GIVEN events of an earlier connect WHEN they arrive late THEN they change nothing", () => {
  // Paused while token() was pending, then visible again: the first token resolves last.
  const { state } = feed([{ type: "start", hidden: false }, { type: "hidden" }, { type: "visible" }]);
  assert.equal(state.generation, 2);
  for (const late of [token(1), { type: "tokenFailed", generation: 1, error: "x" }, { type: "retryDue", generation: 1 }]) {
    const step = transition(state, late, POLICY);
    assert.equal(step.state, state, late.type);
    assert.deepEqual(step.effects, []);
  }
  const paused = feed([{ type: "start", hidden: false }, { type: "hidden" }]).state;
  assert.deepEqual(transition(paused, token(1), POLICY).effects, [], "a token that resolves while paused opens nothing");
});

test("GIVEN a closed subscription WHEN anything happens THEN it stays closed and does nothing", () => {
  const { state } = feed([...LIVE, { type: "close" }]);
  assert.equal(state.name, State.CLOSED);
  for (const event of [{ type: "close" }, { type: "visible" }, { type: "retryDue", generation: 1 }, { type: "socketClosed", generation: 1 }, token(1)]) {
    assert.deepEqual(transition(state, event, POLICY), { state, effects: [] }, event.type);
  }
});

test("GIVEN random event sequences WHEN replayed against a model of the resources THEN at most one socket and one timer exist, only in the states that own them", () => {
  // A small world that performs each effect and raises only events that can really happen: a
  // token() settles once, a socket opens at most once and closes once, a timer fires once; the
  // user may close, hide or show at any time, and an event of an earlier connect may come late.
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = (items) => items[Math.floor(random() * items.length)];
  const policy = { ...POLICY, random };
  const covered = new Set();
  for (let walk = 0; walk < 300; walk += 1) {
    let state = initialState();
    const world = { token: null, socket: null, keepalive: null, retry: null, forced: null, announced: "idle", detached: false };
    for (let i = 0; i < 40 && state.name !== State.CLOSED; i += 1) {
      const events = [{ type: "close" }, { type: "hidden" }, { type: "visible" }, token(state.generation - 1)];
      if (state.name === State.IDLE) events.push({ type: "start", hidden: random() < 0.2 });
      if (world.token !== null) events.push(token(world.token, pick([null, 3])), { type: "tokenFailed", generation: world.token, error: "x" });
      if (world.retry !== null) events.push({ type: "retryDue", generation: world.retry });
      if (world.keepalive !== null) events.push({ type: "keepaliveDue", generation: world.keepalive });
      if (world.socket !== null) {
        const { generation, opened } = world.socket;
        events.push({ type: "socketClosed", generation, code: 1006 });
        if (!opened) events.push({ type: "opened", generation });
        else {
          const error = new Error("x");
          events.push({ type: "message", generation, frame: {} }, { type: "traffic", generation });
          events.push({ type: "errorFrame", generation, error }, { type: "badFrame", generation, error });
        }
      }
      const event = world.forced ?? pick(events);
      world.forced = null;
      // What happened to the world's side: each of these fires once.
      if (event.type === "token" || event.type === "tokenFailed") world.token = null;
      if (event.type === "retryDue") world.retry = null;
      if (event.type === "keepaliveDue") world.keepalive = null;
      if (event.type === "opened") world.socket.opened = true;
      if (event.type === "socketClosed") world.socket = null;

      const step = transition(state, event, policy);
      if (step.effects.length > 0) covered.add(`${state.name} ${event.type}`);
      for (const effect of step.effects) {
        switch (effect.type) {
          case "fetchToken":
            world.token = effect.generation;
            break;
          case "openSocket":
            assert.equal(world.socket, null, "a second socket");
            // Sometimes the socket cannot be made; the driver then raises socketFailed at once.
            if (random() < 0.2) world.forced = { type: "socketFailed", generation: effect.generation, error: pick([new TypeError("url"), new Error("x")]) };
            else world.socket = { generation: effect.generation, opened: false };
            break;
          case "closeSocket":
          case "forgetSocket":
            world.socket = null;
            world.keepalive = null;
            break;
          case "armKeepalive":
            assert.ok(world.socket?.opened, "keepalive without an open socket");
            world.keepalive = state.generation;
            break;
          case "sendPing":
            assert.ok(world.socket?.opened, "ping without an open socket");
            break;
          case "startRetryTimer":
            assert.equal(world.retry, null, "a second retry timer");
            world.retry = effect.generation;
            break;
          case "cancelRetryTimer":
            world.retry = null;
            break;
          case "status":
            assert.notEqual(effect.status, world.announced, "a repeated status");
            world.announced = effect.status;
            break;
          case "detach":
            world.detached = true;
            break;
          default:
            break;
        }
      }
      state = step.state;
      const trail = `walk ${walk} step ${i}: ${event.type} → ${state.name}`;
      assert.equal(world.announced, state.status, `${trail}: the status announced is the state's`);
      assert.equal(world.retry !== null, state.name === State.BACKOFF, `${trail}: a retry timer iff backoff`);
      assert.equal(world.keepalive !== null, state.name === State.LIVE, `${trail}: a keepalive iff live`);
      assert.equal(world.socket !== null || world.forced !== null, [State.SUBSCRIBING, State.LIVE].includes(state.name), `${trail}: a socket iff subscribing or live`);
      assert.equal(world.detached, state.name === State.CLOSED, `${trail}: listeners detached iff closed`);
    }
  }
  const table = Object.entries(TRANSITIONS).flatMap(([name, events]) => events.map((type) => `${name} ${type}`));
  assert.deepEqual(table.filter((pair) => !covered.has(pair)), [], "the walks took every transition of the table");
});
