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
// one channel a lower seq can follow a higher one. The wire protocol is described in
// docs/realtime.md; this module's behaviour in docs/web.md.

const CONNECT_PATH = "/v1/realtime/connect";

/** Delay before reconnect attempt `attempt` (0-based): exponential, capped, "equal jitter" so
 * two clients dropped together do not return together, yet never wait less than half the step. */
export function backoffDelay(attempt, minMs = 250, maxMs = 5000, random = Math.random) {
  const step = Math.min(maxMs, minMs * 2 ** Math.max(0, attempt));
  return Math.round(step / 2 + random() * (step / 2));
}

/** The socket URL for `base` (http, https, ws or wss; its path is kept, so a stage path such as
 * `/prod` survives) with the token and, when known, the seq to resume after. */
export function connectUrl(base, jwt, since) {
  let url;
  try {
    url = new URL(String(base));
  } catch {
    throw new TypeError(
      `subscribe: url must be an absolute http(s) or ws(s) URL such as "http://127.0.0.1:8288", got ${JSON.stringify(base)}`,
    );
  }
  const schemes = { "http:": "ws:", "https:": "wss:", "ws:": "ws:", "wss:": "wss:" };
  if (!(url.protocol in schemes)) {
    throw new TypeError(
      `subscribe: url must use http, https, ws or wss, got "${url.protocol}" in ${JSON.stringify(base)}`,
    );
  }
  url.protocol = schemes[url.protocol];
  url.pathname = url.pathname.replace(/\/+$/, "") + CONNECT_PATH;
  url.search = "";
  url.hash = "";
  url.searchParams.set("token", jwt);
  if (since !== null && since !== undefined) url.searchParams.set("since", String(since));
  return url.toString();
}

/** Remembers what was delivered: recent message ids (bounded, oldest forgotten first), which
 * decide what is a repeat, and the highest seq per channel, which is only the point to resume
 * from. A lower seq than one already seen is never a reason to drop: two publishers on one channel
 * take seqs from separate blocks, so their messages interleave out of seq order. */
export class Deduper {
  constructor(maxIds = 2048) {
    this.maxIds = maxIds;
    this.lastSeq = new Map();
    this.ids = new Set();
  }

  /** True when the frame is new; records it. */
  accept(frame) {
    if (typeof frame.id === "string" && frame.id !== "") {
      if (this.ids.has(frame.id)) return false;
      this.ids.add(frame.id);
      if (this.ids.size > this.maxIds) this.ids.delete(this.ids.values().next().value);
    }
    if (typeof frame.seq === "number" && Number.isFinite(frame.seq)) {
      const key = frame.channel ?? "";
      if (!this.lastSeq.has(key) || frame.seq > this.lastSeq.get(key)) this.lastSeq.set(key, frame.seq);
    }
    return true;
  }

  seqOf(channel) {
    return this.lastSeq.get(channel ?? "") ?? null;
  }
}

/** A wire frame as the message object inngest/realtime hands its callers (camelCase, Date
 * createdAt), plus stepstream's own `seq` and `id`. Absent fields are left out. */
export function toMessage(frame) {
  const message = { kind: frame.kind };
  if (typeof frame.channel === "string") message.channel = frame.channel;
  if (typeof frame.topic === "string") message.topic = frame.topic;
  message.data = frame.data ?? undefined;
  if (typeof frame.run_id === "string") message.runId = frame.run_id;
  if (typeof frame.fn_id === "string") message.fnId = frame.fn_id;
  if (typeof frame.env_id === "string") message.envId = frame.env_id;
  const created = typeof frame.created_at === "string" ? new Date(frame.created_at) : null;
  message.createdAt = created && !Number.isNaN(created.getTime()) ? created : new Date();
  if (typeof frame.seq === "number") message.seq = frame.seq;
  if (typeof frame.id === "string") message.id = frame.id;
  return message;
}

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

async function resolveToken(token) {
  const value = typeof token === "function" ? await token() : token;
  if (typeof value === "string" && value !== "") return { key: value };
  if (value && typeof value === "object") {
    // {key} is Inngest's token object; {jwt} is the body POST /v1/realtime/token answers.
    const key = typeof value.key === "string" ? value.key : value.jwt;
    if (typeof key === "string" && key !== "") return { key, apiBaseUrl: value.apiBaseUrl };
  }
  throw new TypeError(
    "subscribe: token() must resolve to a JWT string, an object with a string `key`, or the {jwt} answer of POST /v1/realtime/token",
  );
}

function describeClose(event) {
  const code = event?.code ?? "?";
  const reason = event?.reason ? `: ${event.reason}` : "";
  return `socket closed (code ${code}${reason})`;
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
  const deduper = new Deduper();
  if (since !== undefined && since !== null && channelId !== null) deduper.lastSeq.set(channelId, since);

  let socket = null;
  let status = "idle";
  let attempt = 0;
  let timer = null;
  let keepaliveTimer = null;
  let closed = false;
  let paused = false;
  let generation = 0; // bumps on every connect/pause/close, so stale callbacks do nothing
  let delivery = Promise.resolve(); // keeps order when a schema validates asynchronously

  const setStatus = (next) => {
    if (status === next) return;
    status = next;
    safely(onStatus, next);
  };
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

  const isHidden = () => pauseOnHidden && doc?.visibilityState === "hidden";

  // The resume point counts only messages that were settled (delivered, or rejected by their
  // schema), not ones still waiting in `delivery`: a subscription closed in between must get
  // those again from whoever resumes at `lastSeq`.
  let settledSeq = channelId !== null && since !== undefined && since !== null ? since : null;
  function settle(message) {
    if (message.channel !== channelId || typeof message.seq !== "number") return;
    if (settledSeq === null || message.seq > settledSeq) settledSeq = message.seq;
  }

  function resumeSeq() {
    return settledSeq;
  }

  async function connect() {
    const mine = ++generation;
    clearTimeout(timer);
    timer = null;
    setStatus("connecting");
    let resolved;
    try {
      resolved = await resolveToken(token);
    } catch (err) {
      if (mine !== generation) return;
      report(new Error(`subscribe: could not get a token: ${err?.message ?? err}`));
      return scheduleReconnect(mine, "error");
    }
    if (mine !== generation) return;
    let ws;
    const resumingFrom = resumeSeq();
    try {
      ws = new Socket(connectUrl(url ?? resolved.apiBaseUrl, resolved.key, resumingFrom));
    } catch (err) {
      report(err);
      if (err instanceof TypeError) return finish("error"); // a bad URL will not get better
      return scheduleReconnect(mine, "error");
    }
    socket = ws;
    let opened = false;
    ws.onopen = () => {
      if (mine !== generation) return;
      opened = true;
      attempt = 0;
      setStatus("open");
      // With `since`, the server holds the replay until the socket's first frame (on AWS, $connect
      // cannot post yet), so speak at once; the pong arrives after the replayed messages.
      if (resumingFrom !== null) sendPing(ws);
      else armKeepalive(ws);
    };
    ws.onmessage = (event) => {
      if (mine !== generation) return;
      armKeepalive(ws);
      handleFrame(event.data);
    };
    ws.onerror = () => {
      // Browsers give no detail here; the close event that follows carries the code.
    };
    ws.onclose = (event) => {
      if (mine !== generation) return;
      socket = null;
      clearTimeout(keepaliveTimer);
      if (!opened) {
        report(new Error(`subscribe: could not connect to ${url ?? resolved.apiBaseUrl}: ${describeClose(event)}; the token may be invalid or expired`));
      }
      scheduleReconnect(mine, opened ? "closed" : "error");
    };
  }

  function scheduleReconnect(mine, why) {
    if (mine !== generation || closed) return;
    if (!reconnect) return finish(why);
    setStatus(paused ? "paused" : why);
    if (paused) return;
    const delay = backoffDelay(attempt++, reconnectMinMs, reconnectMaxMs, random);
    timer = setTimeout(() => {
      timer = null;
      if (mine === generation && !closed && !paused) connect();
    }, delay);
  }

  // API Gateway closes a socket after 10 minutes without a message; a ping after `keepaliveMs`
  // without traffic (and the server's pong) keeps it open.
  function armKeepalive(ws) {
    clearTimeout(keepaliveTimer);
    keepaliveTimer = setTimeout(() => {
      if (socket === ws) sendPing(ws);
    }, keepaliveMs);
  }

  function sendPing(ws) {
    try {
      ws.send(JSON.stringify({ kind: "ping" }));
    } catch (err) {
      report(err);
    }
    armKeepalive(ws);
  }

  function handleFrame(raw) {
    if (typeof raw !== "string") {
      report(new Error("subscribe: ignored a binary frame; stepstream sends JSON text frames"));
      return;
    }
    let frame;
    try {
      frame = JSON.parse(raw);
    } catch {
      report(new Error(`subscribe: ignored a frame that is not JSON: ${raw.slice(0, 80)}`));
      return;
    }
    if (!frame || typeof frame !== "object" || Array.isArray(frame)) return;
    switch (frame.kind) {
      case "ping":
      case "pong":
        return; // keepalive only; the server expects no answer to its pings
      case "error": {
        const code = frame.data?.code ?? "error";
        const message = frame.data?.message ?? "the server reported an error";
        const err = new Error(`stepstream realtime: ${code}: ${message}`);
        err.code = code;
        report(err);
        return;
      }
      case "data":
      case "run":
        break;
      default:
        return; // kinds this client does not use (sub, unsub, step, ...): ignore, as Inngest's does
    }
    if (channelId !== null && typeof frame.channel === "string" && frame.channel !== channelId) return;
    if (frame.kind === "data") {
      if (typeof frame.channel !== "string" || typeof frame.topic !== "string") return;
      if (topicSet && !topicSet.has(frame.topic)) return;
    }
    if (!deduper.accept(frame)) return;
    const message = toMessage(frame);
    const schema = validate && frame.kind === "data" ? topicSchema(channel, frame.topic) : undefined;
    if (!schema) {
      delivery = delivery.then(() => deliver(message));
      return;
    }
    delivery = delivery.then(async () => {
      if (closed) return;
      let result;
      try {
        result = await schema["~standard"].validate(message.data);
      } catch (err) {
        result = { issues: [{ message: String(err?.message ?? err) }] };
      }
      if (result?.issues) {
        const first = result.issues[0]?.message ? `: ${result.issues[0].message}` : "";
        report(new Error(`subscribe: message on "${message.channel}" topic "${message.topic}" failed schema validation${first}`));
        if (!closed) settle(message); // replaying it would fail the same way
        return;
      }
      message.data = result.value;
      deliver(message);
    });
  }

  function deliver(message) {
    if (closed) return;
    settle(message);
    safely(onMessage, message);
  }

  function pause() {
    if (closed || paused) return;
    paused = true;
    generation++;
    clearTimeout(timer);
    timer = null;
    dropSocket("paused while the page is hidden");
    setStatus("paused");
  }

  function resume() {
    if (closed || !paused) return;
    paused = false;
    attempt = 0;
    connect();
  }

  function dropSocket(reason) {
    const ws = socket;
    socket = null;
    clearTimeout(keepaliveTimer);
    if (!ws) return;
    ws.onopen = ws.onmessage = ws.onclose = null;
    ws.onerror = () => {};
    try {
      ws.close(1000, reason);
    } catch {
      // Closing a socket that is still connecting throws in some implementations; it is gone anyway.
    }
  }

  function finish(finalStatus = "closed") {
    if (closed) return;
    closed = true;
    generation++;
    clearTimeout(timer);
    timer = null;
    dropSocket("client closed");
    doc?.removeEventListener?.("visibilitychange", onVisibility);
    signal?.removeEventListener?.("abort", onAbort);
    setStatus(finalStatus);
  }

  function onVisibility() {
    if (isHidden()) pause();
    else resume();
  }
  function onAbort() {
    finish();
  }

  if (pauseOnHidden) doc?.addEventListener?.("visibilitychange", onVisibility);
  if (signal?.aborted) {
    finish();
  } else {
    signal?.addEventListener?.("abort", onAbort, { once: true });
    if (isHidden()) {
      paused = true;
      setStatus("paused");
    } else {
      connect();
    }
  }

  return {
    /** Stop for good: closes the socket and cancels any pending reconnect. */
    close: () => {
      finish();
    },
    /** The highest seq delivered on the subscribed channel, or null; pass it as `since` later. */
    get lastSeq() {
      return resumeSeq();
    },
    /** "idle" | "connecting" | "open" | "paused" | "closed" | "error" (as the v4 hook's). */
    get status() {
      return status;
    },
  };
}
