// Two panels subscribed to the same channel: stepstream's useRealtime (web/useRealtime.js) and
// the official inngest/react useRealtime, each rendering what it received. The e2e test compares
// them; a person can open it to see both hooks stream the same run.
import { useRealtime as useInngestRealtime } from "inngest/react";
import { createElement as h } from "react";
import { createRoot } from "react-dom/client";

import { useRealtime } from "../useRealtime.js";

const params = new URLSearchParams(location.search);
const gateway = params.get("gateway") ?? location.origin;
const channel = params.get("channel") ?? "ai:demo";
const tokenUrl = params.get("tokenUrl") ?? "/token";
const topics = ["tokens", "result"];

async function fetchJwt() {
  const response = await fetch(tokenUrl, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ channel, topics }),
  });
  if (!response.ok) throw new Error(`token endpoint answered ${response.status}`);
  return (await response.json()).jwt;
}

function Panel({ id, title, state }) {
  const text = state.messages.all
    .filter((m) => m.topic === "tokens")
    .map((m) => m.data.token)
    .join("");
  return h(
    "section",
    { id, "data-status": state.connectionStatus, "data-run": state.runStatus },
    h("h2", null, title),
    h("p", null, `connection: ${state.connectionStatus} · run: ${state.runStatus}`),
    h("pre", { className: "text" }, text),
    h("pre", { className: "result" }, state.result === undefined ? "" : JSON.stringify(state.result)),
    h("pre", { className: "error" }, state.error ? String(state.error.message) : ""),
  );
}

function App() {
  const ours = useRealtime({ channel, topics, token: fetchJwt, apiBaseUrl: gateway, historyLimit: null });
  const theirs = useInngestRealtime({
    channel,
    topics,
    token: async () => ({ key: await fetchJwt(), apiBaseUrl: gateway }),
    historyLimit: null,
  });
  window.__hooks = { ours, theirs };
  return h("main", null, h(Panel, { id: "ours", title: "stepstream web/useRealtime.js", state: ours }), h(Panel, { id: "theirs", title: "inngest/react useRealtime", state: theirs }));
}

createRoot(document.getElementById("root")).render(h(App));
