// The dashboard's only way to the server: the same HTTP API the CLI and the SDKs use.
// The dev server writes the development keys into the page when it is served over loopback;
// otherwise the user pastes the signing key once (kept in this browser's localStorage).

const config = window.STEPSTREAM_DEV || {};
const STORE = "stepstream.signingKey";
const EVENT_STORE = "stepstream.eventKey";

export const baseUrl = window.location.origin;

export function signingKey() {
  return config.signingKey || localStorage.getItem(STORE) || "";
}

export function eventKey() {
  return config.eventKey || localStorage.getItem(EVENT_STORE) || "";
}

export function rememberKeys(signing, event) {
  if (signing) localStorage.setItem(STORE, signing);
  if (event) localStorage.setItem(EVENT_STORE, event);
}

export function keysInjected() {
  return Boolean(config.signingKey);
}

export function demos() {
  return Array.isArray(config.demos) ? config.demos : [];
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

async function request(method, path, body, { signed = true } = {}) {
  const headers = {};
  if (signed) headers.Authorization = `Bearer ${signingKey()}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  try {
    response = await fetch(baseUrl + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(0, `cannot reach ${baseUrl}: is \`make dev\` still running? (${err.message})`);
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch {
    payload = null;
  }
  if (!response.ok) {
    const message = payload && typeof payload.error === "string" ? payload.error : response.statusText;
    throw new ApiError(response.status, `${response.status}: ${message}`);
  }
  return payload;
}

const unwrap = (payload) => (payload && "data" in payload ? payload.data : payload);

export const api = {
  health: () => request("GET", "/health", undefined, { signed: false }),
  runs: (limit = 50, functionId = "") =>
    request("GET", `/v1/runs?limit=${limit}${functionId ? `&function_id=${encodeURIComponent(functionId)}` : ""}`).then(unwrap),
  run: (id) => request("GET", `/v1/runs/${encodeURIComponent(id)}`).then(unwrap),
  cancel: (id) => request("POST", `/v1/runs/${encodeURIComponent(id)}/cancel`).then(unwrap),
  events: (limit = 50) => request("GET", `/v1/events?limit=${limit}`).then(unwrap),
  event: (id) => request("GET", `/v1/events/${encodeURIComponent(id)}`).then(unwrap),
  eventRuns: (id) => request("GET", `/v1/events/${encodeURIComponent(id)}/runs`).then(unwrap),
  functions: () => request("GET", "/v1/functions").then(unwrap),
  usage: (fn) => request("GET", `/v1/functions/${encodeURIComponent(fn)}/usage`).then(unwrap),
  pending: (limit = 50, functionId = "") =>
    request("GET", `/v1/pending?limit=${limit}${functionId ? `&function_id=${encodeURIComponent(functionId)}` : ""}`).then(unwrap),
  rerun: (id, fromStep) =>
    request("POST", `/v1/runs/${encodeURIComponent(id)}/rerun`, fromStep ? { from_step: fromStep } : {}).then(unwrap),
  replay: (body) => request("POST", "/v1/replays", body).then(unwrap),
  replayStatus: (id) => request("GET", `/v1/replays/${encodeURIComponent(id)}`).then(unwrap),
  cancelMany: (body) => request("POST", "/v1/cancellations", body).then(unwrap),
  pause: (fn, mode) => request("POST", `/v1/functions/${encodeURIComponent(fn)}/pause`, { mode }).then(unwrap),
  resume: (fn) => request("POST", `/v1/functions/${encodeURIComponent(fn)}/resume`).then(unwrap),
  pauses: () => request("GET", "/v1/pauses").then(unwrap),
  send: (event) =>
    request("POST", `/e/${encodeURIComponent(eventKey())}`, event, { signed: false }),
  token: (channel, topics) =>
    request("POST", "/v1/realtime/token", topics.map((name) => ({ channel, name, kind: "run" }))).then(
      (r) => r.jwt,
    ),
};
