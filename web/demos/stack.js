// What every demo page needs from the dev stack: the development keys, sending an event, and a
// subscription token. In an app, sending events and minting tokens happen on your server (the
// seed's server action); on the dev stack the page plays that part with the keys the dev server
// hands to loopback clients at /dashboard/config.json (never to a stack bound to 0.0.0.0).

let configPromise = null;

export async function devConfig() {
  configPromise ??= fetch("/dashboard/config.json", { cache: "no-store" }).then(async (response) => {
    if (!response.ok) throw new Error(`GET /dashboard/config.json: ${response.status}; is \`make dev\` running?`);
    return response.json();
  });
  const config = await configPromise;
  if (!config.signingKey || !config.eventKey) {
    throw new Error(
      "the dev stack did not share its keys (it only does over loopback): open the page on http://127.0.0.1",
    );
  }
  return config;
}

async function call(path, { method = "POST", body, signed = false } = {}) {
  const config = await devConfig();
  const headers = { "Content-Type": "application/json" };
  if (signed) headers.Authorization = `Bearer ${config.signingKey}`;
  const response = await fetch(path, { method, headers, body: JSON.stringify(body) });
  const payload = await response.json().catch(() => null);
  if (!response.ok) {
    const reason = payload && typeof payload.error === "string" ? payload.error : response.statusText;
    throw new Error(`${method} ${path.replace(config.eventKey, "<event key>")}: ${response.status} ${reason}`);
  }
  return payload;
}

/** Send one event (Inngest's event API); resolves to the event ids. */
export async function sendEvent(name, data) {
  const config = await devConfig();
  const answer = await call(`/e/${encodeURIComponent(config.eventKey)}`, { body: { name, data } });
  return answer.ids;
}

/** A fresh subscription token for `channel`'s `topics`: {jwt, key, channel, topics, apiBaseUrl}. */
export async function fetchToken(channel, topics) {
  const answer = await call("/v1/realtime/token", { body: { channel, topics }, signed: true });
  return { ...answer, apiBaseUrl: window.location.origin };
}

/** Query parameter `name` of the page's URL, or `fallback`. */
export function param(name, fallback = null) {
  return new URLSearchParams(window.location.search).get(name) ?? fallback;
}
