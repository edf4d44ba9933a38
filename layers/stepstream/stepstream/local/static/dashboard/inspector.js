// Live channel inspector: subscribe to a channel's topics with the project's own browser client
// (web/subscribe.js, served by the dev server) and show every message as it arrives.
import { api, baseUrl } from "./api.js";
import { badge, clear, compact, h, notice, pretty, time } from "./ui.js";

const MAX_ROWS = 500;

export function render(root, params) {
  let sub = null;
  let count = 0;
  const channel = h("input", { name: "channel", placeholder: "ai:01J… or global", value: params.get("channel") || "", required: true, size: 32 });
  const topics = h("input", { name: "topics", placeholder: "status,tokens,result", value: params.get("topics") || "", required: true, size: 28 });
  const since = h("input", { name: "since", placeholder: "since seq (optional)", type: "number", min: 0, size: 10, value: params.get("since") || "" });
  const state = h("span", { class: "badge muted", id: "inspector-status" }, "idle");
  const counter = h("span", { class: "sub" }, "");
  const log = h("tbody", { id: "inspector-log" });
  const errors = h("div");
  const button = h("button", { type: "submit" }, "Subscribe");

  const stop = () => {
    sub?.close();
    sub = null;
    button.textContent = "Subscribe";
    setState("closed");
  };
  const setState = (s) => {
    state.textContent = s;
    state.className = `badge ${s === "open" ? "live" : s === "error" ? "bad" : s === "paused" ? "wait" : "muted"}`;
  };

  const form = h(
    "form",
    { class: "toolbar", onsubmit: async (e) => {
      e.preventDefault();
      if (sub) return stop();
      clear(errors);
      const list = topics.value.split(",").map((t) => t.trim()).filter(Boolean);
      let subscribe;
      try {
        ({ subscribe } = await import("/web/subscribe.js"));
      } catch (err) {
        clear(errors, notice(`cannot load /web/subscribe.js (${err.message}); the dev server serves it from the project's web/ folder`));
        return;
      }
      location.replace(`#/inspector?channel=${encodeURIComponent(channel.value)}&topics=${encodeURIComponent(list.join(","))}`);
      button.textContent = "Stop";
      sub = subscribe({
        url: baseUrl,
        channel: channel.value.trim(),
        topics: list,
        since: since.value === "" ? undefined : Number(since.value),
        token: () => api.token(channel.value.trim(), list),
        onStatus: setState,
        onError: (err) => errors.prepend(notice(String(err?.message || err), "warn")),
        onMessage: (m) => {
          count += 1;
          counter.textContent = `${count} message${count === 1 ? "" : "s"}`;
          log.prepend(row(m));
          while (log.children.length > MAX_ROWS) log.lastChild.remove();
        },
      });
    } },
    h("label", {}, "Channel ", channel),
    h("label", {}, "Topics ", topics),
    h("label", {}, "Since ", since),
    button,
    h("button", { type: "button", class: "ghost", onclick: () => { clear(log); count = 0; counter.textContent = ""; } }, "Clear"),
  );

  clear(
    root,
    h("div", { class: "head" }, h("h1", {}, "Channel inspector"), state, counter),
    h("p", { class: "sub" }, "Mints a short-lived token with the dev signing key, connects to /v1/realtime/connect and shows messages live, newest first. Reconnects resume from the last seq."),
    form,
    errors,
    h("table", { class: "grid log" }, h("thead", {}, h("tr", {}, ["Time", "Topic", "Seq", "Run", "Data"].map((t) => h("th", {}, t)))), log),
  );
  return stop;
}

function row(m) {
  const isRun = m.kind === "run";
  const data = m.data;
  return h(
    "tr",
    { class: `fresh ${isRun ? "runframe" : ""}`, title: pretty(data) },
    h("td", { class: "mono" }, time(m.createdAt)),
    h("td", {}, isRun ? h("span", {}, "run ", badge(data?.status)) : h("strong", {}, m.topic)),
    h("td", { class: "mono sub" }, m.seq ?? ""),
    h("td", { class: "mono sub" }, m.runId ? h("a", { href: `#/run/${encodeURIComponent(m.runId)}` }, m.runId.slice(-8)) : ""),
    h("td", { class: "mono clip" }, compact(data, 240)),
  );
}
