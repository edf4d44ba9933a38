// stepstream's browser (and Node >= 20) realtime client. Dependency-free ES module.
//
//   const sub = subscribe({
//     url: "http://127.0.0.1:8288",          // http(s) base of the stack, or ws(s)://
//     channel: "ai:run-1", topics: ["tokens", "result"],
//     token: () => fetch("/token", {...}).then((r) => r.json()),  // {jwt}, {key} or the JWT itself
//     onMessage: (m) => render(m),           // same message shape as inngest/realtime
//     onStatus: (s) => show(s),              // "connecting" | "open" | "paused" | "closed" | "error"
//     onError: (e) => console.warn(e),       // error frames, failed connects, token failures
//     since: 0,                              // optional: replay kept messages after this seq
//     signal: abortController.signal,        // optional: abort closes the subscription
//   });
//   sub.lastSeq;  // highest seq delivered on `channel` (null before the first one)
//   sub.close();
//
// Every (re)connect asks `token()` for a fresh token, because tokens are short-lived and only
// checked at connect. A reconnect passes `since=<highest delivered seq>` so the server first
// replays what was missed; a frame whose id was already delivered is dropped, so the caller sees
// neither a gap nor a duplicate. Frames are never dropped for their seq: with two publishers on
// one channel a lower seq can follow a higher one. It connects with `coalesce=1`, so the server
// may post several frames as one `batch` message; they are unpacked and handled one by one, in
// order (docs/realtime.md, "Coalesced frames"). The wire protocol is described in
// docs/realtime.md; this module's behaviour in docs/web.md. The connection lifecycle is the state
// machine of ./subscribe/machine.js; this file performs its effects (sockets, timers, callbacks).

import { Deduper, ResumePoint } from "./subscribe/dedupe.js";
import { connectUrl, isWanted, readFrames, resolveToken, toMessage } from "./subscribe/frames.js";
import { State, initialState, transition } from "./subscribe/machine.js";

export { backoffDelay } from "./subscribe/backoff.js";
export { Deduper, connectUrl, toMessage };

function channelName(channel) {
  if (channel === undefined || channel === null) return null;
  if (typeof channel === "string") return channel;
  if (typeof channel === "object" && typeof channel.name === "string") return channel.name;
  throw new TypeError("subscribe: channel must be a string or an object with a string `name`");
}

function topicSchema(channel, topic) {
  const entry = channel && typeof channel === "object" ? channel.topics?.[topic] : undefined;
  const schema = entry && typeof entry === "object" ? entry.schema : undefined;
  return schema?.["~standard"]?.validate ? schema : undefined;
}

/**
 * Subscribe to one channel's topics; see the top of this file. Options beyond the brief:
 * `WebSocket` (constructor; default globalThis.WebSocket — pass `ws` in Node 20),
 * `reconnect` (default true), `reconnectMinMs` (250), `reconnectMaxMs` (5000),
 * `pauseOnHidden` (default true; closes the socket while `document.visibilityState` is "hidden"
 * and resumes from the last seq when visible), `validate` (default true; runs a topic's Standard
 * Schema when `channel` is an object with `topics[name].schema`), `keepaliveMs` (default 5 min: a
 * `{"kind":"ping"}` after that long without traffic), `document`, `random`.
 * Returns `{close(), lastSeq, status}`.
 */
export function subscribe(options) {
  if (!options || typeof options !== "object") {
    throw new TypeError("subscribe: pass an options object: {url, channel, topics, token, onMessage}");
  }
  const {
    url,
    channel,
    topics,
    token,
    onMessage,
    onStatus,
    onError,
    since,
    signal,
    WebSocket: Socket = globalThis.WebSocket,
    reconnect = true,
    reconnectMinMs = 250,
    reconnectMaxMs = 5000,
    pauseOnHidden = true,
    validate = true,
    document: doc = globalThis.document,
    random = Math.random,
    keepaliveMs = 5 * 60 * 1000,
  } = options;
  if (typeof token !== "function" && typeof token !== "string" && !token?.key && !token?.jwt) {
    throw new TypeError("subscribe: token must be a function returning a fresh JWT (or the JWT itself)");
  }
  if (typeof onMessage !== "function") throw new TypeError("subscribe: onMessage must be a function");
  if (typeof Socket !== "function") {
    throw new TypeError(
      "subscribe: no WebSocket implementation; in Node 20 pass one, e.g. `import WebSocket from \"ws\"` and subscribe({..., WebSocket})",
    );
  }
  if (since !== undefined && since !== null && !(Number.isInteger(since) && since >= 0)) {
    throw new TypeError(`subscribe: since must be a non-negative integer seq, got ${JSON.stringify(since)}`);
  }
  const channelId = channelName(channel);
  const topicSet = Array.isArray(topics) ? new Set(topics) : null;
  const policy = { url, reconnect, reconnectMinMs, reconnectMaxMs, random };
  const isHidden = () => pauseOnHidden && doc?.visibilityState === "hidden";

  // Everything that changes over the subscription's life, in one place: the machine's state, and
  // the resources its effects create.
  const run = {
    machine: initialState(),
    socket: null,
    retryTimer: null,
    keepaliveTimer: null,
    deduper: new Deduper(),
    resume: new ResumePoint(channelId, since),
    delivery: Promise.resolve(), // keeps order when a schema validates asynchronously
    queue: [],
    dispatching: false,
  };
  const isClosed = () => run.machine.name === State.CLOSED;

  // Run to completion: an event raised while effects run (a callback calling close(), a socket
  // that fails as it is made) waits until the current transition's effects are all done, so no
  // effect ever runs against a state it was not computed for.
  function dispatch(event) {
    run.queue.push(event);
    if (run.dispatching) return;
    run.dispatching = true;
    try {
      while (run.queue.length > 0) {
        const { state, effects } = transition(run.machine, run.queue.shift(), policy);
        run.machine = state;
        for (const effect of effects) perform(effect);
      }
    } finally {
      run.dispatching = false;
    }
  }

  function perform(effect) {
    switch (effect.type) {
      case "status":
        return safely(onStatus, effect.status);
      case "report":
        return report(effect.error);
      case "fetchToken":
        return fetchToken(effect.generation);
      case "openSocket":
        return openSocket(effect);
      case "closeSocket":
        return closeSocket(effect.reason);
      case "forgetSocket":
        run.socket = null;
        return cancelKeepalive();
      case "armKeepalive":
        cancelKeepalive();
        run.keepaliveTimer = setTimeout(() => dispatch({ type: "keepaliveDue", generation: run.machine.generation }), keepaliveMs);
        return undefined;
      case "sendPing":
        return sendPing();
      case "startRetryTimer":
        run.retryTimer = setTimeout(() => {
          run.retryTimer = null;
          dispatch({ type: "retryDue", generation: effect.generation });
        }, effect.delay);
        return undefined;
      case "cancelRetryTimer":
        clearTimeout(run.retryTimer);
        run.retryTimer = null;
        return undefined;
      case "accept":
        return accept(effect.frame);
      case "detach":
        doc?.removeEventListener?.("visibilitychange", onVisibility);
        signal?.removeEventListener?.("abort", onAbort);
        return undefined;
      default:
        throw new Error(`subscribe: no such effect ${effect.type}`);
    }
  }

  const report = (error) => safely(onError, error instanceof Error ? error : new Error(String(error)));
  function safely(fn, arg) {
    if (typeof fn !== "function") return;
    try {
      fn(arg);
    } catch (err) {
      // A throwing callback must not kill the socket loop; surface it without recursion.
      if (fn !== onError && typeof onError === "function") report(err);
      else queueMicrotask(() => { throw err; });
    }
  }

  function fetchToken(generation) {
    resolveToken(token).then(
      // The resume point is read now, not at connect: messages settled meanwhile count.
      (resolved) => dispatch({ type: "token", generation, token: resolved, since: run.resume.seq }),
      (error) => dispatch({ type: "tokenFailed", generation, error }),
    );
  }

  function openSocket({ url: base, key, since: after, generation }) {
    let ws;
    try {
      ws = new Socket(connectUrl(base, key, after));
    } catch (error) {
      dispatch({ type: "socketFailed", generation, error });
      return;
    }
    run.socket = ws;
    ws.onopen = () => dispatch({ type: "opened", generation });
    ws.onmessage = (event) => {
      for (const frame of readFrames(event.data)) dispatch({ ...frame, generation });
    };
    ws.onerror = () => {
      // Browsers give no detail here; the close event that follows carries the code.
    };
    ws.onclose = (event) => dispatch({ type: "socketClosed", generation, code: event?.code, reason: event?.reason });
  }

  function closeSocket(reason) {
    const ws = run.socket;
    run.socket = null;
    cancelKeepalive();
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    ws.onerror = () => {};
    try {
      ws.close(1000, reason);
    } catch {
      // Closing a socket that is still connecting throws in some implementations; it is gone anyway.
    }
  }

  function cancelKeepalive() {
    clearTimeout(run.keepaliveTimer);
    run.keepaliveTimer = null;
  }

  function sendPing() {
    try {
      run.socket.send(JSON.stringify({ kind: "ping" }));
    } catch (err) {
      report(err);
    }
  }

  function accept(frame) {
    if (!isWanted(frame, channelId, topicSet)) return;
    if (!run.deduper.accept(frame)) return;
    const message = toMessage(frame);
    const schema = validate && frame.kind === "data" ? topicSchema(channel, frame.topic) : undefined;
    if (!schema) {
      run.delivery = run.delivery.then(() => deliver(message));
      return;
    }
    run.delivery = run.delivery.then(async () => {
      if (isClosed()) return;
      let result;
      try {
        result = await schema["~standard"].validate(message.data);
      } catch (err) {
        result = { issues: [{ message: String(err?.message ?? err) }] };
      }
      if (result?.issues) {
        const first = result.issues[0]?.message ? `: ${result.issues[0].message}` : "";
        report(new Error(`subscribe: message on "${message.channel}" topic "${message.topic}" failed schema validation${first}`));
        if (!isClosed()) run.resume.settle(message); // replaying it would fail the same way
        return;
      }
      message.data = result.value;
      deliver(message);
    });
  }

  function deliver(message) {
    if (isClosed()) return;
    run.resume.settle(message);
    safely(onMessage, message);
  }

  function onVisibility() {
    dispatch({ type: isHidden() ? "hidden" : "visible" });
  }
  function onAbort() {
    dispatch({ type: "close" });
  }

  if (pauseOnHidden) doc?.addEventListener?.("visibilitychange", onVisibility);
  if (signal?.aborted) {
    dispatch({ type: "close" });
  } else {
    signal?.addEventListener?.("abort", onAbort, { once: true });
    dispatch({ type: "start", hidden: isHidden() });
  }

  return {
    /** Stop for good: closes the socket and cancels any pending reconnect. */
    close: () => {
      dispatch({ type: "close" });
    },
    /** The highest seq delivered on the subscribed channel, or null; pass it as `since` later. */
    get lastSeq() {
      return run.resume.seq;
    },
    /** "idle" | "connecting" | "open" | "paused" | "closed" | "error" (as the v4 hook's). */
    get status() {
      return run.machine.status;
    },
  };
}
