// The dashboard shell: a hash router over the views, the health dot, demo links and the keys.
import { api, baseUrl, demos, keysInjected, rememberKeys, signingKey } from "./api.js";
import { clear, h } from "./ui.js";
import * as events from "./events.js";
import * as functions from "./functions.js";
import * as inspector from "./inspector.js";
import * as run from "./run.js";
import * as runs from "./runs.js";
import * as send from "./send.js";

const VIEWS = { runs, functions, events, inspector, send };
const view = document.getElementById("view");
let cleanup = () => {};

function route() {
  cleanup();
  const [path, query = ""] = (location.hash.slice(1) || "/runs").split("?");
  const params = new URLSearchParams(query);
  const parts = path.split("/").filter(Boolean);
  const name = parts[0] || "runs";
  for (const link of document.querySelectorAll("#nav a[data-view]")) {
    link.classList.toggle("active", link.dataset.view === (name === "run" ? "runs" : name));
  }
  if (!signingKey()) {
    cleanup = () => {};
    clear(view, keyForm());
    return;
  }
  if (name === "run" && parts[1]) {
    cleanup = run.render(view, params, decodeURIComponent(parts[1])) || (() => {});
  } else {
    cleanup = (VIEWS[name] || runs).render(view, params) || (() => {});
  }
  document.title = `stepstream · ${name}`;
}

function keyForm() {
  const signing = h("input", { placeholder: "signkey-…", size: 60, required: true });
  const event = h("input", { placeholder: "event key", size: 30 });
  return h(
    "form",
    { class: "card form", onsubmit: (e) => { e.preventDefault(); rememberKeys(signing.value.trim(), event.value.trim()); route(); } },
    h("h1", {}, "Keys"),
    h("p", { class: "sub" }, "This page was not served over loopback, so the dev server did not embed its keys. Paste the signing key and event key `stepstream dev` printed (kept in this browser only)."),
    h("label", {}, "Signing key", signing),
    h("label", {}, "Event key", event),
    h("div", {}, h("button", { type: "submit" }, "Save")),
  );
}

async function health() {
  const dot = document.getElementById("health");
  try {
    await api.health();
    dot.className = "health up";
    dot.title = "API is up";
  } catch {
    dot.className = "health down";
    dot.title = `cannot reach ${baseUrl}; is \`make dev\` running?`;
  }
}

document.getElementById("api-url").textContent = baseUrl;
document.getElementById("key-state").textContent = keysInjected()
  ? "dev keys embedded (loopback)"
  : "keys from this browser";
const pages = demos();
if (pages.length) {
  clear(document.getElementById("demos"), h("span", { class: "sep" }, "Demos:"), pages.map((p) => h("a", { href: p.url, target: "_blank" }, p.name)));
}
window.addEventListener("hashchange", route);
route();
health();
setInterval(health, 5000);
