// The connection lifecycle of subscribe() as data: named states, and one table saying which
// event moves which state where and what the driver (web/subscribe.js) must do about it. The
// table does no I/O: it returns effects (open a socket, start a timer, report an error, ...) for
// the driver to perform, so every path can be tested by feeding events and reading effects.
//
//   idle ──start──▶ connecting ──token──▶ subscribing ──opened──▶ live
//                      ▲  │tokenFailed        │socketClosed/Failed   │socketClosed
//              retryDue│  ▼                   ▼                      ▼
//                    backoff ◀────────────────┴──────────────────────┘
//   any but closed ──hidden──▶ paused ──visible──▶ connecting;   any ──close──▶ closed
//
// - connecting: waiting for token(); every (re)connect asks for a fresh one, since tokens are
//   short-lived and only checked at connect.
// - subscribing: the socket is opening; the server subscribes it at $connect from the token (and
//   `since`) in the URL, so there is no `sub` frame. An expired or refused token shows here as a
//   close before open, which goes to backoff and so to a fresh token.
// - live: frames flow. A close code is only reported: whatever the code, the next connect (with a
//   fresh token, resuming after the last settled seq) is what tells whether it can succeed.
// - backoff: waiting out backoffDelay(attempt) before the next connect; `reconnect: false` turns
//   every would-be backoff into closed.
// - paused: the page is hidden; no socket, no timer.
// - closed: for good (close(), abort, reconnect: false, a URL that cannot work).
//
// Events from something asynchronous (token(), a socket, a timer) carry the `generation` of the
// connect that started it; each connect takes a new one, so an event of an earlier connect (a
// token that resolves after a pause, say) is ignored. An event the current state's row does not
// list is ignored too.

import { backoffDelay } from "./backoff.js";
import { describeClose } from "./frames.js";

export const State = Object.freeze({
  IDLE: "idle",
  CONNECTING: "connecting",
  SUBSCRIBING: "subscribing",
  LIVE: "live",
  BACKOFF: "backoff",
  PAUSED: "paused",
  CLOSED: "closed",
});

/**
 * The whole connection state in one object: `name` (a State), `status` (what onStatus last
 * announced: "idle" | "connecting" | "open" | "paused" | "closed" | "error"), `attempt` (failed
 * connects since the last open, for the backoff), `generation` (see above), and for the current
 * connect `url` (the base it connects to) and `since` (the seq it resumes after, or null).
 */
export function initialState() {
  return Object.freeze({
    name: State.IDLE,
    status: "idle",
    attempt: 0,
    generation: 0,
    url: null,
    since: null,
  });
}

/**
 * The next state and the effects to perform, in order, for `event` in `state`. `policy` is
 * `{url, reconnect, reconnectMinMs, reconnectMaxMs, random}` from subscribe()'s options.
 */
export function transition(state, event, policy) {
  const stale = event.generation !== undefined && event.generation !== state.generation;
  const handler = stale ? undefined : TABLE[state.name][event.type];
  return handler ? handler(state, event, policy) : { state, effects: [] };
}

const TABLE = {
  [State.IDLE]: {
    start: (s, e) => (e.hidden ? pause(s) : connect(s)),
    close: (s) => finish(s, "closed"),
  },
  [State.CONNECTING]: {
    token: (s, e, p) => {
      const url = p.url ?? e.token.apiBaseUrl;
      const next = { ...s, name: State.SUBSCRIBING, url, since: e.since };
      const open = { type: "openSocket", url, key: e.token.key, since: e.since, generation: s.generation };
      return move(next, [open]);
    },
    tokenFailed: (s, e, p) =>
      lose(s, "error", p, [report(`subscribe: could not get a token: ${e.error?.message ?? e.error}`)]),
    hidden: pause,
    close: (s) => finish(s, "closed"),
  },
  [State.SUBSCRIBING]: {
    // A URL that cannot be parsed (a TypeError) will not get better by retrying.
    socketFailed: (s, e, p) =>
      e.error instanceof TypeError
        ? finish(s, "error", [report(e.error)])
        : lose(s, "error", p, [report(e.error)]),
    opened: (s) => {
      const next = { ...s, name: State.LIVE, status: "open", attempt: 0 };
      // With `since`, the server holds the replay until the socket's first frame (on AWS, $connect
      // cannot post yet), so speak at once; the pong arrives after the replayed messages.
      const speak = s.since !== null ? [{ type: "sendPing" }] : [];
      return move(next, [...announce(s, "open"), ...speak, { type: "armKeepalive" }]);
    },
    socketClosed: (s, e, p) =>
      lose(s, "error", p, [
        { type: "forgetSocket" },
        report(`subscribe: could not connect to ${s.url}: ${describeClose(e)}; the token may be invalid or expired`),
      ]),
    hidden: pause,
    close: (s) => finish(s, "closed"),
  },
  [State.LIVE]: {
    // Any traffic proves the socket alive, so the keepalive ping waits again.
    message: (s, e) => move(s, [{ type: "armKeepalive" }, { type: "accept", frame: e.frame }]),
    errorFrame: (s, e) => move(s, [{ type: "armKeepalive" }, report(e.error)]),
    badFrame: (s, e) => move(s, [{ type: "armKeepalive" }, report(e.error)]),
    traffic: (s) => move(s, [{ type: "armKeepalive" }]),
    // API Gateway closes a socket after 10 minutes without a message; a ping (and its pong) resets that.
    keepaliveDue: (s) => move(s, [{ type: "sendPing" }, { type: "armKeepalive" }]),
    socketClosed: (s, e, p) => lose(s, "closed", p, [{ type: "forgetSocket" }]),
    hidden: pause,
    close: (s) => finish(s, "closed"),
  },
  [State.BACKOFF]: {
    retryDue: connect,
    hidden: pause,
    close: (s) => finish(s, "closed"),
  },
  [State.PAUSED]: {
    // Back from hidden: the wait was the page's, not the server's, so backoff starts afresh.
    visible: (s) => connect({ ...s, attempt: 0 }),
    close: (s) => finish(s, "closed"),
  },
  [State.CLOSED]: {},
};

/** The events each state reacts to, for tests and for reading. */
export const TRANSITIONS = Object.freeze(
  Object.fromEntries(Object.entries(TABLE).map(([name, row]) => [name, Object.freeze(Object.keys(row))])),
);

function connect(s) {
  const next = { ...s, name: State.CONNECTING, status: "connecting", generation: s.generation + 1, url: null, since: null };
  return move(next, [...announce(s, "connecting"), { type: "fetchToken", generation: next.generation }]);
}

/** The connect failed or the socket closed: wait and retry, or stop when reconnecting is off. */
function lose(s, status, p, effects) {
  if (!p.reconnect) return finish(s, status, effects);
  const delay = backoffDelay(s.attempt, p.reconnectMinMs, p.reconnectMaxMs, p.random);
  const next = { ...s, name: State.BACKOFF, status, attempt: s.attempt + 1 };
  return move(next, [...effects, ...announce(s, status), { type: "startRetryTimer", delay, generation: s.generation }]);
}

function pause(s) {
  const next = { ...s, name: State.PAUSED, status: "paused" };
  return move(next, [
    { type: "cancelRetryTimer" },
    { type: "closeSocket", reason: "paused while the page is hidden" },
    ...announce(s, "paused"),
  ]);
}

function finish(s, status, effects = []) {
  const next = { ...s, name: State.CLOSED, status };
  return move(next, [
    ...effects,
    { type: "cancelRetryTimer" },
    { type: "closeSocket", reason: "client closed" },
    { type: "detach" },
    ...announce(s, status),
  ]);
}

function announce(s, status) {
  return s.status === status ? [] : [{ type: "status", status }];
}

function report(error) {
  return { type: "report", error: error instanceof Error ? error : new Error(String(error)) };
}

function move(next, effects) {
  return { state: Object.freeze(next), effects };
}
