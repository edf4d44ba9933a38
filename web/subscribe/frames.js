// The wire side of subscribe(): the connect URL, what a received frame is, which frames the
// subscription wants, and the message shape callers get. Pure functions; the protocol itself is
// described in docs/realtime.md.

const CONNECT_PATH = "/v1/realtime/connect";

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
  // The server may then post several frames as one `batch` frame (docs/realtime.md).
  url.searchParams.set("coalesce", "1");
  if (since !== null && since !== undefined) url.searchParams.set("since", String(since));
  return url.toString();
}

/** What token() resolved to, as `{key, apiBaseUrl?}`; a TypeError says what it must be. */
export async function resolveToken(token) {
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

/**
 * A received WebSocket message as an event for the connection machine:
 * `{type: "message", frame}` for `data` and `run` frames, `{type: "errorFrame", error}` for the
 * server's `error` frames (the error carries the server's `code`), `{type: "badFrame", error}`
 * for binary or non-JSON data, and `{type: "traffic"}` for the rest (pings, pongs, kinds this
 * client does not use): traffic only proves the socket is alive.
 */
export function readFrame(raw) {
  if (typeof raw !== "string") {
    return { type: "badFrame", error: new Error("subscribe: ignored a binary frame; stepstream sends JSON text frames") };
  }
  let frame;
  try {
    frame = JSON.parse(raw);
  } catch {
    return { type: "badFrame", error: new Error(`subscribe: ignored a frame that is not JSON: ${raw.slice(0, 80)}`) };
  }
  return classify(frame);
}

/**
 * Every event a received WebSocket message carries, in order: one, as readFrame's, or one per
 * frame of a coalesced `batch` frame (`{"kind":"batch","data":[frame, ...]}`), which the server
 * sends only to a client that connected with `coalesce=1`.
 */
export function readFrames(raw) {
  const event = readFrame(raw);
  if (event.type !== "batch") return [event];
  return event.frames.map(classify);
}

function classify(frame) {
  if (frame?.kind === "batch" && !Array.isArray(frame)) {
    if (Array.isArray(frame.data)) return { type: "batch", frames: frame.data };
    return { type: "badFrame", error: new Error("subscribe: ignored a batch frame without a list of frames") };
  }
  if (!frame || typeof frame !== "object" || Array.isArray(frame)) return { type: "traffic" };
  switch (frame.kind) {
    case "error": {
      const code = frame.data?.code ?? "error";
      const message = frame.data?.message ?? "the server reported an error";
      const error = new Error(`stepstream realtime: ${code}: ${message}`);
      error.code = code;
      return { type: "errorFrame", error };
    }
    case "data":
    case "run":
      return { type: "message", frame };
    default:
      // ping, pong (the server expects no answer to its pings), sub, unsub, step, ...: ignored,
      // as Inngest's client does.
      return { type: "traffic" };
  }
}

/** Whether a `data`/`run` frame belongs to this subscription: its channel (when one was named)
 * and, for data, one of its topics. A data frame without a channel or topic is malformed. */
export function isWanted(frame, channelId, topicSet) {
  if (channelId !== null && typeof frame.channel === "string" && frame.channel !== channelId) return false;
  if (frame.kind === "data") {
    if (typeof frame.channel !== "string" || typeof frame.topic !== "string") return false;
    if (topicSet && !topicSet.has(frame.topic)) return false;
  }
  return true;
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

/** "socket closed (code 1006: reason)", for errors about a socket that closed. */
export function describeClose(event) {
  const code = event?.code ?? "?";
  const reason = event?.reason ? `: ${event.reason}` : "";
  return `socket closed (code ${code}${reason})`;
}
